import { CouplingLayer, type CouplingTransform } from '../../../src/models/flows/coupling';
import { ParameterLayout } from '../../../src/nn/parameters';
import { testGpu } from '../../support/gpu';
import { testValues } from '../../support/gpu-helpers';
import {
  checkGpuAgainstTwin,
  checkTwinGradients,
  checkTwinInverse,
  checkTwinLogDet,
} from './layer-checks';

function build(transform: CouplingTransform, cond: 0 | 1) {
  const layout = new ParameterLayout();
  layout.add('before', [3], { kind: 'constant', value: 0 });
  const layer = new CouplingLayer(layout, 'coupling', {
    transform,
    cond,
    hidden: 8,
    hiddenLayers: 2,
    activation: 'tanh',
  });
  // Random weights everywhere (the real init zeroes the last layer, which would hide bugs).
  const params = Float32Array.from(testValues(layout.total, 21, 0.8));
  return { layer, params };
}

describe('coupling layers', () => {
  for (const transform of ['additive', 'affine'] as const) {
    for (const cond of [0, 1] as const) {
      it(`${transform} (cond ${cond}): twin inverse, log|det J| and gradients vs finite differences`, () => {
        const { layer, params } = build(transform, cond);
        const p = Float64Array.from(params);
        const n = 7;
        const x = testValues(2 * n, 22, 2);
        checkTwinInverse(layer, p, x, n);
        checkTwinLogDet(layer, p, x, n);
        checkTwinGradients(layer, p, x, n, testValues(2 * n, 23, 1), -0.3);
      });

      it(`${transform} (cond ${cond}): GPU forward, inverse and backward vs twin`, async () => {
        const gpu = await testGpu();
        const { layer, params } = build(transform, cond);
        const n = 45;
        await checkGpuAgainstTwin(
          gpu,
          layer,
          params,
          testValues(2 * n, 24, 2),
          n,
          testValues(2 * n, 25, 1),
          -1 / n,
        );
      });
    }
  }
});

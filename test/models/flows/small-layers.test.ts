import { expect } from '@esm-bundle/chai';
import { ActNormLayer, ReverseLayer, ScalingLayer } from '../../../src/models/flows/elementwise';
import type { FlowLayer } from '../../../src/models/flows/flow-layer';
import { LuLinearLayer, luOfRotation } from '../../../src/models/flows/lu-linear';
import { ParameterLayout } from '../../../src/nn/parameters';
import { testGpu } from '../../support/gpu';
import { testValues } from '../../support/gpu-helpers';
import {
  checkGpuAgainstTwin,
  checkTwinGradients,
  checkTwinInverse,
  checkTwinLogDet,
} from './layer-checks';

const builders: [string, (layout: ParameterLayout) => FlowLayer][] = [
  ['actnorm', (l) => new ActNormLayer(l, 'actnorm')],
  ['scaling', (l) => new ScalingLayer(l, 'scaling')],
  ['reverse', (l) => new ReverseLayer(l, 'reverse')],
  ['lu-linear (no pivot)', (l) => new LuLinearLayer(l, 'lu', 0.4)],
  ['lu-linear (pivot)', (l) => new LuLinearLayer(l, 'lu', 2.0)],
];

describe('ActNorm, scaling, reversal and LU-linear layers', () => {
  for (const [name, build] of builders) {
    const make = () => {
      const layout = new ParameterLayout();
      layout.add('before', [2], { kind: 'constant', value: 0 });
      const layer = build(layout);
      const params = layout.initialize(1);
      // Perturb every parameter so no factor sits at its identity value.
      const noise = testValues(params.length, 31, 0.4);
      return { layer, params: params.map((v, i) => v + noise[i]!) };
    };

    it(`${name}: twin inverse, log|det J| and gradients vs finite differences`, () => {
      const { layer, params } = make();
      const p = Float64Array.from(params);
      const x = testValues(12, 32, 2);
      checkTwinInverse(layer, p, x, 6);
      checkTwinLogDet(layer, p, x, 6);
      checkTwinGradients(layer, p, x, 6, testValues(12, 33, 1), -0.2);
    });

    it(`${name}: GPU forward, inverse and backward vs twin`, async () => {
      const gpu = await testGpu();
      const { layer, params } = make();
      await checkGpuAgainstTwin(
        gpu,
        layer,
        params,
        testValues(2 * 40, 34, 2),
        40,
        testValues(80, 35, 1),
        -1 / 40,
      );
    });
  }

  it('LU initialisation reproduces the rotation', () => {
    for (const theta of [0.3, 1.4, 2.5, -2.9]) {
      const layout = new ParameterLayout();
      const layer = new LuLinearLayer(layout, 'lu', theta);
      const w = layer.matrix(layout.initialize(0));
      const expected = [Math.cos(theta), -Math.sin(theta), Math.sin(theta), Math.cos(theta)];
      w.forEach((v, i) => expect(v).to.be.closeTo(expected[i]!, 1e-6));
      expect(luOfRotation(theta).ls0 + luOfRotation(theta).ls1).to.be.closeTo(0, 1e-6); // |det R| = 1
    }
  });

  it('ActNorm data-dependent init standardises its input', () => {
    const layout = new ParameterLayout();
    const layer = new ActNormLayer(layout, 'actnorm');
    const x = testValues(200, 36, 3).map((v, i) => (i % 2 ? 5 + 2 * v : -1 + 0.5 * v));
    const params = Float64Array.from(layer.dataInit(x, 100));
    const { y } = layer.forwardTwin(params, x, 100);
    for (let d = 0; d < 2; d++) {
      const values = Array.from({ length: 100 }, (_, b) => y[2 * b + d]!);
      const mean = values.reduce((a, b) => a + b) / 100;
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / 100;
      expect(mean).to.be.closeTo(0, 1e-9);
      expect(variance).to.be.closeTo(1, 1e-5);
    }
  });
});

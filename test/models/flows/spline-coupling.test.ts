import { expect } from '@esm-bundle/chai';
import { SplineCouplingLayer } from '../../../src/models/flows/spline-coupling';
import { ParameterLayout } from '../../../src/nn/parameters';
import { testGpu } from '../../support/gpu';
import { readFloats, runPass, testValues, uploadFloats, zeros } from '../../support/gpu-helpers';
import {
  checkGpuAgainstTwin,
  checkTwinGradients,
  checkTwinInverse,
  checkTwinLogDet,
} from './layer-checks';

interface Config {
  cond: 0 | 1;
  bins: number;
  tailBound: number;
}

function build({ cond, bins, tailBound }: Config) {
  const layout = new ParameterLayout();
  layout.add('before', [3], { kind: 'constant', value: 0 });
  const layer = new SplineCouplingLayer(layout, 'spline', {
    cond,
    bins,
    tailBound,
    hidden: 8,
    hiddenLayers: 2,
    activation: 'tanh',
  });
  return { layer, layout };
}

/** Random weights everywhere (the real init zeroes the last layer, which would hide bugs). */
function randomParams(layout: ParameterLayout): Float32Array {
  return Float32Array.from(testValues(layout.total, 31, 0.8));
}

/** Points whose transformed coordinate spans 1.6·[−B, B]: some inside the spline, some in the tails. */
function points({ cond, tailBound }: Config, n: number, seed: number): Float64Array {
  const x = testValues(2 * n, seed, 1.6 * tailBound);
  const t = 1 - cond;
  const inside = Array.from({ length: n }, (_, b) => Math.abs(x[2 * b + t]!) <= tailBound);
  expect(inside.some(Boolean), 'some points inside [−B, B]').to.equal(true);
  expect(inside.every(Boolean), 'some points in the tails').to.equal(false);
  return x;
}

const configs: Config[] = [
  { cond: 0, bins: 8, tailBound: 3 },
  { cond: 1, bins: 5, tailBound: 2 },
];

describe('spline coupling layer', () => {
  for (const config of configs) {
    const label = `cond ${config.cond}, K ${config.bins}, B ${config.tailBound}`;

    it(`${label}: twin inverse, log|det J| and gradients vs finite differences`, () => {
      const { layer, layout } = build(config);
      const p = Float64Array.from(randomParams(layout));
      const n = 12;
      const x = points(config, n, 32);
      checkTwinInverse(layer, p, x, n);
      checkTwinLogDet(layer, p, x, n);
      checkTwinGradients(layer, p, x, n, testValues(2 * n, 33, 1), -0.3);
      // The interval's ends map to themselves (the tails join the spline there).
      const ends = new Float64Array(6);
      [-config.tailBound, config.tailBound, 0].forEach((v, b) => {
        ends[2 * b + config.cond] = 0.7;
        ends[2 * b + 1 - config.cond] = v;
      });
      checkTwinInverse(layer, p, ends, 3);
    });

    it(`${label}: GPU forward, inverse and backward vs twin`, async () => {
      const gpu = await testGpu();
      const { layer, layout } = build(config);
      const n = 45;
      await checkGpuAgainstTwin(
        gpu,
        layer,
        randomParams(layout),
        points(config, n, 34),
        n,
        testValues(2 * n, 35, 1),
        -1 / n,
      );
    });
  }

  it('zero-initialised conditioner is the identity (twin and GPU)', async () => {
    const config = configs[0]!;
    const { layer, layout } = build(config);
    const params = layout.initialize(7);
    const n = 40;
    const x = points(config, n, 36);
    const twin = layer.forwardTwin(Float64Array.from(params), x, n);
    for (let i = 0; i < 2 * n; i++) expect(twin.y[i]).to.be.closeTo(x[i]!, 1e-12);
    for (let b = 0; b < n; b++) expect(twin.logDet[b]).to.be.closeTo(0, 1e-12);

    const gpu = await testGpu();
    await layer.compile(gpu, true);
    const buffers = {
      params: uploadFloats(gpu, params, 'params'),
      x: uploadFloats(gpu, x, 'x'),
      y: zeros(gpu, 2 * n, 'y'),
      logDet: zeros(gpu, n, 'logdet'),
      back: zeros(gpu, 2 * n, 'x back'),
      backLogDet: zeros(gpu, n, 'logdet back'),
    };
    const common = { batch: n, params: buffers.params.binding, logDetOffset: 0 };
    const forward = layer.bind(gpu, {
      ...common,
      x: buffers.x.binding,
      y: buffers.y.binding,
      logDet: buffers.logDet.binding,
    });
    const inverse = layer.bind(gpu, {
      ...common,
      x: buffers.back.binding,
      y: buffers.x.binding,
      logDet: buffers.backLogDet.binding,
    });
    expect(forward.dispatches.forward).to.equal(2);
    expect(forward.dispatches.inverse).to.equal(2);
    runPass(gpu, (pass) => {
      forward.encodeForward(pass, false);
      inverse.encodeInverse(pass);
    });
    const [y, logDet, back, backLogDet] = await Promise.all([
      readFloats(gpu, buffers.y, 2 * n),
      readFloats(gpu, buffers.logDet, n),
      readFloats(gpu, buffers.back, 2 * n),
      readFloats(gpu, buffers.backLogDet, n),
    ]);
    forward.dispose();
    inverse.dispose();
    Object.values(buffers).forEach((b) => b.dispose());
    // f32 rounding only: softplus(DERIVATIVE_SHIFT) is 1 − MIN_DERIVATIVE to ~1e-7.
    for (let i = 0; i < 2 * n; i++) {
      expect(y[i], `y[${i}]`).to.be.closeTo(x[i]!, 1e-5);
      expect(back[i], `inverse[${i}]`).to.be.closeTo(x[i]!, 1e-5);
    }
    for (let b = 0; b < n; b++) {
      expect(logDet[b], `log|det| ${b}`).to.be.closeTo(0, 1e-5);
      expect(backLogDet[b], `inverse log|det| ${b}`).to.be.closeTo(0, 1e-5);
    }
  });

  it('rejects out-of-range bins and tail bounds, naming the field', () => {
    const make = (bins?: number, tailBound?: number) => () =>
      new SplineCouplingLayer(new ParameterLayout(), 's', {
        cond: 0,
        bins,
        tailBound,
        hidden: 4,
        hiddenLayers: 1,
        activation: 'relu',
      });
    expect(make(1)).to.throw(RangeError, /bins/);
    expect(make(17)).to.throw(RangeError, /bins/);
    expect(make(2.5)).to.throw(RangeError, /bins/);
    expect(make(8, 0)).to.throw(RangeError, /tailBound/);
    expect(make(8, Infinity)).to.throw(RangeError, /tailBound/);
    const layer = make()();
    expect([layer.kind, layer.bins, layer.tailBound, layer.shape.outputs]).to.deep.equal([
      'spline-coupling',
      8,
      3,
      23,
    ]);
  });
});

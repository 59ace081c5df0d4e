import { expect } from '@esm-bundle/chai';
import { ActNorm, addActNormParameters } from '../../src/nn/conv/act-norm';
import { ParameterLayout } from '../../src/nn/parameters';
import {
  actNormBackward,
  actNormForward,
  actNormInitialParameters,
  actNormInverse,
  type ActNormShape,
} from '../../src/nn/reference/norm';
import { normRelativeError } from '../models/flows/layer-checks';
import { testGpu } from '../support/gpu';
import {
  maxRelativeError,
  readFloats,
  runPass,
  testValues,
  uploadFloats,
  zeros,
} from '../support/gpu-helpers';

const BATCH = 2;
const SHAPE: ActNormShape = { channels: 3, height: 6, width: 6 };
const N = BATCH * 3 * 36;

describe('ActNorm', () => {
  it('twin: data-dependent init gives mean 0 and std 1 per channel; inverse and log-det', () => {
    const x = Float64Array.from(testValues(N, 31, 2), (v, i) => 4 * v + (i % 5));
    const params = actNormInitialParameters(SHAPE, x, BATCH);
    const { y, logDet } = actNormForward(params, 0, SHAPE, x, BATCH);
    for (let c = 0; c < 3; c++) {
      const values: number[] = [];
      for (let n = 0; n < BATCH; n++)
        values.push(...y.subarray((n * 3 + c) * 36, (n * 3 + c + 1) * 36));
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
      expect(mean).to.be.closeTo(0, 1e-12);
      expect(std).to.be.closeTo(1, 1e-6);
    }
    expect(maxRelativeError(actNormInverse(params, 0, SHAPE, y, BATCH), x)).to.be.lessThan(1e-14);
    // A per-channel scale: log|det J| = H·W·Σ_c logs[c], the log of the diagonal's product.
    const closed = 36 * (params[0]! + params[1]! + params[2]!);
    expect(logDet[0]).to.be.closeTo(closed, 1e-12);
  });

  it('twin backward equals central differences (dL/dx, dlogs, db)', () => {
    const params = testValues(6, 32, 0.5);
    const x = testValues(N, 33, 2);
    const dy = testValues(N, 34, 1);
    const loss = (p: Float64Array, input: Float64Array) =>
      actNormForward(p, 0, SHAPE, input, BATCH).y.reduce((s, v, i) => s + v * dy[i]!, 0);
    const grads = new Float64Array(6);
    const dx = actNormBackward(params, 0, SHAPE, x, dy, BATCH, grads);
    const central = (values: Float64Array, f: (v: Float64Array) => number) =>
      Array.from(values, (_, i) => {
        const plus = values.slice();
        const minus = values.slice();
        plus[i] = plus[i]! + 1e-6;
        minus[i] = minus[i]! - 1e-6;
        return (f(plus) - f(minus)) / 2e-6;
      });
    expect(
      normRelativeError(
        dx,
        central(x, (v) => loss(params, v)),
      ),
    ).to.be.lessThan(1e-6);
    expect(
      normRelativeError(
        grads,
        central(params, (v) => loss(v, x)),
      ),
    ).to.be.lessThan(1e-6);
  });

  it('GPU vs twin: forward, inverse round trip, dL/dx, dlogs, db', async () => {
    const gpu = await testGpu();
    const layout = new ParameterLayout();
    const offset = addActNormParameters(layout, 'actnorm', SHAPE);
    const params = testValues(layout.total, 35, 0.5);
    const x = testValues(N, 36, 2);
    const dy = testValues(N, 37, 1);
    const layer = await ActNorm.create(gpu, SHAPE);
    const b = {
      params: uploadFloats(gpu, params, 'params'),
      x: uploadFloats(gpu, x, 'x'),
      y: zeros(gpu, N, 'y'),
      back: zeros(gpu, N, 'x again'),
      dy: uploadFloats(gpu, dy, 'dy'),
      dx: zeros(gpu, N, 'dx'),
      grads: zeros(gpu, layout.total, 'grads'),
    };
    const common = { batch: BATCH, params: b.params.binding, paramOffset: offset };
    const bound = layer.bind({
      ...common,
      input: b.x.binding,
      output: b.y.binding,
      gradOutput: b.dy.binding,
      gradInput: b.dx.binding,
      grads: b.grads.binding,
    });
    const inverse = layer.bind({
      ...common,
      input: b.y.binding,
      output: b.back.binding,
      inverse: true,
    });
    runPass(gpu, (pass) => {
      bound.encodeForward(pass);
      inverse.encodeForward(pass);
      bound.encodeBackward(pass);
    });
    const [y, back, dx, grads] = await Promise.all([
      readFloats(gpu, b.y, N),
      readFloats(gpu, b.back, N),
      readFloats(gpu, b.dx, N),
      readFloats(gpu, b.grads, layout.total),
    ]);
    bound.dispose();
    inverse.dispose();
    Object.values(b).forEach((buffer) => buffer.dispose());
    const refGrads = new Float64Array(layout.total);
    const refDx = actNormBackward(params, offset, SHAPE, x, dy, BATCH, refGrads);
    expect(
      maxRelativeError(y, actNormForward(params, offset, SHAPE, x, BATCH).y),
      'y',
    ).to.be.lessThan(1e-5);
    expect(maxRelativeError(back, x), 'inverse(forward(x))').to.be.lessThan(1e-5);
    expect(maxRelativeError(dx, refDx), 'dL/dx').to.be.lessThan(1e-5);
    expect(maxRelativeError(grads, refGrads), 'dlogs, db').to.be.lessThan(1e-5);
  });
});

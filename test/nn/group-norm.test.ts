import { expect } from '@esm-bundle/chai';
import { activate, activationGrad, type Activation } from '../../src/nn/activations';
import { GroupNorm, addGroupNormParameters } from '../../src/nn/conv/group-norm';
import { ParameterLayout } from '../../src/nn/parameters';
import {
  groupNormBackward,
  groupNormForward,
  type GroupNormShape,
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
const SHAPE: GroupNormShape = { channels: 4, groups: 2, height: 6, width: 6, eps: 1e-5 };
/** 5 × 5 = 25 pixels: the last block of 4 pixels of each plane is partial (1 pixel). */
const ODD_SHAPE: GroupNormShape = { ...SHAPE, channels: 6, groups: 3, height: 5, width: 5 };

function setup(seed: number, shape = SHAPE) {
  const N = BATCH * shape.channels * shape.height * shape.width;
  const layout = new ParameterLayout();
  const offset = addGroupNormParameters(layout, 'norm', shape);
  // γ and β away from their initial 1 and 0, so that both paths are tested.
  const params = Float64Array.from(testValues(layout.total, seed, 1), (v) => v + 0.5);
  // Offset and scaled inputs: the normalisation has something to remove.
  const x = Float64Array.from(testValues(N, seed + 1, 2), (v, i) => 3 * v + (i % 7));
  const dy = testValues(N, seed + 2, 1);
  return { layout, offset, params, x, dy };
}

describe('GroupNorm', () => {
  it('twin with γ = 1, β = 0: every group has mean 0 and variance ≈ 1 (closed form)', () => {
    const { x } = setup(1);
    const unit = Float64Array.from([1, 1, 1, 1, 0, 0, 0, 0]);
    const { y } = groupNormForward(unit, 0, SHAPE, x, BATCH);
    for (let g = 0; g < BATCH * SHAPE.groups; g++) {
      const values = y.subarray(g * 72, (g + 1) * 72);
      const mean = values.reduce((s, v) => s + v, 0) / 72;
      const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / 72;
      expect(mean).to.be.closeTo(0, 1e-12);
      // σ²/(σ² + eps), not 1, by the eps.
      expect(variance).to.be.closeTo(1, 1e-4);
    }
  });

  it('twin backward equals central differences (dL/dx, dγ, dβ)', () => {
    const { layout, offset, params, x, dy } = setup(2);
    const loss = (p: Float64Array, input: Float64Array) =>
      groupNormForward(p, offset, SHAPE, input, BATCH).y.reduce((s, v, i) => s + v * dy[i]!, 0);
    const grads = new Float64Array(layout.total);
    const { cache } = groupNormForward(params, offset, SHAPE, x, BATCH);
    const dx = groupNormBackward(params, offset, SHAPE, cache, dy, BATCH, grads);
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
      'dL/dx',
    ).to.be.lessThan(1e-6);
    expect(
      normRelativeError(
        grads,
        central(params, (v) => loss(v, x)),
      ),
      'dγ, dβ',
    ).to.be.lessThan(1e-6);
  });

  async function runGpu(seed: number, activation: Activation = 'identity', shape = SHAPE) {
    const gpu = await testGpu();
    const { layout, offset, params, x, dy } = setup(seed, shape);
    const norm = await GroupNorm.create(gpu, shape, activation);
    const N = x.length;
    const b = {
      params: uploadFloats(gpu, params, 'params'),
      x: uploadFloats(gpu, x, 'x'),
      y: zeros(gpu, N, 'y'),
      cache: zeros(gpu, norm.cacheFloats(BATCH), 'cache'),
      dy: uploadFloats(gpu, dy, 'dy'),
      dx: zeros(gpu, N, 'dx'),
      grads: zeros(gpu, layout.total, 'grads'),
    };
    const bound = norm.bind({
      batch: BATCH,
      params: b.params.binding,
      paramOffset: offset,
      input: b.x.binding,
      output: b.y.binding,
      cache: b.cache.binding,
      gradOutput: b.dy.binding,
      gradInput: b.dx.binding,
      grads: b.grads.binding,
    });
    runPass(gpu, (pass) => {
      bound.encodeForward(pass);
      bound.encodeBackward(pass);
    });
    const [y, dx, grads] = await Promise.all([
      readFloats(gpu, b.y, N),
      readFloats(gpu, b.dx, N),
      readFloats(gpu, b.grads, layout.total),
    ]);
    bound.dispose();
    Object.values(b).forEach((buffer) => buffer.dispose());
    return { layout, offset, params, x, dy, y, dx, grads };
  }

  it('GPU vs twin (y, dL/dx, dγ, dβ) and two runs bit for bit', async () => {
    const run = await runGpu(3);
    const ref = groupNormForward(run.params, run.offset, SHAPE, run.x, BATCH);
    const refGrads = new Float64Array(run.layout.total);
    const refDx = groupNormBackward(
      run.params,
      run.offset,
      SHAPE,
      ref.cache,
      run.dy,
      BATCH,
      refGrads,
    );
    expect(maxRelativeError(run.y, ref.y), 'y').to.be.lessThan(1e-5);
    expect(maxRelativeError(run.dx, refDx), 'dL/dx').to.be.lessThan(1e-5);
    expect(maxRelativeError(run.grads, refGrads), 'dγ, dβ').to.be.lessThan(1e-5);
    const again = await runGpu(3);
    const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    expect(bits(again.y)).to.deep.equal(bits(run.y));
    expect(bits(again.dx)).to.deep.equal(bits(run.dx));
    expect(bits(again.grads)).to.deep.equal(bits(run.grads));
  });

  it('SiLU fused, 5 × 5 maps: GPU vs twin GroupNorm then SiLU (out, dL/dx, dγ, dβ)', async () => {
    const run = await runGpu(4, 'silu', ODD_SHAPE);
    const ref = groupNormForward(run.params, run.offset, ODD_SHAPE, run.x, BATCH);
    const out = ref.y.map((v) => activate('silu', v));
    // dL/dy = dL/d(out) · silu′(y), then the norm's backward.
    const dNorm = ref.y.map((v, i) => run.dy[i]! * activationGrad('silu', v));
    const refGrads = new Float64Array(run.layout.total);
    const refDx = groupNormBackward(
      run.params,
      run.offset,
      ODD_SHAPE,
      ref.cache,
      dNorm,
      BATCH,
      refGrads,
    );
    expect(maxRelativeError(run.y, out), 'out').to.be.lessThan(1e-5);
    expect(maxRelativeError(run.dx, refDx), 'dL/dx').to.be.lessThan(1e-5);
    expect(maxRelativeError(run.grads, refGrads), 'dγ, dβ').to.be.lessThan(1e-5);
  });

  it('says what to do when the groups do not divide the channels', async () => {
    const gpu = await testGpu();
    let message = '';
    await GroupNorm.create(gpu, { ...SHAPE, groups: 3 }).catch((e: Error) => (message = e.message));
    expect(message).to.contain('got 3 groups for 4 channels');
  });
});

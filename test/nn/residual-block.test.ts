import { expect } from '@esm-bundle/chai';
// Through the public entry: the image layers and their twins are part of the library's contract.
import {
  addResidualBlockParameters,
  ParameterLayout,
  ResidualBlock,
  residualBlockBackward,
  residualBlockForward,
  type ResidualBlockShape,
} from '../../src/index';
import { addDenseParameters, DenseLayer } from '../../src/nn/layers';
import { denseBackward, denseForward } from '../../src/nn/reference/dense';
import { residualBlockParts } from '../../src/nn/reference/residual';
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

// Channels change (1 × 1 skip conv) and a time embedding is added; and the plain block.
const TIMED: ResidualBlockShape = {
  inputChannels: 2,
  outputChannels: 4,
  height: 4,
  width: 5,
  groups: 2,
  timeEmbedding: true,
};
const PLAIN: ResidualBlockShape = { ...TIMED, outputChannels: 2, timeEmbedding: false };

function setup(shape: ResidualBlockShape, batch: number, seed: number) {
  const layout = new ParameterLayout();
  const offset = addResidualBlockParameters(layout, 'block', shape);
  // γ near 1 and β, biases away from 0 so that every path carries signal.
  const params = Float64Array.from(testValues(layout.total, seed, 0.4), (v) => v + 0.1);
  const pixels = shape.height * shape.width;
  const x = Float64Array.from(
    testValues(batch * shape.inputChannels * pixels, seed + 1, 1.5),
    (v, i) => v + (i % 3),
  );
  const e = testValues(batch * shape.outputChannels, seed + 2, 1);
  const dy = testValues(batch * shape.outputChannels * pixels, seed + 3, 1);
  return { layout, offset, params, x, e, dy };
}

const central = (values: Float64Array, f: (v: Float64Array) => number, h = 1e-6) =>
  Array.from(values, (_, i) => {
    const plus = values.slice();
    const minus = values.slice();
    plus[i] = plus[i]! + h;
    minus[i] = minus[i]! - h;
    return (f(plus) - f(minus)) / (2 * h);
  });

describe('ResidualBlock', () => {
  it('parameter layout: norm1, conv1, norm2, conv2, skip, as the twin reads them', () => {
    const layout = new ParameterLayout();
    addResidualBlockParameters(layout, 'b', TIMED);
    // GroupNorm 2·2, conv 4·2·9 + 4, GroupNorm 2·4, conv 4·4·9 + 4, skip 4·2 + 4.
    expect(layout.total).to.equal(4 + 76 + 8 + 148 + 12);
    expect(residualBlockParts(TIMED).offsets.end).to.equal(layout.total);
    expect(residualBlockParts(PLAIN).skip).to.equal(undefined);
  });

  for (const shape of [TIMED, PLAIN]) {
    const name = shape.timeEmbedding ? 'timed, 1 × 1 skip' : 'plain, identity skip';
    it(`${name}: twin backward equals central differences (dL/dx, dL/de, every parameter)`, () => {
      const batch = 2;
      const { layout, offset, params, x, e, dy } = setup(shape, batch, 11);
      const loss = (p: Float64Array, input: Float64Array, emb: Float64Array) =>
        residualBlockForward(p, offset, shape, input, emb, batch).y.reduce(
          (s, v, i) => s + v * dy[i]!,
          0,
        );
      const grads = new Float64Array(layout.total);
      const { cache } = residualBlockForward(params, offset, shape, x, e, batch);
      const { dx, de } = residualBlockBackward(params, offset, shape, cache, dy, batch, grads);
      expect(
        normRelativeError(
          dx,
          central(x, (v) => loss(params, v, e)),
        ),
        'dL/dx',
      ).to.be.lessThan(1e-6);
      expect(
        normRelativeError(
          grads,
          central(params, (v) => loss(v, x, e)),
        ),
        'parameters',
      ).to.be.lessThan(1e-6);
      if (shape.timeEmbedding) {
        expect(
          normRelativeError(
            de!,
            central(e, (v) => loss(params, x, v)),
          ),
          'dL/de',
        ).to.be.lessThan(1e-6);
      } else {
        expect(de).to.equal(undefined);
      }
    });
  }

  async function runGpu(shape: ResidualBlockShape, batch: number, seed: number) {
    const gpu = await testGpu();
    const before = gpu.pool.stats().inUse;
    const { layout, offset, params, x, e, dy } = setup(shape, batch, seed);
    const block = await ResidualBlock.create(gpu, shape);
    const b = {
      params: uploadFloats(gpu, params, 'params'),
      x: uploadFloats(gpu, x, 'x'),
      e: uploadFloats(gpu, e, 'e'),
      y: zeros(gpu, block.outputFloats(batch), 'y'),
      dy: uploadFloats(gpu, dy, 'dy'),
      dx: zeros(gpu, x.length, 'dx'),
      de: zeros(gpu, e.length, 'de'),
      // Non-zero start: every gradient must be written, not accumulated.
      grads: uploadFloats(gpu, new Float64Array(layout.total).fill(7), 'grads'),
    };
    const bound = block.bind({
      batch,
      params: b.params.binding,
      paramOffset: offset,
      input: b.x.binding,
      output: b.y.binding,
      gradOutput: b.dy.binding,
      gradInput: b.dx.binding,
      grads: b.grads.binding,
      ...(shape.timeEmbedding ? { embedding: b.e.binding, gradEmbedding: b.de.binding } : {}),
    });
    runPass(gpu, (pass) => {
      bound.encodeForward(pass);
      bound.encodeBackward(pass);
    });
    const [y, dx, de, grads] = await Promise.all([
      readFloats(gpu, b.y, block.outputFloats(batch)),
      readFloats(gpu, b.dx, x.length),
      readFloats(gpu, b.de, e.length),
      readFloats(gpu, b.grads, layout.total),
    ]);
    bound.dispose();
    Object.values(b).forEach((buffer) => buffer.dispose());
    const leaked = gpu.pool.stats().inUse - before;
    return { layout, offset, params, x, e, dy, y, dx, de, grads, leaked };
  }

  for (const shape of [TIMED, PLAIN]) {
    const name = shape.timeEmbedding ? 'timed, 1 × 1 skip' : 'plain, identity skip';
    it(`${name}: GPU vs twin (out, dL/dx, dL/de, parameter gradients over the whole batch)`, async () => {
      // 5 samples: the gradient of the last one alone must be in the sum.
      const batch = 5;
      const run = await runGpu(shape, batch, 21);
      expect(run.leaked, 'pool buffers left after dispose').to.equal(0);
      const ref = residualBlockForward(run.params, run.offset, shape, run.x, run.e, batch);
      const refGrads = new Float64Array(run.layout.total);
      const back = residualBlockBackward(
        run.params,
        run.offset,
        shape,
        ref.cache,
        run.dy,
        batch,
        refGrads,
      );
      expect(maxRelativeError(run.y, ref.y), 'out').to.be.lessThan(1e-5);
      expect(maxRelativeError(run.dx, back.dx), 'dL/dx').to.be.lessThan(1e-5);
      expect(maxRelativeError(run.grads, refGrads), 'parameter gradients').to.be.lessThan(1e-4);
      if (back.de) expect(maxRelativeError(run.de, back.de), 'dL/de').to.be.lessThan(1e-5);

      // The same twin over the first 4 samples only is far off: the check sees a lost sample.
      const pixels = shape.height * shape.width;
      const first = (values: Float64Array, perSample: number) =>
        values.subarray(0, (batch - 1) * perSample);
      const partial = residualBlockForward(
        run.params,
        run.offset,
        shape,
        first(run.x, shape.inputChannels * pixels),
        first(run.e, shape.outputChannels),
        batch - 1,
      );
      const partialGrads = new Float64Array(run.layout.total);
      residualBlockBackward(
        run.params,
        run.offset,
        shape,
        partial.cache,
        first(run.dy, shape.outputChannels * pixels),
        batch - 1,
        partialGrads,
      );
      expect(maxRelativeError(run.grads, partialGrads)).to.be.greaterThan(1e-2);

      const again = await runGpu(shape, batch, 21);
      const bits = (a: Float32Array) =>
        Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
      expect(bits(again.y), 'out, bit for bit').to.deep.equal(bits(run.y));
      expect(bits(again.grads), 'gradients, bit for bit').to.deep.equal(bits(run.grads));
    });
  }

  it('fed by a dense time projection whose gradients span 2 batch chunks: chunk sums equal the twin', async () => {
    // The composition an image model makes: e = dense(features), per-chunk dense gradients
    // (DenseLayer), the block's whole-batch gradients in chunk 0, the chunks summed in order (as
    // the optimizer does). The batch passes one dense chunk on every adapter (1024 on CPU ones).
    const gpu = await testGpu();
    const shape: ResidualBlockShape = {
      inputChannels: 2,
      outputChannels: 2,
      height: 2,
      width: 2,
      groups: 1,
      timeEmbedding: true,
    };
    const dense = { inputs: 3, outputs: 2, activation: 'silu' as const };
    const layout = new ParameterLayout();
    const denseOffset = addDenseParameters(layout, 'time', dense);
    const blockOffset = addResidualBlockParameters(layout, 'block', shape);
    const total = layout.total;
    const projection = await DenseLayer.create(gpu, dense);
    const batch = projection.chunkSize + 6;
    const chunks = projection.chunks(batch);
    expect(chunks).to.equal(2);
    const block = await ResidualBlock.create(gpu, shape);
    const params = Float64Array.from(testValues(total, 41, 0.5), (v) => v + 0.1);
    const features = testValues(batch * 3, 42, 1);
    const x = testValues(batch * 8, 43, 1.5);
    const dy = testValues(batch * 8, 44, 1);
    const b = {
      params: uploadFloats(gpu, params, 'params'),
      features: uploadFloats(gpu, features, 'features'),
      e: zeros(gpu, batch * 2, 'e'),
      denseCache: zeros(gpu, projection.cacheFloats(batch), 'dense cache'),
      de: zeros(gpu, batch * 2, 'dL/de'),
      dFeatures: zeros(gpu, batch * 3, 'dL/d features (scratch)'),
      x: uploadFloats(gpu, x, 'x'),
      y: zeros(gpu, batch * 8, 'y'),
      dy: uploadFloats(gpu, dy, 'dy'),
      // Cleared once: the block writes chunk 0 only, the other chunks of its entries stay 0.
      grads: zeros(gpu, chunks * total, 'grads'),
    };
    const time = projection.bind({
      batch,
      params: b.params.binding,
      paramOffset: denseOffset,
      input: b.features.binding,
      output: b.e.binding,
      cache: b.denseCache.binding,
      gradOutput: b.de.binding,
      gradInput: b.dFeatures.binding,
      grads: b.grads.binding,
      gradStride: total,
    });
    const bound = block.bind({
      batch,
      params: b.params.binding,
      paramOffset: blockOffset,
      input: b.x.binding,
      embedding: b.e.binding,
      output: b.y.binding,
      gradOutput: b.dy.binding,
      gradEmbedding: b.de.binding,
      grads: b.grads.binding,
    });
    runPass(gpu, (pass) => {
      time.encodeForward(pass);
      bound.encodeForward(pass);
      bound.encodeBackward(pass);
      time.encodeBackward(pass);
    });
    const [y, perChunk] = await Promise.all([
      readFloats(gpu, b.y, batch * 8),
      readFloats(gpu, b.grads, chunks * total),
    ]);
    time.dispose();
    bound.dispose();
    Object.values(b).forEach((buffer) => buffer.dispose());

    const denseBias = denseOffset + dense.inputs * dense.outputs;
    const e = denseForward(params, denseOffset, denseBias, 3, 2, 'silu', features, batch);
    const ref = residualBlockForward(params, blockOffset, shape, x, e.y, batch);
    const refGrads = new Float64Array(total);
    const back = residualBlockBackward(params, blockOffset, shape, ref.cache, dy, batch, refGrads);
    denseBackward(params, denseOffset, denseBias, 3, 2, 'silu', e.cache, back.de!, batch, refGrads);
    const summed = Array.from({ length: total }, (_, i) => perChunk[i]! + perChunk[total + i]!);
    expect(maxRelativeError(y, ref.y), 'out').to.be.lessThan(1e-5);
    expect(maxRelativeError(summed, refGrads), 'chunk-summed gradients').to.be.lessThan(1e-4);
    // The second chunk holds the last samples' dense gradients and nothing of the block's.
    const second = perChunk.subarray(total);
    expect(second.subarray(denseOffset, blockOffset).some((v) => v !== 0)).to.equal(true);
    expect(second.subarray(blockOffset).every((v) => v === 0)).to.equal(true);
  });

  it('says what to do with groups that do not divide both channel counts, or no embedding', async () => {
    const gpu = await testGpu();
    let message = '';
    await ResidualBlock.create(gpu, { ...TIMED, inputChannels: 3 }).catch(
      (e: Error) => (message = e.message),
    );
    expect(message).to.contain('got 2 groups for 3 → 4 channels');
    const block = await ResidualBlock.create(gpu, TIMED);
    const buffer = zeros(gpu, 4, 'unused');
    expect(() =>
      block.bind({
        batch: 1,
        params: buffer.binding,
        paramOffset: 0,
        input: buffer.binding,
        output: buffer.binding,
      }),
    ).to.throw(/adds a time embedding: bind it with embedding/);
    buffer.dispose();
  });
});

import { expect } from '@esm-bundle/chai';
import { ACTIVATIONS } from '../../src/nn/activations';
import { FusedMlp } from '../../src/nn/fused-mlp';
import { DenseLayer, EmbedConcat, addDenseParameters } from '../../src/nn/layers';
import { addMlpParameters, linearLayers, type MlpShape } from '../../src/nn/mlp-shape';
import { ParameterLayout } from '../../src/nn/parameters';
import {
  denseBackward,
  denseForward,
  residualBackward,
  residualForward,
} from '../../src/nn/reference/dense';
import {
  embedConcatBackward,
  embedConcatForward,
  embeddingFrequency,
} from '../../src/nn/reference/embedding';
import { testGpu } from '../support/gpu';
import {
  maxRelativeError,
  readFloats,
  runPass,
  testValues,
  uploadFloats,
  zeros,
} from '../support/gpu-helpers';

const F32_TOLERANCE = 1e-4;

function sumChunks(partials: Float32Array, chunks: number, stride: number): Float64Array {
  const out = new Float64Array(stride);
  for (let c = 0; c < chunks; c++)
    for (let i = 0; i < stride; i++) out[i] = out[i]! + partials[c * stride + i]!;
  return out;
}

describe('dense layer on the GPU vs the float64 twin', () => {
  for (const activation of ACTIVATIONS) {
    it(`${activation}: forward, dL/dx, dW, db`, async () => {
      const gpu = await testGpu();
      const shape = { inputs: 5, outputs: 6, activation };
      const batch = 23;
      const layout = new ParameterLayout();
      const offset = addDenseParameters(layout, 'dense', shape);
      const params = layout.initialize(3);
      const x = testValues(batch * 5, 8, 2);
      const dy = testValues(batch * 6, 9, 1);
      const layer = await DenseLayer.create(gpu, shape);
      const chunks = layer.chunks(batch);
      const buffers = {
        params: uploadFloats(gpu, params, 'p'),
        x: uploadFloats(gpu, x, 'x'),
        y: zeros(gpu, batch * 6, 'y'),
        cache: zeros(gpu, layer.cacheFloats(batch), 'cache'),
        dy: uploadFloats(gpu, dy, 'dy'),
        dx: zeros(gpu, batch * 5, 'dx'),
        grads: zeros(gpu, chunks * layout.total, 'grads'),
      };
      const bound = layer.bind({
        batch,
        params: buffers.params.binding,
        paramOffset: offset,
        input: buffers.x.binding,
        output: buffers.y.binding,
        cache: buffers.cache.binding,
        gradOutput: buffers.dy.binding,
        gradInput: buffers.dx.binding,
        grads: buffers.grads.binding,
        gradStride: layout.total,
      });
      runPass(gpu, (pass) => {
        bound.encodeForward(pass);
        bound.encodeBackward(pass);
      });
      const [y, dx, partials] = await Promise.all([
        readFloats(gpu, buffers.y, batch * 6),
        readFloats(gpu, buffers.dx, batch * 5),
        readFloats(gpu, buffers.grads, chunks * layout.total),
      ]);
      bound.dispose();
      Object.values(buffers).forEach((b) => b.dispose());
      const ref = denseForward(params, offset, offset + 30, 5, 6, activation, x, batch);
      const refGrads = new Float64Array(layout.total);
      const refDx = denseBackward(
        params,
        offset,
        offset + 30,
        5,
        6,
        activation,
        ref.cache,
        dy,
        batch,
        refGrads,
      );
      expect(maxRelativeError(y, ref.y), 'y').to.be.lessThan(F32_TOLERANCE);
      expect(maxRelativeError(dx, refDx), 'dx').to.be.lessThan(F32_TOLERANCE);
      expect(
        maxRelativeError(sumChunks(partials, chunks, layout.total), refGrads),
        'grads',
      ).to.be.lessThan(F32_TOLERANCE);
    });
  }
});

describe('fused MLP equals the unfused stack of dense layers', () => {
  it('same outputs, parameter gradients and input gradients', async () => {
    const gpu = await testGpu();
    const shape: MlpShape = {
      inputs: 2,
      hidden: 24,
      hiddenLayers: 3,
      outputs: 2,
      activation: 'silu',
    };
    const batch = 50;
    const layout = new ParameterLayout();
    addMlpParameters(layout, 'mlp', shape);
    const params = uploadFloats(gpu, layout.initialize(4), 'params');
    const x = uploadFloats(gpu, testValues(batch * 2, 10, 1), 'x');
    const dy = uploadFloats(gpu, testValues(batch * 2, 11, 1), 'dy');
    const layers = linearLayers(shape);

    // Fused.
    const mlp = await FusedMlp.create(gpu, shape, { gradInput: true });
    const fused = {
      y: zeros(gpu, batch * 2, 'fused y'),
      dx: zeros(gpu, batch * 2, 'fused dx'),
      cache: zeros(gpu, mlp.cacheFloats(batch), 'fused cache'),
      grads: zeros(gpu, mlp.chunks(batch) * layout.total, 'fused grads'),
    };
    const fusedBinding = mlp.bind({
      batch,
      params: params.binding,
      paramOffset: 0,
      input: x.binding,
      output: fused.y.binding,
      cache: fused.cache.binding,
      gradOutput: dy.binding,
      gradInput: fused.dx.binding,
      grads: fused.grads.binding,
      gradStride: layout.total,
    });

    // Unfused: one dense layer per linear layer, activations in between.
    const dense = await Promise.all(
      layers.map((l, i) =>
        DenseLayer.create(gpu, {
          inputs: l.inputs,
          outputs: l.outputs,
          activation: i === layers.length - 1 ? 'identity' : shape.activation,
        }),
      ),
    );
    const acts = [x, ...layers.map((l, i) => zeros(gpu, batch * l.outputs, `act ${i}`))];
    const grads = [...layers.map((l, i) => zeros(gpu, batch * l.inputs, `grad ${i}`)), dy];
    const unfusedGrads = zeros(gpu, dense[0]!.chunks(batch) * layout.total, 'unfused grads');
    const caches = layers.map((l, i) => zeros(gpu, dense[i]!.cacheFloats(batch), `cache ${i}`));
    const bound = dense.map((layer, i) =>
      layer.bind({
        batch,
        params: params.binding,
        paramOffset: layers[i]!.weightOffset,
        input: acts[i]!.binding,
        output: acts[i + 1]!.binding,
        cache: caches[i]!.binding,
        gradOutput: grads[i + 1]!.binding,
        gradInput: grads[i]!.binding,
        grads: unfusedGrads.binding,
        gradStride: layout.total,
      }),
    );
    runPass(gpu, (pass) => {
      fusedBinding.encodeForward(pass, true);
      fusedBinding.encodeBackward(pass);
      bound.forEach((b) => b.encodeForward(pass));
      [...bound].reverse().forEach((b) => b.encodeBackward(pass));
    });
    const chunks = mlp.chunks(batch);
    const [fy, fdx, fg, uy, udx, ug] = await Promise.all([
      readFloats(gpu, fused.y, batch * 2),
      readFloats(gpu, fused.dx, batch * 2),
      readFloats(gpu, fused.grads, chunks * layout.total),
      readFloats(gpu, acts.at(-1)!, batch * 2),
      readFloats(gpu, grads[0]!, batch * 2),
      readFloats(gpu, unfusedGrads, dense[0]!.chunks(batch) * layout.total),
    ]);
    fusedBinding.dispose();
    bound.forEach((b) => b.dispose());
    [
      params,
      dy,
      ...Object.values(fused),
      ...acts,
      ...grads.slice(0, -1),
      unfusedGrads,
      ...caches,
    ].forEach((b) => b.dispose());
    expect(maxRelativeError(fy, uy), 'y').to.be.lessThan(1e-5);
    expect(maxRelativeError(fdx, udx), 'dx').to.be.lessThan(1e-5);
    expect(
      maxRelativeError(
        sumChunks(fg, chunks, layout.total),
        sumChunks(ug, dense[0]!.chunks(batch), layout.total),
      ),
      'grads',
    ).to.be.lessThan(1e-5);
  });
});

describe('residual MLP block and sinusoidal embedding', () => {
  it('residual block y = x + MLP(x): GPU vs twin, and the twin vs finite differences', async () => {
    const gpu = await testGpu();
    const shape: MlpShape = {
      inputs: 4,
      hidden: 12,
      hiddenLayers: 1,
      outputs: 4,
      activation: 'gelu',
    };
    const batch = 9;
    const layout = new ParameterLayout();
    addMlpParameters(layout, 'res', shape);
    const p = layout.initialize(12);
    const xs = testValues(batch * 4, 13, 1);
    const dys = testValues(batch * 4, 14, 1);
    const mlp = await FusedMlp.create(gpu, shape, { residual: true, gradInput: true });
    const b = {
      params: uploadFloats(gpu, p, 'p'),
      x: uploadFloats(gpu, xs, 'x'),
      y: zeros(gpu, batch * 4, 'y'),
      cache: zeros(gpu, mlp.cacheFloats(batch), 'c'),
      dy: uploadFloats(gpu, dys, 'dy'),
      dx: zeros(gpu, batch * 4, 'dx'),
      grads: zeros(gpu, mlp.chunks(batch) * layout.total, 'g'),
    };
    const bound = mlp.bind({
      batch,
      params: b.params.binding,
      paramOffset: 0,
      input: b.x.binding,
      output: b.y.binding,
      cache: b.cache.binding,
      gradOutput: b.dy.binding,
      gradInput: b.dx.binding,
      grads: b.grads.binding,
      gradStride: layout.total,
    });
    runPass(gpu, (pass) => {
      bound.encodeForward(pass, true);
      bound.encodeBackward(pass);
    });
    const [y, dx, g] = await Promise.all([
      readFloats(gpu, b.y, batch * 4),
      readFloats(gpu, b.dx, batch * 4),
      readFloats(gpu, b.grads, layout.total),
    ]);
    bound.dispose();
    Object.values(b).forEach((o) => o.dispose());
    const ref = residualForward(p, 0, shape, xs, batch);
    const refGrads = new Float64Array(layout.total);
    const refDx = residualBackward(p, 0, shape, ref.cache, dys, batch, refGrads);
    expect(maxRelativeError(y, ref.y)).to.be.lessThan(F32_TOLERANCE);
    expect(maxRelativeError(dx, refDx)).to.be.lessThan(F32_TOLERANCE);
    expect(maxRelativeError(g, refGrads)).to.be.lessThan(F32_TOLERANCE);
    // Twin input gradient vs central differences of L = Σ dy ⊙ y.
    const loss = (input: Float64Array) =>
      residualForward(p, 0, shape, input, batch).y.reduce((s, v, i) => s + v * dys[i]!, 0);
    const fd = Array.from(xs, (_, i) => {
      const plus = xs.slice();
      const minus = xs.slice();
      plus[i] = plus[i]! + 1e-6;
      minus[i] = minus[i]! - 1e-6;
      return (loss(plus) - loss(minus)) / 2e-6;
    });
    expect(maxRelativeError(refDx, fd)).to.be.lessThan(1e-6);
  });

  it('embedding + concatenation: GPU vs twin, closed-form frequencies, pass-through backward', async () => {
    const gpu = await testGpu();
    const shape = { dims: 2, features: 32, scale: 1000, maxPeriod: 10000 };
    const batch = 20;
    const xs = testValues(batch * 2, 15, 3);
    // float32 times, as the GPU reads them (the twin then sees the same t).
    const ts = Float32Array.from({ length: batch }, (_, i) => i / (batch - 1));
    const embed = await EmbedConcat.create(gpu, shape);
    const b = {
      x: uploadFloats(gpu, xs, 'x'),
      t: uploadFloats(gpu, ts, 't'),
      out: zeros(gpu, batch * embed.width, 'out'),
      gradOut: uploadFloats(gpu, testValues(batch * embed.width, 16, 1), 'dout'),
      gradX: zeros(gpu, batch * 2, 'dx'),
    };
    const bound = embed.bind({
      batch,
      x: b.x.binding,
      t: b.t.binding,
      out: b.out.binding,
      gradOut: b.gradOut.binding,
      gradX: b.gradX.binding,
    });
    runPass(gpu, (pass) => {
      bound.encodeForward(pass);
      bound.encodeBackward(pass);
    });
    const [out, gradX] = await Promise.all([
      readFloats(gpu, b.out),
      readFloats(gpu, b.gradX, batch * 2),
    ]);
    bound.dispose();
    Object.values(b).forEach((o) => o.dispose());
    const ref = embedConcatForward(shape, xs, ts, batch);
    // Angles reach 1000 rad; the shader reduces them exactly (frequencies as float32 pairs,
    // Cody–Waite π/2) and evaluates its own polynomials, so only float32 rounding remains.
    const worst = Math.max(...Array.from(ref, (v, i) => Math.abs(out[i]! - v)));
    expect(worst, 'max |GPU − float64| of (x, sin, cos)').to.be.lessThan(1e-6);
    expect(embeddingFrequency(shape, 0)).to.equal(1000);
    expect(embeddingFrequency(shape, 16)).to.be.closeTo(1000 / 10000, 1e-12);
    for (let i = 0; i < batch; i++) {
      const sin = ref[i * 34 + 2 + 5]!;
      const cos = ref[i * 34 + 2 + 16 + 5]!;
      expect(sin * sin + cos * cos).to.be.closeTo(1, 1e-12);
    }
    const dOut = testValues(batch * embed.width, 16, 1);
    expect(maxRelativeError(gradX, embedConcatBackward(shape, dOut, batch))).to.be.lessThan(1e-7);
  });
});

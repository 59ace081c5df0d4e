/**
 * The denoiser (x, emb(t)) → out for CPU sampling: the same network as mlpDenoiser
 * (reference/plan-runner.ts) and the GPU kernels, evaluated batch-wise over flat typed arrays with no
 * allocation per point, and with the exact 2×2 input Jacobian by forward-mode tangents only
 * when a likelihood asks for it. It is the float64 twin made fast enough to draw a notebook's
 * samples without WebGPU; tests hold it to mlpDenoiser.
 */
import { activate, activationGrad } from '../../nn/activations';
import { linearLayers, type MlpShape } from '../../nn/mlp-shape';
import { embeddingFrequency, type EmbeddingShape } from '../../nn/reference/embedding';
import { layerActivates, layerEndsBlock } from './denoiser';
import type { CpuDenoiser, DenoiserOutput } from './reference/plan-runner';

/** Points evaluated together in the values-only path. */
const BLOCK = 4;

/** The activation as one function (silu and tanh written out: the hot path calls it a lot). */
function activationFunction(name: MlpShape['activation']): (z: number) => number {
  if (name === 'silu') return (z) => z / (1 + Math.exp(-z));
  if (name === 'tanh') return Math.tanh;
  return (z) => activate(name, z);
}

export function fastMlpDenoiser(
  params: ArrayLike<number>,
  offset: number,
  shape: MlpShape,
  embedding: EmbeddingShape,
  residual = false,
): CpuDenoiser {
  const layers = linearLayers(shape);
  const count = layers.length;
  const weights = Float64Array.from(params);
  const width = Math.max(shape.inputs, shape.hidden, shape.outputs);
  const activates = layers.map((_, l) => layerActivates(residual, l, count));
  const endsBlock = layers.map((_, l) => layerEndsBlock(residual, l, count));
  const half = embedding.features / 2;
  const frequencies = Array.from({ length: half }, (_, k) => embeddingFrequency(embedding, k));
  // Scratch rows: the layer input h, its output z, the block input, and the two tangents of each.
  const rows = Array.from({ length: 9 }, () => new Float64Array(width));
  // Four points at a time for values only: each weight load feeds four multiply-adds.
  const blocks = Array.from({ length: 3 }, () => new Float64Array(BLOCK * width));
  const act = activationFunction(shape.activation);

  /** out for the whole batch, BLOCK points at a time (the last block repeats its last point). */
  function values(x: ArrayLike<number>, batch: number, firstBias: Float64Array): Float64Array {
    const out = new Float64Array(2 * batch);
    const [a, c, skip] = blocks as [Float64Array, Float64Array, Float64Array];
    const [w1, w2, w3] = [width, 2 * width, 3 * width];
    for (let b0 = 0; b0 < batch; b0 += BLOCK) {
      let h = a;
      let z = c;
      for (let s = 0; s < BLOCK; s++) {
        const b = Math.min(b0 + s, batch - 1);
        h[s * width] = x[2 * b]!;
        h[s * width + 1] = x[2 * b + 1]!;
      }
      for (let l = 0; l < count; l++) {
        const layer = layers[l]!;
        const activated = activates[l]!;
        const adds = endsBlock[l]!;
        if (residual && activated) skip.set(h);
        const reads = l === 0 ? embedding.dims : layer.inputs;
        const wBase = offset + layer.weightOffset;
        const bBase = offset + layer.biasOffset;
        for (let o = 0; o < layer.outputs; o++) {
          const bias = l === 0 ? firstBias[o]! : weights[bBase + o]!;
          let [s0, s1, s2, s3] = [bias, bias, bias, bias];
          const row = wBase + o * layer.inputs;
          for (let j = 0; j < reads; j++) {
            const w = weights[row + j]!;
            s0 += w * h[j]!;
            s1 += w * h[w1 + j]!;
            s2 += w * h[w2 + j]!;
            s3 += w * h[w3 + j]!;
          }
          if (adds) {
            s0 += skip[o]!;
            s1 += skip[w1 + o]!;
            s2 += skip[w2 + o]!;
            s3 += skip[w3 + o]!;
          }
          if (activated) [s0, s1, s2, s3] = [act(s0), act(s1), act(s2), act(s3)];
          z[o] = s0;
          z[w1 + o] = s1;
          z[w2 + o] = s2;
          z[w3 + o] = s3;
        }
        [h, z] = [z, h];
      }
      for (let s = 0; s < BLOCK && b0 + s < batch; s++) {
        out[2 * (b0 + s)] = h[s * width]!;
        out[2 * (b0 + s) + 1] = h[s * width + 1]!;
      }
    }
    return out;
  }
  return {
    evaluate(x, batch, time, wantJacobian): DenoiserOutput {
      const [h0, z0, s0, dh0, dh1, dz0, dz1, ds0, ds1] = rows as [
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
      ];
      let h: Float64Array;
      let z: Float64Array;
      let [t0, t1, u0, u1] = [dh0, dh1, dz0, dz1];
      for (let k = 0; k < half; k++) {
        h0[embedding.dims + k] = Math.sin(frequencies[k]! * time.net);
        h0[embedding.dims + half + k] = Math.cos(frequencies[k]! * time.net);
      }
      // The time is the same for the whole batch: its features' share of the first layer is
      // one bias per output, so each point multiplies only its 2 coordinates there.
      const first = layers[0]!;
      const firstBias = new Float64Array(first.outputs);
      for (let o = 0; o < first.outputs; o++) {
        let acc = weights[offset + first.biasOffset + o]!;
        const row = offset + first.weightOffset + o * first.inputs;
        for (let j = embedding.dims; j < first.inputs; j++) acc += weights[row + j]! * h0[j]!;
        firstBias[o] = acc;
      }
      if (!wantJacobian) return { out: values(x, batch, firstBias) };
      const out = new Float64Array(2 * batch);
      const jacobian = wantJacobian ? new Float64Array(4 * batch) : undefined;
      for (let b = 0; b < batch; b++) {
        h = h0;
        z = z0;
        h[0] = x[2 * b]!;
        h[1] = x[2 * b + 1]!;
        if (jacobian) {
          [t0, t1, u0, u1] = [dh0, dh1, dz0, dz1];
          t0.fill(0, 0, shape.inputs);
          t1.fill(0, 0, shape.inputs);
          t0[0] = 1;
          t1[1] = 1;
        }
        for (let l = 0; l < count; l++) {
          const layer = layers[l]!;
          const act = activates[l]!;
          if (residual && act) {
            s0.set(h.subarray(0, layer.inputs));
            if (jacobian) {
              ds0.set(t0.subarray(0, layer.inputs));
              ds1.set(t1.subarray(0, layer.inputs));
            }
          }
          const wBase = offset + layer.weightOffset;
          const bBase = offset + layer.biasOffset;
          // Layer 0 reads the coordinates only (the features are in firstBias); the tangents of
          // the features are 0, so the Jacobian needs no more.
          const reads = l === 0 ? embedding.dims : layer.inputs;
          for (let o = 0; o < layer.outputs; o++) {
            let acc = l === 0 ? firstBias[o]! : weights[bBase + o]!;
            const row = wBase + o * layer.inputs;
            for (let j = 0; j < reads; j++) acc += weights[row + j]! * h[j]!;
            if (jacobian) {
              let a0 = 0;
              let a1 = 0;
              for (let j = 0; j < reads; j++) {
                a0 += weights[row + j]! * t0[j]!;
                a1 += weights[row + j]! * t1[j]!;
              }
              const g = act ? activationGrad(shape.activation, acc) : 1;
              u0[o] = g * a0;
              u1[o] = g * a1;
            }
            z[o] = acc;
          }
          if (endsBlock[l]) {
            for (let o = 0; o < layer.outputs; o++) {
              z[o] = z[o]! + s0[o]!;
              if (jacobian) {
                u0[o] = u0[o]! + ds0[o]!;
                u1[o] = u1[o]! + ds1[o]!;
              }
            }
          }
          if (act) for (let o = 0; o < layer.outputs; o++) z[o] = activate(shape.activation, z[o]!);
          [h, z] = [z, h];
          if (jacobian) [t0, u0, t1, u1] = [u0, t0, u1, t1];
        }
        out[2 * b] = h[0]!;
        out[2 * b + 1] = h[1]!;
        // jacobian[i][k] = ∂out_i/∂x_k.
        jacobian?.set([t0[0]!, t1[0]!, t0[1]!, t1[1]!], 4 * b);
      }
      return jacobian ? { out, jacobian } : { out };
    },
  };
}

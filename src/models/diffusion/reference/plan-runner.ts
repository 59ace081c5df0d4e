/**
 * The float64 twin of the GPU samplers and likelihood: runs a Plan (plan.ts) with any CPU
 * denoiser, drawing the same Philox noise as shaders/diffusion/solver-stage.wgsl. Denoisers:
 * the MLP twin (the GPU model's weights in float64) and the closed forms for Gaussian data.
 */
import { embedConcatForward, type EmbeddingShape } from '../../../nn/reference/embedding';
import { activate, activationGrad } from '../../../nn/activations';
import { linearLayers, type MlpShape } from '../../../nn/mlp-shape';
import { normal4, seedKey } from '../../../rng/philox';
import {
  exactEps,
  exactFlowVelocity,
  exactV,
  type Gaussian2,
  type WithJacobian,
} from '../gaussian';
import { layerActivates, layerEndsBlock } from '../denoiser';
import type { EvalTime, Plan, Prediction } from '../plan';

/** Philox stream of sampler noise ('SAMP'). */
export const SAMPLER_STREAM = 0x53414d50;

export interface DenoiserOutput {
  /** batch × 2 predictions. */
  out: Float64Array;
  /** batch × 4 Jacobians ∂out/∂x, row-major, when asked for. */
  jacobian?: Float64Array;
}

/** A network (or a closed form) evaluated at one time on a batch of 2-D points. */
export interface CpuDenoiser {
  evaluate(x: Float64Array, batch: number, time: EvalTime, jacobian: boolean): DenoiserOutput;
}

/** The noise z of sample `index` at counter step `step` (two of Philox's four normals). */
export function samplerNoise(seed: number, index: number, step: number): [number, number] {
  const n = normal4([index, step, SAMPLER_STREAM, 0], seedKey(seed));
  return [n[0], n[1]];
}

/** batch × 2 initial noise z (step 0) for samples firstIndex … firstIndex + batch − 1. */
export function initialNoise(seed: number, batch: number, firstIndex = 0): Float64Array {
  const z = new Float64Array(2 * batch);
  for (let b = 0; b < batch; b++) z.set(samplerNoise(seed, firstIndex + b, 0), 2 * b);
  return z;
}

export interface PlanResult {
  /** batch × 2 final points x = outputScale·y. */
  x: Float64Array;
  /** Likelihood: log p of each input point, in nats. */
  logProb?: Float64Array;
  /** Trajectory slots, each batch × 2 (x-space). */
  trajectory: Float64Array[];
}

/**
 * Runs the plan. Sampling: `start` is the initial noise z (batch × 2) and `seed` keys the stage
 * noise. Likelihood: `start` is the data.
 */
export function runPlan(
  plan: Plan,
  model: CpuDenoiser,
  start: ArrayLike<number>,
  batch: number,
  seed = 0,
  firstIndex = 0,
): PlanResult {
  const y = Float64Array.from(start, (v) => v * plan.initScale);
  let yEval = Float64Array.from(y);
  const acc = new Float64Array(2 * batch);
  const logAcc = new Float64Array(batch);
  const likelihood = plan.mode === 'likelihood';
  const trajectory: Float64Array[] = [];
  const firstScale = plan.stages[0]?.inputScale ?? plan.outputScale;
  if (plan.snapshots > 0) trajectory.push(y.map((v) => v * firstScale));
  plan.stages.forEach((stage, r) => {
    const input = yEval.map((v) => v * stage.inputScale);
    const { out, jacobian } = model.evaluate(input, batch, stage.time, likelihood);
    for (let b = 0; b < batch; b++) {
      const f0 = stage.cx * yEval[2 * b]! + stage.cn * out[2 * b]!;
      const f1 = stage.cx * yEval[2 * b + 1]! + stage.cn * out[2 * b + 1]!;
      acc[2 * b] = acc[2 * b]! + stage.w * f0;
      acc[2 * b + 1] = acc[2 * b + 1]! + stage.w * f1;
      if (likelihood) {
        const trace = jacobian![4 * b]! + jacobian![4 * b + 3]!;
        const divergence = 2 * stage.cx + stage.cn * stage.inputScale * trace;
        logAcc[b] = logAcc[b]! + stage.w * divergence;
      }
      if (stage.last) {
        const z = stage.sigma > 0 ? samplerNoise(seed, firstIndex + b, stage.noiseStep) : [0, 0];
        for (let d = 0; d < 2; d++) {
          const i = 2 * b + d;
          y[i] = stage.m * y[i]! + acc[i]! + stage.sigma * z[d]!;
          acc[i] = 0;
        }
      } else {
        yEval[2 * b] = y[2 * b]! + stage.a * f0;
        yEval[2 * b + 1] = y[2 * b + 1]! + stage.a * f1;
      }
    }
    if (stage.last) {
      yEval = Float64Array.from(y);
      if (stage.snapshot >= 0) {
        const scale = plan.stages[r + 1]?.inputScale ?? plan.outputScale;
        trajectory.push(y.map((v) => v * scale));
      }
    }
  });
  const x = y.map((v) => v * plan.outputScale);
  if (!likelihood) return { x, trajectory };
  const logProb = new Float64Array(batch);
  const v = plan.priorVariance;
  for (let b = 0; b < batch; b++) {
    const r2 = y[2 * b]! ** 2 + y[2 * b + 1]! ** 2;
    logProb[b] = logAcc[b]! - r2 / (2 * v) - Math.log(2 * Math.PI * v);
  }
  return { x, logProb, trajectory };
}

function closedForm(
  batch: number,
  x: Float64Array,
  at: (p: [number, number]) => WithJacobian,
): DenoiserOutput {
  const out = new Float64Array(2 * batch);
  const jacobian = new Float64Array(4 * batch);
  for (let b = 0; b < batch; b++) {
    const r = at([x[2 * b]!, x[2 * b + 1]!]);
    out.set(r.value, 2 * b);
    jacobian.set(r.jacobian, 4 * b);
  }
  return { out, jacobian };
}

/** The perfect diffusion denoiser for Gaussian data (ε or v). */
export function gaussianDiffusionDenoiser(g: Gaussian2, prediction: Prediction): CpuDenoiser {
  return {
    evaluate: (x, batch, time) =>
      closedForm(batch, x, (p) =>
        prediction === 'eps' ? exactEps(g, time.alphaBar, p) : exactV(g, time.alphaBar, p),
      ),
  };
}

/** The perfect flow-matching velocity for Gaussian data. */
export function gaussianFlowDenoiser(g: Gaussian2): CpuDenoiser {
  return {
    evaluate: (x, batch, time) => closedForm(batch, x, (p) => exactFlowVelocity(g, time.t, p)),
  };
}

/**
 * The denoiser (x, emb(t)) → out in float64, with its exact 2×2 input Jacobian by forward-mode
 * differentiation (the twin of shaders/diffusion/mlp-jvp.wgsl and of the GPU networks).
 * `residual`: the 'resmlp' architecture over the same chain of layers (denoiser.ts).
 */
export function mlpDenoiser(
  params: ArrayLike<number>,
  offset: number,
  shape: MlpShape,
  embedding: EmbeddingShape,
  residual = false,
): CpuDenoiser {
  const layers = linearLayers(shape);
  const count = layers.length;
  return {
    evaluate(x, batch, time, wantJacobian) {
      const t = new Float64Array(batch).fill(time.net);
      const input = embedConcatForward(embedding, x, t, batch);
      const out = new Float64Array(2 * batch);
      const jacobian = wantJacobian ? new Float64Array(4 * batch) : undefined;
      for (let b = 0; b < batch; b++) {
        let h = input.subarray(b * shape.inputs, (b + 1) * shape.inputs) as ArrayLike<number>;
        // Tangents dh/dx_k for k = 0, 1: the x coordinates are the first two inputs.
        let dh = [0, 1].map((k) => Float64Array.from(h, (_, j) => (j === k ? 1 : 0)));
        // The input of the current residual block and its tangents.
        let skip = h;
        let dskip = dh;
        layers.forEach((layer, l) => {
          const activates = layerActivates(residual, l, count);
          if (residual && activates) [skip, dskip] = [h, dh];
          const z = new Float64Array(layer.outputs);
          const dz = [new Float64Array(layer.outputs), new Float64Array(layer.outputs)];
          for (let o = 0; o < layer.outputs; o++) {
            let acc = params[offset + layer.biasOffset + o]!;
            let t0 = 0;
            let t1 = 0;
            for (let j = 0; j < layer.inputs; j++) {
              const w = params[offset + layer.weightOffset + o * layer.inputs + j]!;
              acc += w * h[j]!;
              t0 += w * dh[0]![j]!;
              t1 += w * dh[1]![j]!;
            }
            z[o] = acc;
            const g = activates ? activationGrad(shape.activation, acc) : 1;
            dz[0]![o] = g * t0;
            dz[1]![o] = g * t1;
          }
          if (layerEndsBlock(residual, l, count)) {
            for (let o = 0; o < layer.outputs; o++) {
              z[o] = z[o]! + skip[o]!;
              dz[0]![o] = dz[0]![o]! + dskip[0]![o]!;
              dz[1]![o] = dz[1]![o]! + dskip[1]![o]!;
            }
          }
          h = activates ? z.map((v) => activate(shape.activation, v)) : z;
          dh = dz;
        });
        out[2 * b] = h[0]!;
        out[2 * b + 1] = h[1]!;
        // jacobian[i][k] = ∂out_i/∂x_k.
        jacobian?.set([dh[0]![0]!, dh[1]![0]!, dh[0]![1]!, dh[1]![1]!], 4 * b);
      }
      return jacobian ? { out, jacobian } : { out };
    },
  };
}

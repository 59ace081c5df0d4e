/**
 * Float64 twin of NICE (shaders/image-flows/nice-coupling.wgsl and scaling-prior.wgsl): forward
 * with log|det J|, inverse, the prior, the training loss and its parameter gradients, and the
 * prior draws of sample(). Images are rows of D values (batch × D, row-major), y ∈ [0, 1)^D.
 *
 * The training loss is the mean negative log-likelihood in bits per dimension on 8-bit pixels:
 *   term_b = −(log p_Z(z_b) + Σ_d s_d + preLogDet_b) / (D ln 2 · batch)
 * where preLogDet_b is the pre-processing's log|det ∂y/∂v| (−D ln 256 for the 'unit' map).
 */
import { mlpBackward, mlpForward, type MlpCache } from '../../nn/reference/dense';
import { normal4, seedKey, uniform4 } from '../../rng/philox';
import {
  niceConditionerShape,
  niceDims,
  niceLayout,
  type ImageFlowPrior,
  type ResolvedNiceSpec,
} from './nice-spec';

type Floats = ArrayLike<number>;

/** Philox stream of the prior draws of sample() ("NICE"). */
export const NICE_PRIOR_STREAM = 0x4e494345;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log p(z) of one coordinate under the prior. */
export function logPrior(prior: ImageFlowPrior, z: number): number {
  if (prior === 'gaussian') return -0.5 * z * z - HALF_LOG_2PI;
  // Logistic: −softplus(z) − softplus(−z), written so that it never overflows.
  const a = Math.abs(z);
  return -a - 2 * Math.log1p(Math.exp(-a));
}

/** d log p(z) / dz. */
export function logPriorGrad(prior: ImageFlowPrior, z: number): number {
  return prior === 'gaussian' ? -z : -Math.tanh(0.5 * z);
}

/** The values x[b, 2k + parity] (k = 0 … D/2 − 1) of every row. */
function takeHalf(x: Floats, batch: number, dims: number, parity: number): Float64Array {
  const half = dims / 2;
  const out = new Float64Array(batch * half);
  for (let b = 0; b < batch; b++)
    for (let k = 0; k < half; k++) out[b * half + k] = x[b * dims + 2 * k + parity]!;
  return out;
}

/** x[b, 2k + parity] += sign · values[b, k], in place. */
function addHalf(
  x: Float64Array,
  values: Floats,
  batch: number,
  dims: number,
  parity: number,
  sign: number,
): void {
  const half = dims / 2;
  for (let b = 0; b < batch; b++)
    for (let k = 0; k < half; k++) x[b * dims + 2 * k + parity]! += sign * values[b * half + k]!;
}

export interface NiceForward {
  z: Float64Array;
  /** h: the couplings' output, before the scaling. */
  h: Float64Array;
  /** log|det ∂z/∂y| = Σ_d s_d (the same for every image: the couplings preserve volume). */
  logDet: number;
  /** Each conditioner's MLP cache (for the backward pass). */
  caches: MlpCache[];
}

/** z = f(y) for `batch` rows of D values. */
export function niceForwardCpu(
  spec: ResolvedNiceSpec,
  params: Floats,
  y: Floats,
  batch: number,
): NiceForward {
  const dims = niceDims(spec);
  const { conditioners, scale } = niceLayout(spec);
  const mlp = niceConditionerShape(spec);
  const x = Float64Array.from(y);
  const caches: MlpCache[] = [];
  conditioners.forEach((offset, l) => {
    const parity = l % 2;
    const { y: m, cache } = mlpForward(
      params,
      offset,
      mlp,
      takeHalf(x, batch, dims, parity),
      batch,
    );
    addHalf(x, m, batch, dims, 1 - parity, 1);
    caches.push(cache);
  });
  const z = new Float64Array(x.length);
  let logDet = 0;
  for (let d = 0; d < dims; d++) logDet += params[scale + d]!;
  for (let i = 0; i < x.length; i++) z[i] = x[i]! * Math.exp(params[scale + (i % dims)]!);
  return { z, h: x, logDet, caches };
}

/** y = f⁻¹(z). */
export function niceInverseCpu(
  spec: ResolvedNiceSpec,
  params: Floats,
  z: Floats,
  batch: number,
): Float64Array {
  const dims = niceDims(spec);
  const { conditioners, scale } = niceLayout(spec);
  const mlp = niceConditionerShape(spec);
  const x = new Float64Array(z.length);
  for (let i = 0; i < x.length; i++) x[i] = z[i]! * Math.exp(-params[scale + (i % dims)]!);
  for (let l = conditioners.length - 1; l >= 0; l--) {
    const parity = l % 2;
    const { y: m } = mlpForward(
      params,
      conditioners[l]!,
      mlp,
      takeHalf(x, batch, dims, parity),
      batch,
    );
    addHalf(x, m, batch, dims, 1 - parity, -1);
  }
  return x;
}

/** log p(y) of each row in nats, plus `preLogDet[b]` (the pre-processing's log-det, if any). */
export function niceLogProbCpu(
  spec: ResolvedNiceSpec,
  params: Floats,
  y: Floats,
  batch: number,
  preLogDet?: Floats,
): Float64Array {
  const dims = niceDims(spec);
  const { z, logDet } = niceForwardCpu(spec, params, y, batch);
  const out = new Float64Array(batch);
  for (let b = 0; b < batch; b++) {
    let sum = logDet + (preLogDet?.[b] ?? 0);
    for (let d = 0; d < dims; d++) sum += logPrior(spec.prior, z[b * dims + d]!);
    out[b] = sum;
  }
  return out;
}

/** The training loss (mean bits/dim) and its gradient with respect to every parameter. */
export function niceLossGradCpu(
  spec: ResolvedNiceSpec,
  params: Floats,
  y: Floats,
  batch: number,
  preLogDet: Floats,
): { loss: number; grads: Float64Array } {
  const dims = niceDims(spec);
  const { layout, conditioners, scale } = niceLayout(spec);
  const mlp = niceConditionerShape(spec);
  const forward = niceForwardCpu(spec, params, y, batch);
  const weight = 1 / (dims * Math.LN2 * batch);
  const logProbs = niceLogProbCpu(spec, params, y, batch, preLogDet);
  let loss = 0;
  for (let b = 0; b < batch; b++) loss -= logProbs[b]! * weight;
  const grads = new Float64Array(layout.total);
  // dL/dh through the scaling, and dL/ds (the prior term and the −Σ s of the log-det).
  const g = new Float64Array(batch * dims);
  for (let d = 0; d < dims; d++) {
    const e = Math.exp(params[scale + d]!);
    let gs = 0;
    for (let b = 0; b < batch; b++) {
      const z = forward.z[b * dims + d]!;
      const gz = -weight * logPriorGrad(spec.prior, z);
      g[b * dims + d] = gz * e;
      gs += gz * z - weight;
    }
    grads[scale + d] = gs;
  }
  for (let l = conditioners.length - 1; l >= 0; l--) {
    const parity = l % 2;
    // x_b = x_b' + m(x_a): dL/dm = dL/dx_b; dL/dx_a += mᵀ(dL/dm).
    const gm = takeHalf(g, batch, dims, 1 - parity);
    const gxa = mlpBackward(params, conditioners[l]!, mlp, forward.caches[l]!, gm, batch, grads);
    addHalf(g, gxa, batch, dims, parity, 1);
  }
  return { loss, grads };
}

/**
 * `total` prior draws of an image flow's sample() (NICE, RealNVP, Glow: one Philox stream),
 * scaled by the temperature: z = temperature · ε, ε ~ prior.
 */
export function imageFlowPriorDrawsCpu(
  prior: ImageFlowPrior,
  total: number,
  seed: number,
  temperature: number,
): Float64Array {
  const key = seedKey(seed);
  const z = new Float64Array(total);
  for (let q = 0; 4 * q < total; q++) {
    const counter = [q, 0, NICE_PRIOR_STREAM, 0] as const;
    const draws =
      prior === 'gaussian'
        ? normal4(counter, key)
        : uniform4(counter, key).map((u) => Math.log(u) - Math.log1p(-u));
    for (let j = 0; j < 4 && 4 * q + j < total; j++) z[4 * q + j] = temperature * draws[j]!;
  }
  return z;
}

/** The prior draws of sample(n, { seed, temperature }): z = temperature · ε, ε ~ prior. */
export function nicePriorSampleCpu(
  spec: ResolvedNiceSpec,
  count: number,
  seed: number,
  temperature: number,
): Float64Array {
  return imageFlowPriorDrawsCpu(spec.prior, count * niceDims(spec), seed, temperature);
}

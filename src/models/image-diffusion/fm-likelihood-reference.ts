/**
 * Float64 twin of flow matching's likelihood through the probability-flow ODE
 * (fm-likelihood.ts, shaders/image-diffusion/fm-likelihood.wgsl). The model's ODE dx/dt = v̂(x, t)
 * carries data (t = 0) to the prior N(0, I) (t = 1); along it d log p_t(x_t)/dt = −div v̂, so
 *   log p₀(x₀) = log N(x₁; 0, I) + ∫₀¹ div v̂(x_t, t) dt,
 * integrated with the sampler's own solver (Euler, Heun, RK4) run forwards in time on the grid
 * t_k = k/steps. div v̂ = tr(∂v̂/∂x) is Hutchinson's estimate εᵀ(∂v̂/∂x)ᵀε with a Rademacher probe ε
 * fixed along each trajectory (one batch row per image and probe), or, with `exactTrace`, the
 * trace of the full Jacobian (one vector-Jacobian product per dimension: tiny images only).
 */
import { unetBackward, unetForward, type UNetShape } from '../../nn/reference/unet';
import { philox4x32_10, seedKey } from '../../rng/philox';
import type { ImageFmSampler } from './fm-spec';

type Floats = ArrayLike<number>;

/** Philox stream of the Hutchinson probes ("FMPR"). */
export const FM_PROBE_STREAM = 0x464d5052;

const LOG_2PI = Math.log(2 * Math.PI);

/** `count` Rademacher signs: bit 31 of word i mod 4 of block (i / 4, 0, FM_PROBE_STREAM, 0). */
export function fmProbeSignsCpu(count: number, seed: number): Float64Array {
  const key = seedKey(seed);
  const out = new Float64Array(count);
  const bits = new Uint32Array(4);
  for (let i = 0; i < count; i++) {
    if (i % 4 === 0) philox4x32_10([i / 4, 0, FM_PROBE_STREAM, 0], key, bits);
    out[i] = bits[i % 4]! >>> 31 ? -1 : 1;
  }
  return out;
}

/** The time of grid point j/2 steps after t = 0 (j = 2k: t_k; odd j: RK4 midpoints). */
export function fmLikelihoodTime(j: number, steps: number): number {
  return j / (2 * steps);
}

/** log N(x; 0, I) of each row of `dims` values. */
export function standardNormalLogDensity(x: Floats, dims: number): Float64Array {
  const rows = x.length / dims;
  return Float64Array.from({ length: rows }, (_, r) => {
    let squares = 0;
    for (let i = 0; i < dims; i++) squares += x[r * dims + i]! ** 2;
    return -0.5 * squares - 0.5 * dims * LOG_2PI;
  });
}

export interface FmLikelihoodRows {
  /** log N(x₁) per row (image-major: row i · probes + j is image i, probe j). */
  logPrior: Float64Array;
  /** ∫₀¹ div v̂ dt per row (Hutchinson's estimate with that row's probe, or the exact trace). */
  divergence: Float64Array;
  /** log p₀(x₀) = logPrior + divergence, nats in model space. */
  logProb: Float64Array;
}

/**
 * log p₀ of n images x₀ (n × C × H × W values in model space) of an unconditional net (a
 * class-conditional one is evaluated with the null class), one row per image and probe.
 */
export function fmLogLikelihoodCpu(
  params: Floats,
  offset: number,
  shape: UNetShape,
  x0: Floats,
  n: number,
  options: {
    sampler: ImageFmSampler;
    steps: number;
    probes: number;
    seed: number;
    exactTrace?: boolean;
  },
): FmLikelihoodRows {
  const { sampler, steps, probes } = options;
  const dims = shape.channels * shape.height * shape.width;
  const rows = n * probes;
  const values = rows * dims;
  const x = new Float64Array(values);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < dims; i++) x[r * dims + i] = x0[Math.floor(r / probes) * dims + i]!;
  }
  const probe = fmProbeSignsCpu(values, options.seed);
  const divergence = new Float64Array(rows);
  const grads = new Float64Array(params.length);
  const h = 1 / steps;
  /** v̂ at (input, t_j/2) and c · (div estimate) added to each row's integral. */
  const stage = (input: Floats, j: number, c: number): Float64Array => {
    const t = new Array<number>(rows).fill(Math.fround(fmLikelihoodTime(j, steps)));
    const { y, cache } = unetForward(params, offset, shape, input, t, rows);
    const products = (vectors: Floats) =>
      unetBackward(params, offset, shape, cache, vectors, rows, grads);
    if (options.exactTrace) {
      for (let d = 0; d < dims; d++) {
        const basis = new Float64Array(values);
        for (let r = 0; r < rows; r++) basis[r * dims + d] = 1;
        const g = products(basis);
        for (let r = 0; r < rows; r++) divergence[r] = divergence[r]! + c * g[r * dims + d]!;
      }
    } else {
      const g = products(probe);
      for (let r = 0; r < rows; r++) {
        let dot = 0;
        for (let i = r * dims; i < (r + 1) * dims; i++) dot += probe[i]! * g[i]!;
        divergence[r] = divergence[r]! + c * dot;
      }
    }
    return y;
  };
  const plus = (a: Floats, c: number, b: Floats) => Float64Array.from(a, (v, i) => v + c * b[i]!);
  for (let k = 0; k < steps; k++) {
    if (sampler === 'euler') {
      const v = stage(x, 2 * k, h);
      for (let i = 0; i < values; i++) x[i] = x[i]! + h * v[i]!;
      continue;
    }
    if (sampler === 'heun') {
      const k1 = stage(x, 2 * k, h / 2);
      const k2 = stage(plus(x, h, k1), 2 * k + 2, h / 2);
      for (let i = 0; i < values; i++) x[i] = x[i]! + (h / 2) * (k1[i]! + k2[i]!);
      continue;
    }
    const k1 = stage(x, 2 * k, h / 6);
    const k2 = stage(plus(x, h / 2, k1), 2 * k + 1, h / 3);
    const k3 = stage(plus(x, h / 2, k2), 2 * k + 1, h / 3);
    const k4 = stage(plus(x, h, k3), 2 * k + 2, h / 6);
    for (let i = 0; i < values; i++)
      x[i] = x[i]! + (h / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
  }
  const logPrior = standardNormalLogDensity(x, dims);
  return { logPrior, divergence, logProb: logPrior.map((v, r) => v + divergence[r]!) };
}

/**
 * Float64 twin of image flow-matching sampling (shaders/image-diffusion/fm-sampler.wgsl around
 * the U-Net twin): the prior draws and the Euler, Heun and RK4 integrations of dx/dt = v̂(x, t) from
 * t = 1 to t = 0 on the uniform grid t_k = 1 − k/steps. The network sees t as float32, as the
 * GPU's time table holds it.
 */
import type { UNetShape } from '../../nn/reference/unet';
import { guidedOutput, type Guidance } from './guidance-reference';
import { normal4, philox4x32_10, seedKey, unitFromBits } from '../../rng/philox';
import type { ImageFmSampler } from './fm-spec';

type Floats = ArrayLike<number>;

/** Philox stream of the prior draws ("FMNZ"). */
export const FM_PRIOR_STREAM = 0x464d4e5a;

/** `values` standard normals: four per block, counter (q, 0, FM_PRIOR_STREAM, 0). */
export function fmPriorNoiseCpu(values: number, seed: number): Float64Array {
  const key = seedKey(seed);
  const out = new Float64Array(values);
  for (let q = 0; 4 * q < values; q++) {
    const draws = normal4([q, 0, FM_PRIOR_STREAM, 0], key);
    for (let j = 0; j < 4 && 4 * q + j < values; j++) out[4 * q + j] = draws[j]!;
  }
  return out;
}

/** The time of the grid point j/2 steps before t = 1 (j = 2k: t_k; odd j: RK4 midpoints). */
export function fmHalfGridTime(j: number, steps: number): number {
  return 1 - j / (2 * steps);
}

/**
 * n samples in model space ([−1, 1] for data): the ODE from the prior draws of `seed`, or from
 * given latents `noise` (n × C × H × W values at t = 1).
 */
export function fmSampleCpu(
  params: Floats,
  offset: number,
  shape: UNetShape,
  n: number,
  options: {
    seed: number;
    sampler: ImageFmSampler;
    steps: number;
    noise?: Floats;
    guidance?: Guidance;
    /** Called with x after k steps, k = 0 … steps (the film strip's twin; x is live: copy it). */
    onStep?: (k: number, x: Float64Array) => void;
    /** From t = 0 to 1 (encode: `noise` holds the images), the grid and steps reversed. */
    backwards?: boolean;
  },
): Float64Array {
  const values = n * shape.channels * shape.height * shape.width;
  const x = options.noise
    ? Float64Array.from(options.noise)
    : fmPriorNoiseCpu(values, options.seed);
  const { steps } = options;
  const h = (options.backwards ? -1 : 1) / steps;
  const velocity = (input: Floats, j: number) =>
    guidedOutput(
      params,
      offset,
      shape,
      input,
      new Array<number>(n).fill(
        Math.fround(fmHalfGridTime(options.backwards ? 2 * steps - j : j, steps)),
      ),
      n,
      options.guidance,
    );
  const plus = (a: Floats, c: number, b: Floats) => Float64Array.from(a, (v, i) => v + c * b[i]!);
  for (let k = 0; k < steps; k++) {
    options.onStep?.(k, x);
    if (options.sampler === 'euler') {
      const v = velocity(x, 2 * k);
      for (let i = 0; i < values; i++) x[i] = x[i]! - h * v[i]!;
      continue;
    }
    if (options.sampler === 'heun') {
      const k1 = velocity(x, 2 * k);
      const k2 = velocity(plus(x, -h, k1), 2 * k + 2);
      for (let i = 0; i < values; i++) x[i] = x[i]! - (h / 2) * (k1[i]! + k2[i]!);
      continue;
    }
    const k1 = velocity(x, 2 * k);
    const k2 = velocity(plus(x, -h / 2, k1), 2 * k + 1);
    const k3 = velocity(plus(x, -h / 2, k2), 2 * k + 1);
    const k4 = velocity(plus(x, -h, k3), 2 * k + 2);
    for (let i = 0; i < values; i++)
      x[i] = x[i]! - (h / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
  }
  options.onStep?.(steps, x);
  return x;
}

/** Philox stream of the training batches' t and ε ("FMTR"). */
export const FM_TRAIN_STREAM = 0x464d5452;

/**
 * The twin of shaders/image-diffusion/fm-batch.wgsl for one step: given the step's x₀ (batch ×
 * D, model space), t per sample, ε per value, the U-Net input x_t and the target v = ε − x₀.
 */
export function fmBatchTwin(x0: Floats, batch: number, seed: number, step: number) {
  const key = seedKey(seed);
  const values = x0.length;
  const dims = values / batch;
  const time = Float64Array.from({ length: batch }, (_, b) =>
    unitFromBits(philox4x32_10([b, step, FM_TRAIN_STREAM, 0], key)[0]!),
  );
  const noised = new Float64Array(values);
  const target = new Float64Array(values);
  for (let q = 0; 4 * q < values; q++) {
    const eps = normal4([q, step, FM_TRAIN_STREAM, 1], key);
    for (let j = 0; j < 4 && 4 * q + j < values; j++) {
      const i = 4 * q + j;
      const t = time[Math.floor(i / dims)]!;
      noised[i] = (1 - t) * x0[i]! + t * eps[j]!;
      target[i] = eps[j]! - x0[i]!;
    }
  }
  return { time, noised, target };
}

/**
 * Float64 twin of image DDPM sampling and training batches (shaders/image-diffusion/
 * ddpm-sampler.wgsl and ddpm-batch.wgsl around the U-Net twin). The steps are the 2-D models'
 * stages (diffusionSamplePlan with ε-prediction): x ← m·x + w·ε̂ + σ·z from x_T ~ N(0, I).
 */
import type { UNetShape } from '../../nn/reference/unet';
import { guidedOutput, type Guidance } from './guidance-reference';
import { normal4, philox4x32_10, seedKey } from '../../rng/philox';
import { diffusionSamplePlan, type Plan } from '../diffusion/plan';
import type { ScheduleTable } from '../diffusion/schedule';
import type { ImageDdpmSampler } from './ddpm-spec';

type Floats = ArrayLike<number>;

/** Philox stream of the sampler's draws ("DDSM"): step 0 the prior, step k the k-th step's z. */
export const DDPM_SAMPLER_STREAM = 0x4444534d;
/** Philox stream of the training batches' t and ε ("DDTR"). */
export const DDPM_TRAIN_STREAM = 0x44445452;

export interface DdpmSampleOptions {
  sampler: ImageDdpmSampler;
  /** DDIM's steps (default min(50, T)); DDPM takes all T. */
  steps?: number;
  /** DDIM's η ∈ [0, 1] (default 0: deterministic). */
  eta?: number;
}

/** The sampler's steps as the 2-D models' plan (ε-prediction). */
export function ddpmPlan(table: ScheduleTable, options: DdpmSampleOptions): Plan {
  return diffusionSamplePlan(table, 'eps', {
    sampler: options.sampler,
    ...(options.sampler === 'ddim' ? { steps: options.steps, eta: options.eta ?? 0 } : {}),
  });
}

/** `values` standard normals of the sampler's `step` (0: the prior): counter (q, step, stream, 0). */
export function ddpmNoiseCpu(values: number, seed: number, step: number): Float64Array {
  const key = seedKey(seed);
  const out = new Float64Array(values);
  for (let q = 0; 4 * q < values; q++) {
    const draws = normal4([q, step, DDPM_SAMPLER_STREAM, 0], key);
    for (let j = 0; j < 4 && 4 * q + j < values; j++) out[4 * q + j] = draws[j]!;
  }
  return out;
}

/**
 * n samples in model space: the plan's steps from the draws `noise(step)` (step 0 the prior;
 * default the float64 Philox draws of `seed`: pass the GPU's own draws to compare samplers
 * without the f32 Box–Muller's ~1e-3).
 */
export function ddpmSampleCpu(
  params: Floats,
  offset: number,
  shape: UNetShape,
  table: ScheduleTable,
  n: number,
  options: DdpmSampleOptions & {
    seed: number;
    noise?: (step: number) => Floats;
    guidance?: Guidance;
    /** Called with x after k stages, k = 0 … stages (the film strip's twin; x is live: copy it). */
    onStep?: (k: number, x: Float64Array) => void;
  },
): Float64Array {
  const values = n * shape.channels * shape.height * shape.width;
  const draw = options.noise ?? ((step: number) => ddpmNoiseCpu(values, options.seed, step));
  const x = Float64Array.from(draw(0));
  const stages = ddpmPlan(table, options).stages;
  stages.forEach((stage, k) => {
    options.onStep?.(k, x);
    const time = new Array<number>(n).fill(Math.fround(stage.time.net));
    const eps = guidedOutput(params, offset, shape, x, time, n, options.guidance);
    const z = stage.sigma > 0 ? draw(stage.noiseStep) : undefined;
    for (let i = 0; i < values; i++) {
      x[i] = stage.m * x[i]! + stage.w * eps[i]! + (z ? stage.sigma * z[i]! : 0);
    }
  });
  options.onStep?.(stages.length, x);
  return x;
}

/**
 * The twin of ddpm-batch.wgsl for one step: given the step's x₀ (batch × D, model space), the
 * step index t per sample, x_t and the target ε.
 */
export function ddpmBatchTwin(
  x0: Floats,
  batch: number,
  table: ScheduleTable,
  seed: number,
  step: number,
) {
  const key = seedKey(seed);
  const values = x0.length;
  const dims = values / batch;
  const time = Float64Array.from({ length: batch }, (_, b) =>
    Math.floor(
      (philox4x32_10([b, step, DDPM_TRAIN_STREAM, 0], key)[0]! * table.timesteps) / 2 ** 32,
    ),
  );
  const noised = new Float64Array(values);
  const noise = new Float64Array(values);
  for (let q = 0; 4 * q < values; q++) {
    const eps = normal4([q, step, DDPM_TRAIN_STREAM, 1], key);
    for (let j = 0; j < 4 && 4 * q + j < values; j++) {
      const i = 4 * q + j;
      const t = time[Math.floor(i / dims)]!;
      noise[i] = eps[j]!;
      noised[i] = table.sqrtAlphaBar[t]! * x0[i]! + table.sqrtOneMinusAlphaBar[t]! * eps[j]!;
    }
  }
  return { time, noised, noise };
}

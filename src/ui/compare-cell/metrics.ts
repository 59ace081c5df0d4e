/**
 * The Compare cell's metrics, in float64 on the page (pure TS: no GPU, no worker). The worker
 * supplies samples and log-densities; these turn them into numbers with their sampling error.
 */
import type { ModelSettings, SamplerName } from '../../notebook';

/** bits/dim = nats / (d · ln 2) with d = 2 for the playground's 2-D data. */
export const NATS_TO_BITS_PER_DIM = 1 / (2 * Math.LN2);

/** The energy distance is O(n²): at most this many points of each set enter it. */
export const ENERGY_POINTS = 1024;

export interface Estimate {
  value: number;
  /** Standard error of the mean (sampling error of the estimate). */
  stderr: number;
}

/** Mean and standard error of the mean; non-finite values make the estimate NaN (not hidden). */
export function meanWithError(values: ArrayLike<number>): Estimate {
  const n = values.length;
  if (n === 0) return { value: Number.NaN, stderr: Number.NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
  return { value: mean, stderr: n > 1 ? Math.sqrt(squares / (n - 1) / n) : Number.NaN };
}

/** Negative log-likelihood in nats, −E_data[log p_model(x)], from log p_model at data samples. */
export function nll(modelLogProbAtData: ArrayLike<number>): Estimate {
  const { value, stderr } = meanWithError(modelLogProbAtData);
  return { value: -value, stderr };
}

/**
 * KL(data ‖ model) = E_data[log p_data(x) − log p_model(x)], estimated on data samples where the
 * data density is known exactly (the built-in datasets).
 */
export function klDataModel(
  dataLogProb: ArrayLike<number>,
  modelLogProbAtData: ArrayLike<number>,
): Estimate {
  if (dataLogProb.length !== modelLogProbAtData.length) {
    throw new RangeError(
      `KL needs one data and one model log-density per point, got ${dataLogProb.length} and ${modelLogProbAtData.length}.`,
    );
  }
  const gaps = new Float64Array(dataLogProb.length);
  for (let i = 0; i < gaps.length; i++) gaps[i] = dataLogProb[i]! - modelLogProbAtData[i]!;
  return meanWithError(gaps);
}

/**
 * Squared energy distance D² = 2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ (Székely & Rizzo), with the
 * unbiased within-set means over pairs i ≠ j, on flat 2-D points (x0, y0, x1, y1, …). Zero in
 * expectation iff the distributions are equal. Only the first ENERGY_POINTS of each set are used.
 */
export function energyDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(Math.floor(a.length / 2), ENERGY_POINTS);
  const m = Math.min(Math.floor(b.length / 2), ENERGY_POINTS);
  if (n < 2 || m < 2) {
    throw new RangeError(
      `The energy distance needs two sets of at least 2 points, got ${n} and ${m}.`,
    );
  }
  const mean = (
    p: ArrayLike<number>,
    np: number,
    q: ArrayLike<number>,
    nq: number,
    same: boolean,
  ) => {
    let sum = 0;
    for (let i = 0; i < np; i++) {
      const px = p[2 * i]!;
      const py = p[2 * i + 1]!;
      for (let j = same ? i + 1 : 0; j < nq; j++)
        sum += Math.hypot(px - q[2 * j]!, py - q[2 * j + 1]!);
    }
    return same ? sum / ((np * (np - 1)) / 2) : sum / (np * nq);
  };
  return 2 * mean(a, n, b, m, false) - mean(a, n, a, n, true) - mean(b, m, b, m, true);
}

/** Network evaluations per solver step of each sampler (its Butcher tableau's stages). */
const EVALUATIONS_PER_STEP: Record<SamplerName, number> = {
  ddpm: 1,
  ddim: 1,
  'pf-euler': 1,
  'pf-heun': 2,
  euler: 1,
  midpoint: 2,
  heun: 2,
  rk4: 4,
};

/**
 * Network evaluations to draw one sample: a flow inverts in one pass; DDPM's ancestral sampler
 * walks all T levels; the other samplers take `steps` solver steps (at most T for DDPM models)
 * of their method's stages. Mirrors the sampler plans of src/models/diffusion/plan.ts.
 */
export function samplingNfe(model: ModelSettings, sampler: SamplerName, steps: number): number {
  if (model.family === 'flow') return 1;
  if (model.kind === 'ddpm') {
    if (sampler === 'ddpm') return model.timesteps;
    return Math.min(steps, model.timesteps) * EVALUATIONS_PER_STEP[sampler];
  }
  return steps * EVALUATIONS_PER_STEP[sampler];
}

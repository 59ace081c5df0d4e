/**
 * Noise schedules of discrete diffusion (DDPM, Ho et al. 2020) and every coefficient the
 * forward process and the samplers use, precomputed once in float64 (one line per use, as in
 * tiny-diffusion). Index convention: t = 0 … T−1, ᾱ_t = ∏_{s ≤ t} (1 − β_s), and
 *   q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I).
 *
 * Continuous time (for the probability-flow ODE and likelihoods): the normalised time
 * τ ∈ [0, 1] maps to the continuous index t = τ·T − 1, so τ = 0 is the clean data (ᾱ = 1) and
 * τ = 1 the last step. Between integer indices σ̄ = √((1 − ᾱ)/ᾱ) is interpolated linearly in t;
 * ᾱ(t) = 1/(1 + σ̄(t)²). At integer indices the continuous schedule equals the table exactly.
 */

export type ScheduleKind = 'linear' | 'cosine';

export interface ScheduleSpec {
  kind: ScheduleKind;
  /** Number of diffusion steps T, an integer in [MIN_TIMESTEPS, MAX_TIMESTEPS]. */
  timesteps: number;
  /**
   * linear: first and last β. Default 1e-4·(1000/T) and 0.02·(1000/T) (Nichol & Dhariwal's
   * scaling, equal to Ho et al.'s 1e-4 → 0.02 at T = 1000), so x_T is close to N(0, I) for any T.
   */
  betaStart?: number;
  betaEnd?: number;
  /** cosine: the offset s of f(τ) = cos²((τ + s)/(1 + s) · π/2). Default 0.008. */
  offset?: number;
  /** Every β is capped here (default 0.999, as Nichol & Dhariwal do for the cosine schedule). */
  maxBeta?: number;
}

export const MIN_TIMESTEPS = 10;
export const MAX_TIMESTEPS = 1000;

/** All per-step coefficients, each an array of length T indexed by t. */
export interface ScheduleTable {
  readonly kind: ScheduleKind;
  readonly timesteps: number;
  readonly beta: Float64Array;
  /** α_t = 1 − β_t. */
  readonly alpha: Float64Array;
  /** ᾱ_t = ∏_{s ≤ t} α_s. */
  readonly alphaBar: Float64Array;
  /** ᾱ_{t−1}, with ᾱ_{−1} = 1. */
  readonly alphaBarPrev: Float64Array;
  /** √ᾱ_t: the signal scale of x_t. */
  readonly sqrtAlphaBar: Float64Array;
  /** √(1 − ᾱ_t): the noise scale σ_t of x_t. */
  readonly sqrtOneMinusAlphaBar: Float64Array;
  /** σ̄_t = √((1 − ᾱ_t)/ᾱ_t): the noise level of y = x/√ᾱ (the PF-ODE's variable). */
  readonly sigmaBar: Float64Array;
  /** β̃_t = β_t (1 − ᾱ_{t−1})/(1 − ᾱ_t): the variance of the posterior q(x_{t−1} | x_t, x_0). */
  readonly posteriorVariance: Float64Array;
  /** Posterior mean μ̃ = posteriorMeanX0·x_0 + posteriorMeanXt·x_t. */
  readonly posteriorMeanX0: Float64Array;
  readonly posteriorMeanXt: Float64Array;
}

export type ResolvedSchedule = Required<ScheduleSpec>;

function checkRange(field: string, value: number, min: number, max: number, integer = false) {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new RangeError(
      `${field} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(value)}.`,
    );
  }
}

/** Fills defaults and validates every field (errors name the field and its range). */
export function resolveSchedule(spec: ScheduleSpec, owner = 'schedule'): ResolvedSchedule {
  if (spec.kind !== 'linear' && spec.kind !== 'cosine') {
    throw new RangeError(
      `${owner}.kind must be 'linear' or 'cosine', got ${JSON.stringify(spec.kind)}.`,
    );
  }
  checkRange(`${owner}.timesteps`, spec.timesteps, MIN_TIMESTEPS, MAX_TIMESTEPS, true);
  const scale = 1000 / spec.timesteps;
  const resolved: ResolvedSchedule = {
    kind: spec.kind,
    timesteps: spec.timesteps,
    betaStart: spec.betaStart ?? 1e-4 * scale,
    betaEnd: spec.betaEnd ?? 0.02 * scale,
    offset: spec.offset ?? 0.008,
    maxBeta: spec.maxBeta ?? 0.999,
  };
  checkRange(`${owner}.maxBeta`, resolved.maxBeta, 1e-6, 0.999999);
  checkRange(`${owner}.betaStart`, resolved.betaStart, 1e-8, resolved.maxBeta);
  checkRange(`${owner}.betaEnd`, resolved.betaEnd, resolved.betaStart, 10);
  checkRange(`${owner}.offset`, resolved.offset, 1e-6, 1);
  return resolved;
}

/** f(τ)/f(0) of the cosine schedule: its ᾱ at normalised time τ (Nichol & Dhariwal eq. 17). */
export function cosineAlphaBar(tau: number, offset: number): number {
  const f = (x: number) => Math.cos(((x + offset) / (1 + offset)) * (Math.PI / 2)) ** 2;
  return f(tau) / f(0);
}

/** β_t of the schedule, t = 0 … T−1 (before the maxBeta cap for linear: see resolveSchedule). */
function betas(s: ResolvedSchedule): Float64Array {
  const T = s.timesteps;
  const beta = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const raw =
      s.kind === 'linear'
        ? s.betaStart + ((s.betaEnd - s.betaStart) * t) / (T - 1)
        : 1 - cosineAlphaBar((t + 1) / T, s.offset) / cosineAlphaBar(t / T, s.offset);
    beta[t] = Math.min(raw, s.maxBeta);
  }
  return beta;
}

export function makeSchedule(spec: ScheduleSpec): ScheduleTable {
  const s = resolveSchedule(spec);
  const T = s.timesteps;
  const beta = betas(s);
  const make = () => new Float64Array(T);
  const table = {
    kind: s.kind,
    timesteps: T,
    beta,
    alpha: make(),
    alphaBar: make(),
    alphaBarPrev: make(),
    sqrtAlphaBar: make(),
    sqrtOneMinusAlphaBar: make(),
    sigmaBar: make(),
    posteriorVariance: make(),
    posteriorMeanX0: make(),
    posteriorMeanXt: make(),
  };
  let logAlphaBar = 0;
  for (let t = 0; t < T; t++) {
    const b = beta[t]!;
    const prev = Math.exp(logAlphaBar);
    const prevOneMinus = -Math.expm1(logAlphaBar);
    logAlphaBar += Math.log1p(-b);
    const alphaBar = Math.exp(logAlphaBar);
    // 1 − ᾱ as 1 − ∏(1 − β) loses digits when ᾱ ≈ 1; −expm1(Σ log1p(−β)) does not.
    const oneMinus = -Math.expm1(logAlphaBar);
    table.alpha[t] = 1 - b;
    table.alphaBar[t] = alphaBar;
    table.alphaBarPrev[t] = prev;
    table.sqrtAlphaBar[t] = Math.sqrt(alphaBar);
    table.sqrtOneMinusAlphaBar[t] = Math.sqrt(oneMinus);
    table.sigmaBar[t] = Math.sqrt(oneMinus / alphaBar);
    table.posteriorVariance[t] = (b * prevOneMinus) / oneMinus;
    table.posteriorMeanX0[t] = (Math.sqrt(prev) * b) / oneMinus;
    table.posteriorMeanXt[t] = (Math.sqrt(1 - b) * prevOneMinus) / oneMinus;
  }
  return table;
}

/** σ̄ at continuous index t ∈ [−1, T−1] (σ̄(−1) = 0), linear between integer indices. */
export function sigmaBarAt(table: ScheduleTable, t: number): number {
  const T = table.timesteps;
  if (!(t >= -1 && t <= T - 1)) {
    throw new RangeError(`A continuous diffusion index must be in [−1, ${T - 1}], got ${t}.`);
  }
  const knot = (k: number) => (k < 0 ? 0 : table.sigmaBar[k]!);
  const k = Math.min(Math.floor(t), T - 2);
  const frac = t - k;
  return knot(k) + frac * (knot(k + 1) - knot(k));
}

/** The continuous index t ∈ [−1, T−1] whose σ̄ is `sigma` (the inverse of sigmaBarAt). */
export function indexAtSigmaBar(table: ScheduleTable, sigma: number): number {
  const T = table.timesteps;
  const max = table.sigmaBar[T - 1]!;
  if (!(sigma >= 0 && sigma <= max * (1 + 1e-12))) {
    throw new RangeError(`σ̄ must be in [0, ${max}], got ${sigma}.`);
  }
  // Largest knot k ∈ [−1, T−1] with σ̄_k ≤ sigma (σ̄ increases strictly with k).
  let lo = -1;
  let hi = T - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (table.sigmaBar[mid]! <= sigma) lo = mid;
    else hi = mid;
  }
  if (lo === T - 1) return T - 1;
  const below = lo < 0 ? 0 : table.sigmaBar[lo]!;
  const above = table.sigmaBar[lo + 1]!;
  return lo + (sigma - below) / (above - below);
}

/** ᾱ of a noise level σ̄: 1/(1 + σ̄²). */
export function alphaBarOfSigmaBar(sigma: number): number {
  return 1 / (1 + sigma * sigma);
}

/**
 * The time grid of an S-step sampler: −1 (the clean data) then the "leading" timesteps
 * ⌊i·T/S⌋, i = 0 … S−1 (as diffusers' DDIM spacing), so S = T gives every step and S < T
 * starts at T − T/S. Starting below T − 1 matters: the cosine schedule's last β is capped at
 * 0.999, so σ̄_{T−1} is ~30× σ̄_{T−2}, and a deterministic step from there multiplies the
 * network's ε error by ~σ̄_{T−1}·√ᾱ_next (≈ 200 for T = 100). Integer indices, so DDIM and
 * the PF-ODE evaluate the network only at the timesteps it was trained on.
 */
export function timeGrid(timesteps: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > timesteps) {
    throw new RangeError(`steps must be an integer in [1, ${timesteps}], got ${steps}.`);
  }
  const grid: number[] = [-1];
  for (let i = 0; i < steps; i++) grid.push(Math.floor((i * timesteps) / steps));
  return grid;
}

/** Forward process q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I): x_t for given x_0 and ε. */
export function noisedSample(
  table: ScheduleTable,
  t: number,
  x0: ArrayLike<number>,
  eps: ArrayLike<number>,
): Float64Array {
  const a = table.sqrtAlphaBar[t]!;
  const s = table.sqrtOneMinusAlphaBar[t]!;
  return Float64Array.from(x0, (x, i) => a * x + s * eps[i]!);
}

/**
 * DDPM's prior term L_T averaged over the data: E_{x_0} KL(q(x_T | x_0) ‖ N(0, I)), an upper
 * bound (by convexity) on KL(q(x_T) ‖ N(0, I)), in nats. `secondMoment` = E‖x_0‖². When this is
 * not small, x_T is not close to N(0, I) and samples from the prior miss the data.
 */
export function terminalKl(table: ScheduleTable, secondMoment: number, dims = 2): number {
  const T = table.timesteps;
  const ab = table.alphaBar[T - 1]!;
  const v = table.sqrtOneMinusAlphaBar[T - 1]! ** 2;
  return 0.5 * (ab * secondMoment + dims * v - dims - dims * Math.log(v));
}

/**
 * KL(N(√ᾱ_T μ, ᾱ_T Σ + (1 − ᾱ_T) I) ‖ N(0, I)) for data with mean μ and covariance Σ (2-D):
 * the exact terminal KL for Gaussian data, and its Gaussian-moment approximation otherwise.
 */
export function terminalKlGaussian(
  table: ScheduleTable,
  mean: readonly [number, number],
  covariance: readonly [number, number, number],
): number {
  const T = table.timesteps;
  const ab = table.alphaBar[T - 1]!;
  const v = table.sqrtOneMinusAlphaBar[T - 1]! ** 2;
  const [sxx, sxy, syy] = covariance;
  const cxx = ab * sxx + v;
  const cyy = ab * syy + v;
  const cxy = ab * sxy;
  const det = cxx * cyy - cxy * cxy;
  const meanSq = ab * (mean[0] ** 2 + mean[1] ** 2);
  return 0.5 * (cxx + cyy + meanSq - 2 - Math.log(det));
}

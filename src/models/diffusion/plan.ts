/**
 * Every sampler and the likelihood as one list of network evaluations ("stages"), computed once
 * in float64 and run unchanged by the GPU (shaders/diffusion/solver-stage.wgsl) and by the
 * float64 twin (reference/plan-runner.ts). One stage consumes one network output `out` at the point y_eval:
 *
 *   f       = cx·y_eval + cn·out                     the solver's velocity (or ε̂)
 *   div f   = 2·cx + cn·inputScale·tr(∂out/∂x)       its exact divergence (likelihood only)
 *   acc    += w·f,  logAcc += w·div f
 *   last stage of a step:  y = m·y + acc + σ·z,  acc = 0,  y_eval = y      (z ~ N(0, I))
 *   otherwise:             y_eval = y + a·f
 *
 * and the network sees x = inputScale·y_eval with the time embedding of `time.net`.
 * - DDPM ancestral and DDIM run in x (inputScale 1), one stage per step, f = ε̂.
 * - The probability-flow ODE runs in y = x/√ᾱ against σ̄ = √((1 − ᾱ)/ᾱ), where it reads
 *   dy/dσ̄ = ε̂(√ᾱ y, t(σ̄)) (DDIM with η = 0 is exactly its Euler method on the same grid).
 * - Flow matching runs in x against t ∈ [0, 1] (t = 0 data, t = 1 noise): dx/dt = v̂(x, t).
 * - The likelihood integrates the same ODE from the data to the prior with d log p/ds = −div f:
 *   log p(x) = log N(y_end; 0, priorVariance·I) + ∫ div f ds.
 */
import { alphaBarOfSigmaBar, indexAtSigmaBar, timeGrid, type ScheduleTable } from './schedule';
import { tableau, uniformGrid, type OdeSolverName } from './solvers';

export type Prediction = 'eps' | 'v';

/** The time of one network evaluation. */
export interface EvalTime {
  /** The network's time input before the embedding: the continuous index (DDPM) or t (flow). */
  net: number;
  /** ᾱ at this evaluation (diffusion); 1 − t is not used for flows, so this is NaN there. */
  alphaBar: number;
  /** Flow matching: t ∈ [0, 1]; diffusion: the normalised time (net + 1)/T. */
  t: number;
}

export interface Stage {
  time: EvalTime;
  inputScale: number;
  cx: number;
  cn: number;
  w: number;
  a: number;
  last: boolean;
  m: number;
  sigma: number;
  /** Philox counter step of z (stage noise); the initial noise uses step 0. */
  noiseStep: number;
  /** Trajectory slot written after this (last) stage, or −1. */
  snapshot: number;
}

export interface Plan {
  readonly mode: 'sample' | 'likelihood';
  readonly stages: readonly Stage[];
  /** Sampling: y = initScale·z at the start. Likelihood: y = x (initScale 1). */
  readonly initScale: number;
  /** The result is x = outputScale·y (the inputScale at the final time). */
  readonly outputScale: number;
  /** Likelihood: the prior of y at the end is N(0, priorVariance·I). */
  readonly priorVariance: number;
  /** Number of trajectory slots written (slot 0 is the start), 0 when not recorded. */
  readonly snapshots: number;
  /** Normalised time τ of each trajectory slot. */
  readonly snapshotTimes: readonly number[];
  /** Network evaluations. */
  readonly nfe: number;
}

export type DiffusionSampler = 'ddpm' | 'ddim' | 'pf-euler' | 'pf-heun';
export type FlowSampler = OdeSolverName;

export interface SnapshotOptions {
  /** Record the state every `every` steps (and at the start and the end). */
  every?: number;
}

function stage(partial: Partial<Stage> & Pick<Stage, 'time' | 'inputScale' | 'cx' | 'cn'>): Stage {
  return { w: 0, a: 0, last: false, m: 1, sigma: 0, noiseStep: 0, snapshot: -1, ...partial };
}

/** Snapshot slots after each step (1-based step count i, `steps` in all). */
function snapshotSlot(i: number, steps: number, every: number | undefined): number {
  if (every === undefined) return -1;
  if (i % every === 0 || i === steps) return Math.ceil(i / every);
  return -1;
}

function snapshotCount(steps: number, every: number | undefined): number {
  return every === undefined ? 0 : Math.ceil(steps / every) + 1;
}

function checkEvery(every: number | undefined, steps: number): void {
  if (every !== undefined && (!Number.isInteger(every) || every < 1 || every > steps)) {
    throw new RangeError(`every must be an integer in [1, ${steps}], got ${every}.`);
  }
}

function snapshotTimes(taus: readonly number[], every: number | undefined): number[] {
  if (every === undefined) return [];
  const steps = taus.length - 1;
  return taus.filter((_, i) => i === 0 || i % every === 0 || i === steps);
}

/** (cx, cn) turning the network output into ε̂ in x (yScale 1) or in y = x/√ᾱ (yScale √ᾱ). */
function epsCoefficients(prediction: Prediction, alphaBar: number, yScale: number) {
  if (prediction === 'eps') return { cx: 0, cn: 1 };
  // ε̂ = √(1 − ᾱ) x + √ᾱ v̂, and x = yScale·y.
  return { cx: Math.sqrt(1 - alphaBar) * yScale, cn: Math.sqrt(alphaBar) };
}

function diffusionTime(table: ScheduleTable, index: number, alphaBar: number): EvalTime {
  return { net: index, alphaBar, t: (index + 1) / table.timesteps };
}

/** Validates an explicit DDIM/PF-ODE sub-sequence and returns it ascending with −1 prepended. */
export function subsequenceGrid(table: ScheduleTable, timesteps: readonly number[]): number[] {
  const T = table.timesteps;
  const sorted = [...timesteps].sort((p, q) => p - q);
  sorted.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t > T - 1 || (i > 0 && t === sorted[i - 1])) {
      throw new RangeError(
        `timesteps must be distinct integers in [0, ${T - 1}], got ${JSON.stringify(timesteps)}.`,
      );
    }
  });
  if (sorted.length === 0) throw new RangeError('timesteps must not be empty.');
  return [-1, ...sorted];
}

export interface DiffusionSampleOptions extends SnapshotOptions {
  sampler: DiffusionSampler;
  /** Number of steps S (DDIM / PF-ODE; DDPM always takes all T). */
  steps?: number;
  /** Explicit ascending sub-sequence of timesteps (DDIM / PF-ODE), instead of `steps`. */
  timesteps?: readonly number[];
  /** DDIM: η ∈ [0, 1] (0 deterministic, 1 = DDPM's posterior variance). */
  eta?: number;
  /** DDPM: σ_t² = β_t ('beta') or β̃_t ('posterior', default). */
  variance?: 'beta' | 'posterior';
}

/** The stages of a diffusion sampler, from x_T ~ N(0, I) to x_0. */
export function diffusionSamplePlan(
  table: ScheduleTable,
  prediction: Prediction,
  options: DiffusionSampleOptions,
): Plan {
  const T = table.timesteps;
  const grid =
    options.sampler === 'ddpm'
      ? timeGrid(T, T)
      : options.timesteps
        ? subsequenceGrid(table, options.timesteps)
        : timeGrid(T, options.steps ?? Math.min(50, T));
  const steps = grid.length - 1;
  checkEvery(options.every, steps);
  const every = options.every;
  const stages: Stage[] = [];
  const ab = (k: number) => (k < 0 ? 1 : table.alphaBar[k]!);
  const taus = grid.map((k) => (k + 1) / T).reverse();
  if (options.sampler === 'ddpm' || options.sampler === 'ddim') {
    const eta = options.sampler === 'ddpm' ? 1 : (options.eta ?? 0);
    if (!(eta >= 0 && eta <= 1)) throw new RangeError(`eta must be in [0, 1], got ${eta}.`);
    for (let i = steps; i >= 1; i--) {
      const t = grid[i]!;
      const prev = grid[i - 1]!;
      const a = ab(t);
      const aPrev = ab(prev);
      let sigma: number;
      let m: number;
      let w: number;
      if (options.sampler === 'ddpm') {
        const beta = table.beta[t]!;
        const variance = options.variance === 'beta' ? beta : table.posteriorVariance[t]!;
        sigma = t === 0 ? 0 : Math.sqrt(variance);
        m = 1 / Math.sqrt(table.alpha[t]!);
        w = -beta / (Math.sqrt(table.alpha[t]!) * table.sqrtOneMinusAlphaBar[t]!);
      } else {
        // σ = η √((1 − ᾱ_prev)/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_prev) (Song et al. 2021, eq. 16).
        sigma = eta * Math.sqrt(((1 - aPrev) / (1 - a)) * (1 - a / aPrev));
        m = Math.sqrt(aPrev / a);
        w = Math.sqrt(Math.max(0, 1 - aPrev - sigma * sigma)) - Math.sqrt((aPrev * (1 - a)) / a);
      }
      stages.push(
        stage({
          time: diffusionTime(table, t, a),
          inputScale: 1,
          ...epsCoefficients(prediction, a, 1),
          w,
          last: true,
          m,
          sigma,
          noiseStep: steps - i + 1,
          snapshot: snapshotSlot(steps - i + 1, steps, every),
        }),
      );
    }
    return {
      mode: 'sample',
      stages,
      initScale: 1,
      outputScale: 1,
      priorVariance: 1,
      snapshots: snapshotCount(steps, every),
      snapshotTimes: snapshotTimes(taus, every),
      nfe: stages.length,
    };
  }
  const solver = options.sampler === 'pf-heun' ? 'heun' : 'euler';
  const sigmas = grid.map((k) => (k < 0 ? 0 : table.sigmaBar[k]!));
  const plan = odePlan({
    mode: 'sample',
    solver,
    grid: sigmas.slice().reverse(),
    knotTimes: grid.slice().reverse(),
    evalAt: (s, knot) => {
      const index = knot ?? indexAtSigmaBar(table, s);
      const alphaBar = knot !== undefined ? ab(knot) : alphaBarOfSigmaBar(s);
      const yScale = Math.sqrt(alphaBar);
      return {
        time: diffusionTime(table, index, alphaBar),
        inputScale: yScale,
        ...epsCoefficients(prediction, alphaBar, yScale),
      };
    },
    every,
    taus,
  });
  const sigmaMax = sigmas[sigmas.length - 1]!;
  return { ...plan, initScale: Math.sqrt(1 + sigmaMax * sigmaMax) };
}

interface OdePlanSpec {
  mode: 'sample' | 'likelihood';
  solver: OdeSolverName;
  /** Integration variable at the grid points, in the direction of integration. */
  grid: readonly number[];
  /** The schedule knot (integer index) at each grid point, if any: exact times there. */
  knotTimes?: readonly (number | undefined)[];
  evalAt: (s: number, knot: number | undefined) => Pick<Stage, 'time' | 'inputScale' | 'cx' | 'cn'>;
  every: number | undefined;
  taus: readonly number[];
  /**
   * Step in u = log s wherever the step does not touch s = 0 (f is then s·f). For σ̄, whose grid
   * spans 0.01 … 2·10⁴, where the divergence ≈ 2/σ̄ and ∫ 2/σ̄ dσ̄ needs log steps to be exact.
   */
  logSteps?: boolean;
}

function odePlan(spec: OdePlanSpec): Plan {
  const tab = tableau(spec.solver);
  const steps = spec.grid.length - 1;
  checkEvery(spec.every, steps);
  const stages: Stage[] = [];
  for (let i = 0; i < steps; i++) {
    const s = spec.grid[i]!;
    const end = spec.grid[i + 1]!;
    const log = spec.logSteps === true && s > 0 && end > 0;
    const h = log ? Math.log(end / s) : end - s;
    tab.nodes.forEach((c, j) => {
      const knot = c === 0 ? spec.knotTimes?.[i] : c === 1 ? spec.knotTimes?.[i + 1] : undefined;
      const last = j === tab.nodes.length - 1;
      const node = c === 0 ? s : c === 1 ? end : log ? s * Math.exp(c * h) : s + c * h;
      const at = spec.evalAt(node, knot);
      // In u = log s, dy/du = s·dy/ds: scale the velocity (and so its divergence) by s.
      const jacobian = log ? node : 1;
      stages.push(
        stage({
          ...at,
          cx: at.cx * jacobian,
          cn: at.cn * jacobian,
          w: h * tab.weights[j]!,
          a: last ? 0 : h * tab.advance[j + 1]!,
          last,
          snapshot: last ? snapshotSlot(i + 1, steps, spec.every) : -1,
        }),
      );
    });
  }
  const end = spec.evalAt(spec.grid[steps]!, spec.knotTimes?.[steps]);
  return {
    mode: spec.mode,
    stages,
    initScale: 1,
    outputScale: end.inputScale,
    priorVariance: 1,
    snapshots: snapshotCount(steps, spec.every),
    snapshotTimes: snapshotTimes(spec.taus, spec.every),
    nfe: stages.length,
  };
}

export interface FlowSampleOptions extends SnapshotOptions {
  sampler: FlowSampler;
  steps: number;
}

function flowEval(t: number) {
  return { time: { net: t, alphaBar: NaN, t }, inputScale: 1, cx: 0, cn: 1 };
}

function checkSteps(steps: number, max: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > max) {
    throw new RangeError(`steps must be an integer in [1, ${max}], got ${steps}.`);
  }
}

export const MAX_FLOW_STEPS = 1000;

/** Flow matching: x(1) ~ N(0, I), dx/dt = v̂(x, t) from t = 1 to 0. */
export function flowSamplePlan(options: FlowSampleOptions): Plan {
  checkSteps(options.steps, MAX_FLOW_STEPS);
  const grid = uniformGrid(1, 0, options.steps);
  return odePlan({
    mode: 'sample',
    solver: options.sampler,
    grid,
    evalAt: (t) => flowEval(t),
    every: options.every,
    taus: grid,
  });
}

export interface LikelihoodOptions extends SnapshotOptions {
  steps: number;
  solver?: OdeSolverName;
}

/** Flow matching likelihood: data → noise, prior N(0, I). */
export function flowLikelihoodPlan(options: LikelihoodOptions): Plan {
  checkSteps(options.steps, MAX_FLOW_STEPS);
  const grid = uniformGrid(0, 1, options.steps);
  return {
    ...odePlan({
      mode: 'likelihood',
      solver: options.solver ?? 'rk4',
      grid,
      evalAt: (t) => flowEval(t),
      every: options.every,
      taus: grid,
    }),
    priorVariance: 1,
  };
}

/**
 * PF-ODE likelihood: y = x at σ̄ = 0 → σ̄_max; prior y ~ N(0, (1 + σ̄_max²) I) (x_T ~ N(0, I)).
 * Grid: one step from 0 to σ̄_0 (the first timestep), then steps − 1 steps uniform in log σ̄ up to
 * σ̄_max. σ̄ spans ~10⁻² … 10⁴ and the divergence behaves like 2/σ̄ at large σ̄, so uniform steps
 * in t (one of which may jump from σ̄ = 600 to 20 000 in the cosine schedule) lose whole nats.
 */
export function diffusionLikelihoodPlan(
  table: ScheduleTable,
  prediction: Prediction,
  options: LikelihoodOptions,
): Plan {
  const T = table.timesteps;
  checkSteps(options.steps, MAX_LIKELIHOOD_STEPS);
  if (options.steps < 2) throw new RangeError(`steps must be ≥ 2, got ${options.steps}.`);
  const first = table.sigmaBar[0]!;
  const sigmaMax = table.sigmaBar[T - 1]!;
  const n = options.steps - 1;
  const sigmas = [0, ...uniformGrid(0, 1, n).map((f) => first * (sigmaMax / first) ** f)];
  const knots = sigmas.map((_, i) =>
    i === 0 ? -1 : i === 1 ? 0 : i === n + 1 ? T - 1 : undefined,
  );
  const plan = odePlan({
    mode: 'likelihood',
    solver: options.solver ?? 'rk4',
    grid: sigmas,
    knotTimes: knots,
    evalAt: (s, knot) => {
      const alphaBar =
        knot !== undefined ? (knot < 0 ? 1 : table.alphaBar[knot]!) : alphaBarOfSigmaBar(s);
      const index = knot ?? indexAtSigmaBar(table, s);
      const yScale = Math.sqrt(alphaBar);
      return {
        time: diffusionTime(table, index, alphaBar),
        inputScale: yScale,
        ...epsCoefficients(prediction, alphaBar, yScale),
      };
    },
    every: options.every,
    taus: sigmas.map((s) => (indexAtSigmaBar(table, Math.min(s, sigmaMax)) + 1) / T),
    logSteps: true,
  });
  return { ...plan, priorVariance: 1 + sigmaMax * sigmaMax };
}

export const MAX_LIKELIHOOD_STEPS = 1000;

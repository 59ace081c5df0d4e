/**
 * What a DDPM / flow-matching model computes before any network runs, shared by the GPU model
 * (model.ts) and its CPU twin (cpu-model.ts), so both run the very same plans: the sampler's
 * plan with its defaults, the likelihood plan, the one-stage plan of the field view and the
 * conversion of its network output into a velocity (and DDPM's score).
 */
import type { EmbeddingShape } from '../../nn/reference/embedding';
import type { DenoiserArchitecture } from './denoiser';
import {
  diffusionLikelihoodPlan,
  diffusionSamplePlan,
  flowLikelihoodPlan,
  flowSamplePlan,
  type DiffusionSampler,
  type FlowSampler,
  type Plan,
} from './plan';
import { alphaBarOfSigmaBar, sigmaBarAt, type ScheduleTable } from './schedule';
import { ODE_SOLVERS, type OdeSolverName } from './solvers';
import type { ResolvedDiffusionSpec } from './spec';

export interface SamplerChoice {
  /** Default: 'ddim' (DDPM) or 'rk4' (flow matching). */
  sampler?: DiffusionSampler | FlowSampler;
  /** Steps (DDPM sampler: always T). Default 50 (DDIM, PF-ODE, flow Euler) or 20 (flow RK4). */
  steps?: number;
  /** DDIM: explicit sub-sequence of timesteps instead of `steps`. */
  timesteps?: readonly number[];
  /** DDIM η ∈ [0, 1]. Default 0. */
  eta?: number;
  /** DDPM ancestral: σ² = β̃ ('posterior', default) or β. */
  variance?: 'posterior' | 'beta';
}

/** The network of a resolved spec (x and its time features in, 2 outputs). */
export function architectureOf(spec: ResolvedDiffusionSpec): DenoiserArchitecture {
  return {
    architecture: spec.architecture,
    inputs: 2 + spec.timeEmbedding,
    hidden: spec.hidden,
    depth: spec.layers,
    activation: spec.activation,
  };
}

/** The time embedding of a resolved spec. */
export function embeddingOf(spec: ResolvedDiffusionSpec): EmbeddingShape {
  return {
    dims: 2,
    features: spec.timeEmbedding,
    // The embedding sees 0 … 1000 for both kinds: DDPM's index t·(1000/T), flows' t·1000.
    scale: spec.kind === 'ddpm' ? 1000 / spec.timesteps : 1000,
    maxPeriod: 10_000,
  };
}

/** The plan a sampler call runs (its `nfe` is the cost per point); readable errors. */
export function samplePlanFor(
  spec: ResolvedDiffusionSpec,
  schedule: ScheduleTable | undefined,
  options: SamplerChoice = {},
  every?: number,
): Plan {
  if (schedule) {
    const sampler = (options.sampler ?? 'ddim') as DiffusionSampler;
    if (!['ddpm', 'ddim', 'pf-euler', 'pf-heun'].includes(sampler)) {
      throw new RangeError(
        `sampler for a DDPM model must be 'ddpm', 'ddim', 'pf-euler' or 'pf-heun', got ${JSON.stringify(sampler)}.`,
      );
    }
    return diffusionSamplePlan(schedule, spec.prediction, {
      sampler,
      steps: options.steps ?? Math.min(50, schedule.timesteps),
      timesteps: options.timesteps,
      eta: options.eta,
      variance: options.variance,
      every,
    });
  }
  const sampler = (options.sampler ?? 'rk4') as FlowSampler;
  if (!ODE_SOLVERS.includes(sampler)) {
    throw new RangeError(
      `sampler for a flow-matching model must be one of ${ODE_SOLVERS.join(', ')}, got ${JSON.stringify(sampler)}.`,
    );
  }
  return flowSamplePlan({ sampler, steps: options.steps ?? (sampler === 'rk4' ? 20 : 50), every });
}

/** The probability-flow / flow-matching likelihood plan (default 50 RK4 steps). */
export function likelihoodPlanFor(
  spec: ResolvedDiffusionSpec,
  schedule: ScheduleTable | undefined,
  options: { steps?: number; solver?: OdeSolverName; every?: number } = {},
): Plan {
  const steps = options.steps ?? 50;
  const { solver, every } = options;
  return schedule
    ? diffusionLikelihoodPlan(schedule, spec.prediction, { steps, solver, every })
    : flowLikelihoodPlan({ steps, solver, every });
}

/**
 * The plan that carries data points along the ODE towards the noise (trajectories from points):
 * the likelihood's grid without its divergence.
 */
export function pathPlanFor(
  spec: ResolvedDiffusionSpec,
  schedule: ScheduleTable | undefined,
  options: { sampler?: string; steps?: number; every?: number },
): Plan {
  const steps = options.steps ?? 50;
  const every = options.every ?? Math.max(1, Math.round(steps / 20));
  const likelihood = schedule
    ? diffusionLikelihoodPlan(schedule, spec.prediction, { steps, every })
    : flowLikelihoodPlan({ steps, every, solver: (options.sampler ?? 'rk4') as FlowSampler });
  return { ...likelihood, mode: 'sample' };
}

export interface FieldPlan {
  plan: Plan;
  alphaBar: number;
  sigmaBarRate: number;
}

/** One network evaluation at time t (0 data, 1 noise): the field view's plan. */
export function fieldPlanFor(
  spec: ResolvedDiffusionSpec,
  table: ScheduleTable | undefined,
  t: number,
): FieldPlan {
  const alphaBar = table ? alphaBarOfSigmaBar(sigmaBarAt(table, t * table.timesteps - 1)) : NaN;
  let sigmaBarRate = 0;
  if (table) {
    // dσ̄/dt of the piecewise-linear σ̄ (one-sided at the last knot).
    const index = Math.min(t * table.timesteps - 1, table.timesteps - 1 - 1e-9);
    const k = Math.floor(index);
    const knot = (i: number) => (i < 0 ? 0 : table.sigmaBar[i]!);
    sigmaBarRate = (knot(k + 1) - knot(k)) * table.timesteps;
  }
  const [cx, cn] =
    table && spec.prediction === 'v' ? [Math.sqrt(1 - alphaBar), Math.sqrt(alphaBar)] : [0, 1];
  const plan: Plan = {
    mode: 'sample',
    stages: [
      {
        time: { net: table ? t * table.timesteps - 1 : t, alphaBar, t },
        inputScale: 1,
        cx,
        cn,
        w: 1,
        a: 0,
        last: true,
        m: 0,
        sigma: 0,
        noiseStep: 1,
        snapshot: -1,
      },
    ],
    initScale: 1,
    outputScale: 1,
    priorVariance: 1,
    snapshots: 0,
    snapshotTimes: [],
    nfe: 1,
  };
  return { plan, alphaBar, sigmaBarRate };
}

/**
 * The field in data coordinates from the field plan's output `out` at model-space points `x`:
 * flow matching's velocity, or DDPM's score −ε̂/σ and PF-ODE drift (√ᾱ ε̂ − σ̄ ᾱ x)·dσ̄/dt.
 */
export function fieldFromOutput(
  field: FieldPlan,
  diffusion: boolean,
  scale: readonly [number, number],
  out: ArrayLike<number>,
  x: ArrayLike<number>,
): { velocity: Float32Array; score?: Float32Array } {
  const [sx, sy] = scale;
  const n = x.length / 2;
  const velocity = new Float32Array(2 * n);
  if (!diffusion) {
    for (let i = 0; i < n; i++) {
      velocity[2 * i] = out[2 * i]! * sx;
      velocity[2 * i + 1] = out[2 * i + 1]! * sy;
    }
    return { velocity };
  }
  const { alphaBar, sigmaBarRate } = field;
  const score = new Float32Array(2 * n);
  const sigma = Math.sqrt(1 - alphaBar);
  const sigmaBar = sigma / Math.sqrt(alphaBar);
  for (let i = 0; i < 2 * n; i++) {
    const s = i % 2 === 0 ? sx : sy;
    score[i] = -out[i]! / sigma / s;
    velocity[i] = (Math.sqrt(alphaBar) * out[i]! - sigmaBar * alphaBar * x[i]!) * sigmaBarRate * s;
  }
  return { velocity, score };
}

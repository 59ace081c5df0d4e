/**
 * The spec of a diffusion or flow-matching model and its validation: every error names the
 * field, the allowed range and what was received.
 */
import { shown } from '../../data/errors';
import { ACTIVATIONS, type Activation } from '../../nn/activations';
import { ARCHITECTURES, type Architecture } from './denoiser';
import type { Prediction } from './plan';
import { MAX_TIMESTEPS, MIN_TIMESTEPS, type ScheduleKind } from './schedule';

export const DIFFUSION_KINDS = ['ddpm', 'flow-matching'] as const;
export type DiffusionKind = (typeof DIFFUSION_KINDS)[number];

/**
 * How flow-matching training pairs data x₀ with noise ε: independent draws, the exact minimum-
 * cost pairing within each batch ('minibatch-ot', batch ≤ MAX_OT_BATCH), or fixed (x, z) pairs
 * made by a teacher model ('reflow': train on lab.reflowPairs(teacher, …) instead of a dataset).
 */
export const PAIRINGS = ['independent', 'minibatch-ot', 'reflow'] as const;
export type Pairing = (typeof PAIRINGS)[number];
/** @deprecated Renamed PAIRINGS (0.3); kept so 0.2 code still compiles. */
export const COUPLINGS = PAIRINGS;
/** @deprecated Renamed Pairing (0.3). */
export type Coupling = Pairing;

export interface DiffusionModelSpec {
  family: 'diffusion';
  kind: DiffusionKind;
  /** DDPM noise schedule (default 'linear': β 1e-4 → 0.02 at T = 1000, scaled by 1000/T). */
  schedule?: ScheduleKind;
  /** DDPM steps T (default 1000). */
  timesteps?: number;
  /** DDPM: the network predicts ε (default) or v = √ᾱ ε − √(1 − ᾱ) x₀. Flow matching: velocity. */
  prediction?: Prediction;
  /**
   * The denoiser network (default 'mlp'): the fused MLP, or 'resmlp' — a linear input layer,
   * `layers` residual blocks h ← h + W₂·act(W₁h + b₁) + b₂, a linear output layer.
   */
  architecture?: Architecture;
  /** Width of the denoiser's hidden layers (default 128). */
  hidden?: number;
  /** Hidden layers of the MLP, or residual blocks of the resmlp (default 3). */
  layers?: number;
  /** Hidden activation (default 'silu': smooth, so the exact divergence is smooth too). */
  activation?: Activation;
  /** Sinusoidal features of the time embedding (even; default 32). */
  timeEmbedding?: number;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** Flow matching: how training pairs data with noise (default 'independent'). */
  pairing?: Pairing;
  /** @deprecated Renamed `pairing` (0.3); still read when `pairing` is absent. */
  coupling?: Pairing;
}

export type ResolvedDiffusionSpec = Required<Omit<DiffusionModelSpec, 'coupling'>>;

export const DIFFUSION_LIMITS = {
  timesteps: [MIN_TIMESTEPS, MAX_TIMESTEPS],
  hidden: [4, 256],
  layers: [1, 8],
  timeEmbedding: [2, 64],
} as const;

/** A spec field outside its allowed range or set; `field` names it. */
export class DiffusionSpecError extends RangeError {
  override readonly name = 'DiffusionSpecError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function integerIn(field: keyof typeof DIFFUSION_LIMITS, value: unknown): number {
  const [min, max] = DIFFUSION_LIMITS[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new DiffusionSpecError(
      field,
      `model.${field} must be an integer in [${min}, ${max}], got ${shown(value)}.`,
    );
  }
  return value;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new DiffusionSpecError(
      field,
      `model.${field} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${shown(value)}.`,
    );
  }
  return value as T;
}

export function resolveDiffusionSpec(spec: DiffusionModelSpec): ResolvedDiffusionSpec {
  if (spec === null || typeof spec !== 'object') {
    throw new DiffusionSpecError('spec', 'A model spec must be an object { family, kind, … }.');
  }
  oneOf('family', spec.family, ['diffusion']);
  const kind = oneOf('kind', spec.kind, DIFFUSION_KINDS);
  const flow = kind === 'flow-matching';
  if (spec.pairing !== undefined && spec.coupling !== undefined && spec.pairing !== spec.coupling) {
    throw new DiffusionSpecError(
      'pairing',
      `model.coupling is the old name of model.pairing; got both ('${String(spec.coupling)}' and ` +
        `'${String(spec.pairing)}'). Keep only pairing.`,
    );
  }
  const pairing = spec.pairing ?? spec.coupling;
  if (!flow && pairing !== undefined && pairing !== 'independent') {
    throw new DiffusionSpecError(
      'pairing',
      `model.pairing '${String(pairing)}' applies to kind 'flow-matching' only; DDPM ` +
        "training always draws independent noise. Remove the field or use kind 'flow-matching'.",
    );
  }
  for (const field of ['schedule', 'timesteps', 'prediction'] as const) {
    if (flow && spec[field] !== undefined) {
      throw new DiffusionSpecError(
        field,
        `model.${field} applies to kind 'ddpm' only; flow matching has no noise schedule and ` +
          'always predicts the velocity. Remove the field.',
      );
    }
  }
  const timeEmbedding = integerIn('timeEmbedding', spec.timeEmbedding ?? 32);
  if (timeEmbedding % 2 !== 0) {
    throw new DiffusionSpecError(
      'timeEmbedding',
      `model.timeEmbedding must be even (sines and cosines), got ${timeEmbedding}.`,
    );
  }
  const seed = spec.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new DiffusionSpecError(
      'seed',
      `model.seed must be an integer in [0, 2^53), got ${seed}.`,
    );
  }
  return {
    family: 'diffusion',
    kind,
    schedule: oneOf('schedule', spec.schedule ?? 'linear', ['linear', 'cosine'] as const),
    timesteps: integerIn('timesteps', spec.timesteps ?? 1000),
    prediction: oneOf('prediction', spec.prediction ?? 'eps', ['eps', 'v'] as const),
    architecture: oneOf('architecture', spec.architecture ?? 'mlp', ARCHITECTURES),
    hidden: integerIn('hidden', spec.hidden ?? 128),
    layers: integerIn('layers', spec.layers ?? 3),
    activation: oneOf('activation', spec.activation ?? 'silu', ACTIVATIONS),
    timeEmbedding,
    seed,
    pairing: oneOf('pairing', pairing ?? 'independent', PAIRINGS),
  };
}

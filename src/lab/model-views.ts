/**
 * What a lab model shows beyond samples and log p, in one vocabulary for flows and diffusion /
 * flow-matching models: sampler plans and their network evaluations, generating paths, the
 * stages a warp grid moves through, the field, and the state a checkpoint restores. The worker
 * draws every view through these, without asking which kind of model it holds.
 */
import type { Normalization } from '../models/flows/flow-model';
import type { TrainerState } from '../nn/trainer';

/** The sampler of a diffusion / flow-matching model, and the noise seed; flows use the seed only. */
export interface ModelSampleOptions {
  seed?: number;
  /** DDPM: 'ddpm' | 'ddim' | 'pf-euler' | 'pf-heun'; flow matching: 'euler' | 'midpoint' | 'heun' | 'rk4'. */
  sampler?: string;
  steps?: number;
  /** DDIM η ∈ [0, 1]. */
  eta?: number;
}

/** What sampling with some options costs, checked against the model. */
export interface SamplingPlan {
  /** Network evaluations per sample; null for a flow (one pass through its layers). */
  nfe: number | null;
  /** Integration steps of the sampler; a flow's layers. */
  steps: number;
}

export interface PathOptions extends ModelSampleOptions {
  /** Frames kept per path at most (the first and the last are always kept). */
  maxFrames: number;
}

/** Sample paths from the noise / latent end (frame 0) to the samples (the last frame). */
export interface SamplePaths {
  /** One flat (x0, y0, …) array per frame, data coordinates. */
  frames: Float32Array[];
  /** The time of each frame, from 1 (noise) to 0 (data); flows: the fraction of layers left. */
  times: number[];
  nfe: number | null;
}

/** Optional views of a model kind, so that callers can say why one is missing before asking. */
export interface ModelCapabilities {
  /** trace(): positions after every layer (flows). */
  trace: boolean;
  /** What field() returns: flow matching's velocity, DDPM's probability-flow drift; null: none. */
  field: 'velocity' | 'pf-drift' | null;
  /** Whether warpStages() can pull a latent grid back ('inverse'): flows can, ODE models not. */
  inverseWarp: boolean;
}

/** What a checkpoint restores: the parameters, their coordinates, and the optimizer then. */
export interface ModelState {
  params: Float32Array;
  normalization: Normalization;
  /** The run's optimizer (its EMA of the weights is what a diffusion model samples with). */
  trainerState?: TrainerState;
}

/** ODE steps a diffusion / flow-matching warp grid is carried with: its stages (+ the start). */
export const ODE_WARP_STEPS = 24;

/** The frame stride that keeps at most `maxFrames` frames of a `steps`-step path. */
export function frameStride(steps: number, maxFrames: number): number {
  return Math.max(1, Math.ceil(steps / Math.max(1, maxFrames - 1)));
}

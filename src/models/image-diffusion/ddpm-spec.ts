/**
 * The spec of an image DDPM (lab.createModel({ family: 'image-diffusion', kind: 'ddpm', shape,
 * schedule, timesteps })): the small U-Net of src/nn/conv/unet.ts predicts the noise ε of
 * x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε (Ho et al. 2020) on images scaled to [−1, 1], its time input the
 * step index t ∈ {0 … T−1}; the schedule is src/models/diffusion/schedule.ts's table.
 * Sampled by DDPM's ancestral sampler or DDIM (Song et al. 2021), with the 2-D models' step
 * coefficients (diffusionSamplePlan).
 */
import type { UNetShape } from '../../nn/reference/unet';
import { MAX_TIMESTEPS, MIN_TIMESTEPS, type ScheduleKind } from '../diffusion/schedule';
import { ModelSpecError } from '../flows/flow-spec';
import {
  checkFields,
  IMAGE_UNET_FIELDS,
  imageUNetShape,
  integerIn,
  resolveImageUNetFields,
  type ImageUNetFields,
  type ResolvedImageUNetFields,
} from './unet-spec';

export const IMAGE_DDPM_SAMPLERS = ['ddpm', 'ddim'] as const;
export type ImageDdpmSampler = (typeof IMAGE_DDPM_SAMPLERS)[number];

export interface ImageDdpmSpec extends ImageUNetFields {
  family: 'image-diffusion';
  kind: 'ddpm';
  /** β schedule: 'linear' (default; Ho et al.'s 1e-4 → 0.02 scaled to T) or 'cosine'. */
  schedule?: ScheduleKind;
  /** Diffusion steps T (default 1000). */
  timesteps?: number;
}

export interface ResolvedImageDdpmSpec extends ResolvedImageUNetFields {
  family: 'image-diffusion';
  kind: 'ddpm';
  schedule: ScheduleKind;
  timesteps: number;
}

const FIELDS = [...IMAGE_UNET_FIELDS, 'schedule', 'timesteps'];

export function resolveImageDdpmSpec(spec: ImageDdpmSpec): ResolvedImageDdpmSpec {
  const s = spec as unknown as Record<string, unknown>;
  checkFields(s, FIELDS);
  if (s.kind !== 'ddpm') {
    throw new ModelSpecError(
      'kind',
      `model.kind of an image-diffusion model must be 'flow-matching' or 'ddpm', got ${JSON.stringify(s.kind)}.`,
    );
  }
  const schedule = s.schedule ?? 'linear';
  if (schedule !== 'linear' && schedule !== 'cosine') {
    throw new ModelSpecError(
      'schedule',
      `model.schedule must be 'linear' or 'cosine', got ${JSON.stringify(schedule)}.`,
    );
  }
  return {
    family: 'image-diffusion',
    kind: 'ddpm',
    ...resolveImageUNetFields(s),
    schedule,
    timesteps: integerIn('timesteps', s.timesteps ?? 1000, [MIN_TIMESTEPS, MAX_TIMESTEPS]),
  };
}

/** The network sees the step index t ∈ {0 … T−1} itself (time scale 1). */
export function imageDdpmUNetShape(spec: ResolvedImageDdpmSpec): UNetShape {
  return imageUNetShape(spec, 1);
}

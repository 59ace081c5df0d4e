/**
 * The spec of an image flow-matching model (lab.createModel({ family: 'image-diffusion', kind:
 * 'flow-matching', shape, channels })): the small U-Net of src/nn/conv/unet.ts regresses the
 * velocity v = ε − x₀ of the linear interpolant x_t = (1 − t) x₀ + t ε, t ∈ [0, 1], on images
 * scaled to [−1, 1]. Validation names the bad field (ModelSpecError).
 */
import type { UNetShape } from '../../nn/reference/unet';
import { ModelSpecError } from '../flows/flow-spec';
import {
  checkFields,
  IMAGE_UNET_FIELDS,
  IMAGE_UNET_LIMITS,
  imageUNetShape,
  resolveImageUNetFields,
  type ImageUNetFields,
  type ResolvedImageUNetFields,
} from './unet-spec';

export const IMAGE_FM_SAMPLERS = ['euler', 'heun', 'rk4'] as const;
export type ImageFmSampler = (typeof IMAGE_FM_SAMPLERS)[number];

/** Network evaluations per step of each sampler. */
export const IMAGE_FM_STAGES: Readonly<Record<ImageFmSampler, number>> = {
  euler: 1,
  heun: 2,
  rk4: 4,
};

export interface ImageFlowMatchingSpec extends ImageUNetFields {
  family: 'image-diffusion';
  kind: 'flow-matching';
}

export interface ResolvedImageFlowMatchingSpec extends ResolvedImageUNetFields {
  family: 'image-diffusion';
  kind: 'flow-matching';
}

export const IMAGE_FM_LIMITS = { ...IMAGE_UNET_LIMITS, steps: [1, 1000] } as const;

/** t ∈ [0, 1] is multiplied by this before the sinusoidal features (like a step index). */
export const IMAGE_FM_TIME_SCALE = 1000;

export function resolveImageFlowMatchingSpec(
  spec: ImageFlowMatchingSpec,
): ResolvedImageFlowMatchingSpec {
  const s = spec as unknown as Record<string, unknown>;
  checkFields(s, IMAGE_UNET_FIELDS);
  if (s.kind !== 'flow-matching') {
    throw new ModelSpecError(
      'kind',
      `model.kind of an image-diffusion model must be 'flow-matching' or 'ddpm', got ${JSON.stringify(s.kind)}.`,
    );
  }
  return { family: 'image-diffusion', kind: 'flow-matching', ...resolveImageUNetFields(s) };
}

export function imageFmUNetShape(spec: ResolvedImageFlowMatchingSpec): UNetShape {
  return imageUNetShape(spec, IMAGE_FM_TIME_SCALE);
}

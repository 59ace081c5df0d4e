/**
 * The spec of an image flow-matching model (lab.createModel({ family: 'image-diffusion', kind:
 * 'flow-matching', shape, channels })): the small U-Net of src/nn/conv/unet.ts regresses the
 * velocity v = ε − x₀ of the linear interpolant x_t = (1 − t) x₀ + t ε, t ∈ [0, 1], on images
 * scaled to [−1, 1]. Validation names the bad field (ModelSpecError).
 */
import type { UNetShape } from '../../nn/reference/unet';
import { ModelSpecError } from '../flows/flow-spec';

export const IMAGE_FM_SAMPLERS = ['euler', 'rk4'] as const;
export type ImageFmSampler = (typeof IMAGE_FM_SAMPLERS)[number];

export interface ImageFlowMatchingSpec {
  family: 'image-diffusion';
  kind: 'flow-matching';
  /** [channels, height, width] of the images (height and width even). */
  shape: readonly [number, number, number];
  /** U-Net feature channels at full resolution (twice that at half). Default 16. */
  channels?: number;
  /** GroupNorm groups; must divide channels. Default 4 (or channels when smaller). */
  groups?: number;
  /** Sinusoidal features of t (even). Default 16. */
  timeFeatures?: number;
  /** Width of the time MLP. Default 32. */
  timeHidden?: number;
  /** Philox seed of the initial weights. Default 0. */
  seed?: number;
}

export interface ResolvedImageFlowMatchingSpec {
  family: 'image-diffusion';
  kind: 'flow-matching';
  shape: [number, number, number];
  channels: number;
  groups: number;
  timeFeatures: number;
  timeHidden: number;
  seed: number;
}

export const IMAGE_FM_LIMITS = {
  imageChannels: [1, 4],
  side: [2, 64],
  channels: [1, 128],
  timeFeatures: [2, 256],
  timeHidden: [1, 512],
  steps: [1, 1000],
} as const;

/** t ∈ [0, 1] is multiplied by this before the sinusoidal features (like a step index). */
export const IMAGE_FM_TIME_SCALE = 1000;

const FIELDS = [
  'family',
  'kind',
  'shape',
  'channels',
  'groups',
  'timeFeatures',
  'timeHidden',
  'seed',
];

function integerIn(field: string, value: unknown, [min, max]: readonly [number, number]): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ModelSpecError(
      field,
      `model.${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

export function resolveImageFlowMatchingSpec(
  spec: ImageFlowMatchingSpec,
): ResolvedImageFlowMatchingSpec {
  const s = spec as unknown as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    if (!FIELDS.includes(key) && s[key] !== undefined) {
      throw new ModelSpecError(
        key,
        `Unknown field '${key}' in an image-diffusion spec; allowed fields: ${FIELDS.join(', ')}.`,
      );
    }
  }
  if (s.kind !== 'flow-matching') {
    throw new ModelSpecError(
      'kind',
      `model.kind of an image-diffusion model must be 'flow-matching', got ${JSON.stringify(s.kind)}.`,
    );
  }
  const shape = s.shape;
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw new ModelSpecError(
      'shape',
      `model.shape must be [channels, height, width] (the dataset's shape), got ${JSON.stringify(shape)}.`,
    );
  }
  const c = integerIn('shape[0] (channels)', shape[0], IMAGE_FM_LIMITS.imageChannels);
  const h = integerIn('shape[1] (height)', shape[1], IMAGE_FM_LIMITS.side);
  const w = integerIn('shape[2] (width)', shape[2], IMAGE_FM_LIMITS.side);
  if (h % 2 !== 0 || w % 2 !== 0) {
    throw new ModelSpecError(
      'shape',
      `The U-Net halves the resolution once: height and width must be even, got ${h}×${w}; crop or pad the images.`,
    );
  }
  const channels = integerIn('channels', s.channels ?? 16, IMAGE_FM_LIMITS.channels);
  const groups = integerIn('groups', s.groups ?? Math.min(4, channels), [1, channels]);
  if (channels % groups !== 0) {
    throw new ModelSpecError(
      'groups',
      `model.groups must divide model.channels (${channels}), got ${groups}.`,
    );
  }
  const timeFeatures = integerIn(
    'timeFeatures',
    s.timeFeatures ?? 16,
    IMAGE_FM_LIMITS.timeFeatures,
  );
  if (timeFeatures % 2 !== 0) {
    throw new ModelSpecError(
      'timeFeatures',
      `model.timeFeatures (sin and cos pairs) must be even, got ${timeFeatures}.`,
    );
  }
  const seed = s.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new ModelSpecError(
      'seed',
      `model.seed must be an integer in [0, 2^53), got ${String(seed)}.`,
    );
  }
  return {
    family: 'image-diffusion',
    kind: 'flow-matching',
    shape: [c, h, w],
    channels,
    groups,
    timeFeatures,
    timeHidden: integerIn('timeHidden', s.timeHidden ?? 32, IMAGE_FM_LIMITS.timeHidden),
    seed,
  };
}

export function imageFmUNetShape(spec: ResolvedImageFlowMatchingSpec): UNetShape {
  return {
    channels: spec.shape[0],
    height: spec.shape[1],
    width: spec.shape[2],
    base: spec.channels,
    groups: spec.groups,
    timeFeatures: spec.timeFeatures,
    timeHidden: spec.timeHidden,
    timeScale: IMAGE_FM_TIME_SCALE,
  };
}

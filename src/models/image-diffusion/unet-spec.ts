/**
 * The U-Net fields every image diffusion spec shares (flow matching, DDPM): the image shape,
 * the network's widths and the weight seed, validated with errors that name the field
 * (ModelSpecError). The kinds' own fields live in fm-spec.ts and ddpm-spec.ts.
 */
import type { UNetShape } from '../../nn/reference/unet';
import { ModelSpecError } from '../flows/flow-spec';

export const IMAGE_UNET_LIMITS = {
  imageChannels: [1, 4],
  side: [2, 64],
  channels: [1, 128],
  timeFeatures: [2, 256],
  timeHidden: [1, 512],
  classes: [0, 256],
} as const;

/** The spec fields of the U-Net (all optional but shape). */
export interface ImageUNetFields {
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
  /**
   * Class-conditional with classifier-free guidance: the number of classes K of the labelled
   * set (labels 0 … K − 1) and a learned null class. Default 0: unconditional.
   */
  classes?: number;
  /** Probability of training a sample with the null class instead of its label. Default 0.1. */
  pUncond?: number;
}

export interface ResolvedImageUNetFields {
  shape: [number, number, number];
  channels: number;
  groups: number;
  timeFeatures: number;
  timeHidden: number;
  seed: number;
  classes: number;
  pUncond: number;
}

export const IMAGE_UNET_FIELDS = [
  'family',
  'kind',
  'shape',
  'channels',
  'groups',
  'timeFeatures',
  'timeHidden',
  'seed',
  'classes',
  'pUncond',
] as const;

export function integerIn(
  field: string,
  value: unknown,
  [min, max]: readonly [number, number],
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ModelSpecError(
      field,
      `model.${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** Refuses a field outside `fields` (undefined values pass), naming the allowed ones. */
export function checkFields(spec: Record<string, unknown>, fields: readonly string[]): void {
  for (const key of Object.keys(spec)) {
    if (!fields.includes(key) && spec[key] !== undefined) {
      throw new ModelSpecError(
        key,
        `Unknown field '${key}' in an image-diffusion spec of kind ${JSON.stringify(spec.kind)}; allowed fields: ${fields.join(', ')}.`,
      );
    }
  }
}

export function resolveImageUNetFields(s: Record<string, unknown>): ResolvedImageUNetFields {
  const shape = s.shape;
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw new ModelSpecError(
      'shape',
      `model.shape must be [channels, height, width] (the dataset's shape), got ${JSON.stringify(shape)}.`,
    );
  }
  const c = integerIn('shape[0] (channels)', shape[0], IMAGE_UNET_LIMITS.imageChannels);
  const h = integerIn('shape[1] (height)', shape[1], IMAGE_UNET_LIMITS.side);
  const w = integerIn('shape[2] (width)', shape[2], IMAGE_UNET_LIMITS.side);
  if (h % 2 !== 0 || w % 2 !== 0) {
    throw new ModelSpecError(
      'shape',
      `The U-Net halves the resolution once: height and width must be even, got ${h}×${w}; crop or pad the images.`,
    );
  }
  const channels = integerIn('channels', s.channels ?? 16, IMAGE_UNET_LIMITS.channels);
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
    IMAGE_UNET_LIMITS.timeFeatures,
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
  const classes = integerIn('classes', s.classes ?? 0, IMAGE_UNET_LIMITS.classes);
  const pUncond = s.pUncond ?? 0.1;
  if (typeof pUncond !== 'number' || !(pUncond >= 0 && pUncond <= 1)) {
    throw new ModelSpecError(
      'pUncond',
      `model.pUncond (the probability of the null class in training) must be in [0, 1], got ${JSON.stringify(pUncond)}.`,
    );
  }
  return {
    shape: [c, h, w],
    channels,
    groups,
    timeFeatures,
    timeHidden: integerIn('timeHidden', s.timeHidden ?? 32, IMAGE_UNET_LIMITS.timeHidden),
    seed,
    classes,
    pUncond,
  };
}

/** The U-Net of resolved fields; `timeScale` multiplies the network's time input. */
export function imageUNetShape(spec: ResolvedImageUNetFields, timeScale: number): UNetShape {
  return {
    channels: spec.shape[0],
    height: spec.shape[1],
    width: spec.shape[2],
    base: spec.channels,
    groups: spec.groups,
    timeFeatures: spec.timeFeatures,
    timeHidden: spec.timeHidden,
    timeScale,
    ...(spec.classes > 0 ? { classes: spec.classes } : {}),
  };
}

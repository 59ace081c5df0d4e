/**
 * The image models a Model cell offers on an image set, as data: each kind's options (a range or
 * a list of choices, a tip, a default sensible for the images' shape) and its shape limits. The
 * validator, the Model cell's controls, the settings checks and the lab spec (src/specs) all
 * read this table, so a new lab image kind joins by one entry here, not new plumbing. Ranges
 * mirror the library's NICE_LIMITS, MULTISCALE_LIMITS, IMAGE_FM_LIMITS and the DDPM's schedule
 * limits (test/notebook/image-models.test.ts checks them against the library's own validation).
 */
import { MULTISCALE_RANGES, multiscaleShapeProblem, type MultiscaleKind } from './image-flow-kinds';
import { MODEL_LIMITS, TRAIN_LIMITS, rangeError, type Range } from './limits';
import type {
  DataSource,
  ImageModelKind,
  ImageModelSettings,
  ModelSettings,
  TrainSettings,
} from './schema';

/** [channels, height, width] of an image set's images. */
export type ImageShape = readonly [number, number, number];

export interface ImageNumberOption {
  key: string;
  type: 'number';
  range: Range;
  tip: string;
  /** The default for images of this shape. */
  initial(shape: ImageShape): number;
  /**
   * Added after the kind shipped (class conditioning): a notebook may leave it out, which means
   * the library's own default (`initial`), and a notebook without it round-trips unchanged.
   */
  optional?: true;
}

export interface ImageChoiceOption {
  key: string;
  type: 'choice';
  label: string;
  choices: readonly string[];
  names: Record<string, string>;
  tip: string;
  initial(shape: ImageShape): string;
}

export type ImageModelOption = ImageNumberOption | ImageChoiceOption;

export interface ImageModelKindInfo {
  /** The lab family its spec belongs to. */
  family: 'image-flow' | 'image-diffusion';
  /** The kind's name in the Model cell. */
  name: string;
  options: readonly ImageModelOption[];
  /**
   * Why this kind cannot model images of `shape` with these (in-range) options, saying what to
   * change, or ''. Checked before any GPU work, like every other limit.
   */
  shapeProblem(shape: ImageShape, options: ImageModelSettings['options']): string;
}

/** Channels and sides the lab's image models accept (NICE_LIMITS, IMAGE_FM_LIMITS). */
const IMAGE_CHANNELS = { min: 1, max: 4 };
const IMAGE_SIDE = { min: 2, max: 64 };
/** NICE_LIMITS.parameters: parameters, gradients and Adam's moments within ~160 MB. */
export const NICE_MAX_PARAMETERS = 8_000_000;

function describeShape([c, h, w]: ImageShape): string {
  return `${c}×${h}×${w}`;
}

function commonShapeProblem(shape: ImageShape, name: string): string {
  const [c, h, w] = shape;
  if (c < IMAGE_CHANNELS.min || c > IMAGE_CHANNELS.max) {
    return `${name} takes images of ${IMAGE_CHANNELS.min} to ${IMAGE_CHANNELS.max} channels; these are ${describeShape(shape)}.`;
  }
  if (Math.min(h, w) < IMAGE_SIDE.min || Math.max(h, w) > IMAGE_SIDE.max) {
    return `${name} takes images ${IMAGE_SIDE.min} to ${IMAGE_SIDE.max} pixels a side; these are ${describeShape(shape)}.`;
  }
  return '';
}

/** NICE's parameters: every coupling's MLP (D/2 → hidden × hiddenLayers → D/2), then D scales. */
export function niceParameters(shape: ImageShape, options: ImageModelSettings['options']): number {
  const dims = shape[0] * shape[1] * shape[2];
  const half = dims / 2;
  const hidden = options['hidden'] as number;
  const hiddenLayers = options['hiddenLayers'] as number;
  const mlp =
    (half + 1) * hidden + (hiddenLayers - 1) * (hidden + 1) * hidden + (hidden + 1) * half;
  return (options['layers'] as number) * mlp + dims;
}

const UNET_CHANNELS: ImageNumberOption = {
  key: 'channels',
  type: 'number',
  range: { min: 1, max: 128, integer: true, label: 'U-Net channels' },
  tip: 'Feature channels of the U-Net at full resolution (twice that at half resolution).',
  initial: ([, h]) => (h <= 8 ? 8 : 16),
};

/**
 * Class conditioning of the U-Net kinds (the library's `classes`, `pUncond`): absent, the model
 * is unconditional. The Model cell sets `classes` to the label count of a labelled set.
 */
export const UNET_CLASSES: ImageNumberOption = {
  key: 'classes',
  type: 'number',
  // IMAGE_UNET_LIMITS.classes: 0 (unconditional) to 256 classes.
  range: { min: 0, max: 256, integer: true, label: 'Classes' },
  tip: 'Class-conditional: the set’s label count K (the U-Net also learns a null class for classifier-free guidance); 0: unconditional.',
  initial: () => 0,
  optional: true,
};

export const UNET_P_UNCOND: ImageNumberOption = {
  key: 'pUncond',
  type: 'number',
  range: { min: 0, max: 1, integer: false, label: 'Null-class probability' },
  tip: 'How often training swaps an image’s label for the null class, so that one network learns the conditional and the unconditional model (guidance needs both).',
  initial: () => 0.1,
  optional: true,
};

/** Whether a kind's settings are class-conditional (classes K > 0). */
export function imageClassCount(image: ImageModelSettings | undefined): number {
  const classes = image?.options['classes'];
  return typeof classes === 'number' ? classes : 0;
}

function unetShapeProblem(shape: ImageShape, options: ImageModelSettings['options']): string {
  const common = commonShapeProblem(shape, 'The U-Net');
  if (common) return common;
  if (shape[1] % 2 !== 0 || shape[2] % 2 !== 0) {
    return `The U-Net halves the resolution once, so height and width must be even; these images are ${describeShape(shape)}: choose an even size.`;
  }
  const channels = options['channels'] as number;
  // GroupNorm uses min(4, channels) groups (the library's default), which must divide them.
  if (channels > 4 && channels % 4 !== 0) {
    return `GroupNorm splits the U-Net's ${channels} channels into 4 groups, so U-Net channels must be a multiple of 4 (or at most 4).`;
  }
  return '';
}

const FLOW_PRIOR = (initial: 'logistic' | 'gaussian', tip: string): ImageChoiceOption => ({
  key: 'prior',
  type: 'choice',
  label: 'Prior',
  choices: ['logistic', 'gaussian'],
  names: { logistic: 'Logistic', gaussian: 'Gaussian' },
  tip,
  initial: () => initial,
});

/** Conditioner width of RealNVP and Glow: small enough for a laptop GPU, wide enough for digits. */
const CONDITIONER_CHANNELS: ImageNumberOption = {
  key: 'channels',
  type: 'number',
  range: { ...MULTISCALE_RANGES.channels, integer: true, label: 'Conditioner channels' },
  tip: 'Hidden channels of each coupling’s conditioner (3×3 conv → ReLU → 3×3 conv).',
  initial: ([, h]) => (h <= 8 ? 8 : 16),
};

/** The most squeezes (up to `most`) that divide both sides, at least 1. */
function squeezesThatFit([, h, w]: ImageShape, most: number): number {
  let squeezes = most;
  while (squeezes > 1 && (h % 2 ** squeezes !== 0 || w % 2 ** squeezes !== 0)) squeezes--;
  return squeezes;
}

function multiscaleKind(
  kind: MultiscaleKind,
  name: string,
  options: readonly ImageModelOption[],
): ImageModelKindInfo {
  return {
    family: 'image-flow',
    name,
    options: [
      ...options,
      CONDITIONER_CHANNELS,
      FLOW_PRIOR('gaussian', 'The base density of z: the paper used the standard Gaussian.'),
    ],
    shapeProblem(shape, values) {
      const label = kind === 'realnvp' ? 'RealNVP' : 'Glow';
      return commonShapeProblem(shape, label) || multiscaleShapeProblem(kind, shape, values);
    },
  };
}

export const IMAGE_MODEL_KINDS_INFO: Record<ImageModelKind, ImageModelKindInfo> = {
  nice: {
    family: 'image-flow',
    name: 'NICE on images',
    options: [
      {
        key: 'layers',
        type: 'number',
        range: { min: 1, max: 16, integer: true, label: 'Coupling layers' },
        tip: 'Additive coupling layers over the flattened pixels, halves alternating (the paper: 4).',
        initial: () => 4,
      },
      {
        key: 'hidden',
        type: 'number',
        range: { min: 1, max: 1024, integer: true, label: 'Hidden width' },
        tip: 'Width of each coupling’s conditioner MLP (the paper: 1000 on MNIST 28×28).',
        // Wide enough to learn digits, small enough that a laptop GPU trains it in minutes.
        initial: ([c, h, w]) => (c * h * w <= 64 ? 64 : c * h * w <= 256 ? 256 : 512),
      },
      {
        key: 'hiddenLayers',
        type: 'number',
        range: { min: 1, max: 5, integer: true, label: 'Hidden layers' },
        tip: 'Hidden layers of each conditioner MLP (ReLU; the paper: 5).',
        initial: () => 2,
      },
      {
        key: 'prior',
        type: 'choice',
        label: 'Prior',
        choices: ['logistic', 'gaussian'],
        names: { logistic: 'Logistic (the paper)', gaussian: 'Gaussian' },
        tip: 'The base density of z: NICE used the standard logistic, whose tails are heavier.',
        initial: () => 'logistic',
      },
    ],
    shapeProblem(shape, options) {
      const common = commonShapeProblem(shape, 'NICE');
      if (common) return common;
      const dims = shape[0] * shape[1] * shape[2];
      if (dims % 2 !== 0) {
        return `NICE splits an image's ${dims} values into two equal halves, so channels × height × width must be even; these images are ${describeShape(shape)}: choose an even size.`;
      }
      const count = niceParameters(shape, options);
      if (count > NICE_MAX_PARAMETERS) {
        return `This NICE has ${count.toLocaleString('en')} parameters, more than the ${NICE_MAX_PARAMETERS.toLocaleString('en')} allowed; use a smaller hidden width, fewer hidden layers or fewer coupling layers.`;
      }
      return '';
    },
  },
  realnvp: multiscaleKind('realnvp', 'RealNVP on images (multi-scale)', [
    {
      key: 'scales',
      type: 'number',
      range: { ...MULTISCALE_RANGES.scales, integer: true, label: 'Scales' },
      tip: 'Scales: each but the last squeezes the image to half its side and factors out half the channels (sides divisible by 2^(scales − 1)).',
      // Two scales (one squeeze) when the sides are even: small enough for a laptop GPU.
      initial: ([, h, w]) => (h % 2 === 0 && w % 2 === 0 ? 2 : 1),
    },
    {
      key: 'couplingsPerScale',
      type: 'number',
      range: { ...MULTISCALE_RANGES.steps, integer: true, label: 'Couplings per mask' },
      tip: 'Affine couplings of each mask type (checkerboard, then channel) per scale (the paper: 3).',
      initial: () => 3,
    },
  ]),
  glow: multiscaleKind('glow', 'Glow on images', [
    {
      key: 'levels',
      type: 'number',
      range: { ...MULTISCALE_RANGES.scales, integer: true, label: 'Levels' },
      tip: 'Levels: each squeezes the image to half its side (sides divisible by 2^levels).',
      initial: (shape) => squeezesThatFit(shape, 2),
    },
    {
      key: 'stepsPerLevel',
      type: 'number',
      range: { ...MULTISCALE_RANGES.steps, integer: true, label: 'Steps per level' },
      tip: 'ActNorm → invertible 1×1 conv → affine coupling steps per level (the paper: 32; 4 trains in minutes).',
      initial: () => 4,
    },
  ]),
  'flow-matching': {
    family: 'image-diffusion',
    name: 'Flow matching (U-Net)',
    options: [UNET_CHANNELS, UNET_CLASSES, UNET_P_UNCOND],
    shapeProblem: unetShapeProblem,
  },
  ddpm: {
    family: 'image-diffusion',
    name: 'DDPM (U-Net)',
    options: [
      UNET_CHANNELS,
      {
        key: 'schedule',
        type: 'choice',
        label: 'Noise schedule',
        choices: ['linear', 'cosine'],
        names: { linear: 'Linear (Ho et al.)', cosine: 'Cosine (Nichol & Dhariwal)' },
        tip: 'How β_t grows with t: linear from 1e-4 to 0.02 (scaled to T), or the cosine schedule.',
        initial: () => 'linear',
      },
      {
        key: 'timesteps',
        type: 'number',
        // MIN_TIMESTEPS, MAX_TIMESTEPS of the library's schedule.
        range: { min: 10, max: 1000, integer: true, label: 'Diffusion steps T' },
        tip: 'Noise levels T; the DDPM sampler takes all T steps, DDIM as few as the View cell asks.',
        initial: () => 1000,
      },
      UNET_CLASSES,
      UNET_P_UNCOND,
    ],
    shapeProblem: unetShapeProblem,
  },
};

/** A kind's options at their defaults for images of `shape` (optional ones left out). */
export function defaultImageModel(kind: ImageModelKind, shape: ImageShape): ImageModelSettings {
  const options: ImageModelSettings['options'] = {};
  for (const option of IMAGE_MODEL_KINDS_INFO[kind].options) {
    if (option.type === 'number' && option.optional) continue;
    options[option.key] = option.initial(shape);
  }
  return { kind, options };
}

/** The [channels, height, width] of a Data cell's image set, or undefined for 2-D data. */
export function imageShapeOf(source: DataSource | undefined): ImageShape | undefined {
  if (source?.kind === 'images') return [1, source.size, source.size];
  if (source?.kind === 'image-files') return [source.channels, source.size, source.size];
  return undefined;
}

/**
 * Option key → message for every option out of range or of a wrong type, then, when all are in
 * range, 'shape' → why the kind cannot model these images (empty when all is well).
 */
export function imageModelErrors(
  image: ImageModelSettings,
  shape: ImageShape,
): Partial<Record<string, string>> {
  const info = IMAGE_MODEL_KINDS_INFO[image.kind];
  const errors: Partial<Record<string, string>> = {};
  for (const option of info.options) {
    const value = image.options[option.key];
    if (option.type === 'number' && option.optional && value === undefined) continue;
    if (option.type === 'number') {
      const message = numberProblem(value, option.range);
      if (message) errors[option.key] = message;
    } else if (typeof value !== 'string' || !option.choices.includes(value)) {
      errors[option.key] = `${option.label} must be one of ${option.choices.join(', ')}.`;
    }
  }
  if (Object.keys(errors).length === 0) {
    const problem = info.shapeProblem(shape, image.options);
    if (problem) errors['shape'] = problem;
  }
  return errors;
}

function numberProblem(value: unknown, range: Range): string | undefined {
  return typeof value === 'number' ? rangeError(value, range) : `${range.label} must be a number.`;
}

/**
 * Field → message for a Model cell holding an image model: its training settings and seed (the
 * 2-D settings it leaves unused are not checked), its options, then its fit to the images.
 */
export function imageSettingsErrors(
  model: ModelSettings,
  train: TrainSettings,
  shape: ImageShape,
): Partial<Record<string, string>> {
  const errors: Partial<Record<string, string>> = {};
  const check = (field: string, value: number, range: Range) => {
    const message = rangeError(value, range);
    if (message) errors[field] = message;
  };
  check('seed', model.seed, MODEL_LIMITS.seed);
  check('learningRate', train.learningRate, TRAIN_LIMITS.learningRate);
  check('batch', train.batch, TRAIN_LIMITS.batch);
  check('steps', train.steps, TRAIN_LIMITS.steps);
  return model.image ? { ...errors, ...imageModelErrors(model.image, shape) } : errors;
}

/** Training settings an image model starts with: small batches, Adam at 1e-3. */
export const IMAGE_TRAIN_DEFAULTS: TrainSettings = {
  optimizer: 'adam',
  learningRate: 1e-3,
  schedule: 'constant',
  batch: 32,
  steps: 2000,
};

/**
 * Every numeric setting's allowed range. The UI shows the message next to the control and
 * refuses to run; nothing is silently clamped. Flow ranges mirror the library's FLOW_LIMITS.
 */
import type { ModelSettings, TrainSettings } from './schema';

export interface Range {
  min: number;
  max: number;
  integer: boolean;
  label: string;
}

export const MODEL_LIMITS: Record<
  'layers' | 'hidden' | 'hiddenLayers' | 'seed' | 'timesteps',
  Range
> = {
  layers: { min: 1, max: 32, integer: true, label: 'Layers' },
  hidden: { min: 1, max: 256, integer: true, label: 'Hidden width' },
  hiddenLayers: { min: 1, max: 4, integer: true, label: 'Hidden layers' },
  seed: { min: 0, max: 2 ** 32 - 1, integer: true, label: 'Seed' },
  timesteps: { min: 10, max: 1000, integer: true, label: 'Noise levels T' },
};

export const TRAIN_LIMITS: Record<'learningRate' | 'batch' | 'steps', Range> = {
  learningRate: { min: 1e-6, max: 1, integer: false, label: 'Learning rate' },
  batch: { min: 1, max: 65_536, integer: true, label: 'Batch size' },
  steps: { min: 1, max: 1_000_000, integer: true, label: 'Steps' },
};

export const VIEW_LIMITS: Record<
  | 'sampleCount'
  | 'sampleSeed'
  | 'samplerSteps'
  | 'position'
  | 'temperature'
  | 'guidance'
  | 'sampleClass',
  Range
> = {
  sampleCount: { min: 16, max: 65_536, integer: true, label: 'Samples' },
  sampleSeed: { min: 0, max: 2 ** 32 - 1, integer: true, label: 'Sample seed' },
  samplerSteps: { min: 1, max: 1000, integer: true, label: 'Sampler steps' },
  position: { min: 0, max: 1, integer: false, label: 'Scrubber position' },
  temperature: { min: 0, max: 2, integer: false, label: 'Temperature' },
  // Classifier-free guidance: 0 is the unconditional model, 1 the conditional one, above 1 pushes
  // further towards the class (the library takes any finite scale; beyond 10 only saturates).
  guidance: { min: 0, max: 10, integer: false, label: 'Guidance scale' },
  // A label of the model's classes (IMAGE_UNET_LIMITS.classes: at most 256).
  sampleClass: { min: 0, max: 255, integer: true, label: 'Class' },
};

export const COMPARE_LIMITS: Record<'sampleCount' | 'seed' | 'trainIds', Range> = {
  sampleCount: { min: 256, max: 65_536, integer: true, label: 'Samples per model' },
  seed: { min: 0, max: 2 ** 32 - 1, integer: true, label: 'Seed' },
  trainIds: { min: 0, max: 8, integer: true, label: 'Compared models' },
};

/** Reflow pairs and the teacher's RK4 steps (pairs ≤ the library's MAX_REFLOW_PAIRS). */
export const REFLOW_LIMITS: Record<'pairs' | 'teacherSteps', Range> = {
  pairs: { min: 256, max: 65_536, integer: true, label: 'Reflow pairs' },
  teacherSteps: { min: 1, max: 200, integer: true, label: 'Teacher RK4 steps' },
};

/**
 * Largest batch minibatch-OT pairing takes: it solves each batch exactly in one GPU workgroup
 * (mirrors the library's MAX_OT_BATCH).
 */
export const MAX_OT_BATCH = 512;

export const SMOOTHING_LIMITS: Range = { min: 0, max: 0.99, integer: false, label: 'Smoothing' };

/** Undefined when `value` is allowed, else a message that says what is allowed. */
export function rangeError(value: number, range: Range): string | undefined {
  if (!Number.isFinite(value)) return `${range.label} must be a number.`;
  if (range.integer && !Number.isInteger(value)) return `${range.label} must be a whole number.`;
  if (value < range.min || value > range.max) {
    return `${range.label} must be between ${range.min} and ${range.max.toLocaleString('en')}.`;
  }
  return undefined;
}

/** Field → message for every setting out of range (empty when all are fine). */
export function settingsErrors(
  model: ModelSettings,
  train: TrainSettings,
): Partial<Record<string, string>> {
  const errors: Partial<Record<string, string>> = {};
  const check = (field: string, value: number, range: Range) => {
    const message = rangeError(value, range);
    if (message) errors[field] = message;
  };
  check('layers', model.layers, MODEL_LIMITS.layers);
  check('hidden', model.hidden, MODEL_LIMITS.hidden);
  check('hiddenLayers', model.hiddenLayers, MODEL_LIMITS.hiddenLayers);
  check('seed', model.seed, MODEL_LIMITS.seed);
  if (model.family === 'diffusion') check('timesteps', model.timesteps, MODEL_LIMITS.timesteps);
  check('learningRate', train.learningRate, TRAIN_LIMITS.learningRate);
  check('batch', train.batch, TRAIN_LIMITS.batch);
  check('steps', train.steps, TRAIN_LIMITS.steps);
  if (model.kind === 'flow-matching' && model.pairing === 'minibatch-ot') {
    if (!errors['batch'] && train.batch > MAX_OT_BATCH) {
      errors['batch'] =
        `Minibatch OT solves each batch's pairing exactly on the GPU, so the batch size must be at most ${MAX_OT_BATCH} (it is ${train.batch.toLocaleString('en')}); use a smaller batch or pairing Independent.`;
    }
  }
  if (model.kind === 'flow-matching' && model.pairing === 'reflow') {
    if (!model.reflow) {
      errors['reflow'] = 'Reflow needs a teacher: pick a flow-matching Model cell above this one.';
    } else {
      check('reflowPairs', model.reflow.pairs, REFLOW_LIMITS.pairs);
      check('teacherSteps', model.reflow.teacherSteps, REFLOW_LIMITS.teacherSteps);
    }
  }
  return errors;
}

/**
 * Sizes a loaded notebook may have (links and files are untrusted input). Grid sides mirror the
 * library's MAX_GRID_SIDE; jitter mirrors the Data cell's control.
 */
export const NOTEBOOK_LIMITS = {
  cells: 200,
  idLength: 64,
  titleLength: 1_000,
  markdownLength: 100_000,
  pointsTextLength: 2_000_000,
  gridSide: 256,
} as const;

export const JITTER_LIMITS: Range = { min: 0, max: 1, integer: false, label: 'Jitter' };
export const DATA_SEED_LIMITS: Range = { min: 0, max: 2 ** 32 - 1, integer: true, label: 'Seed' };

/**
 * A reference to the user's own image files (mirrors the library's MAX_IMAGE_SIDE and
 * MAX_IMAGE_SET_VALUES, and the folder-per-class labels of readImageFiles: 2 to 256 classes).
 */
export const IMAGE_FILES_LIMITS = {
  size: { min: 1, max: 28, integer: true, label: 'Image size' } as Range,
  count: { min: 2, max: 1 << 26, integer: true, label: 'Images' } as Range,
  values: 1 << 26,
  classes: 256,
} as const;

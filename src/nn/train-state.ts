/** The GPU-resident training state (layout of TrainState in shaders/nn/train-state.wgsl). */
import trainStateSource from '../../shaders/nn/train-state.wgsl';

export const TRAIN_STATE_LIBRARY = {
  file: 'nn/train-state.wgsl',
  source: trainStateSource,
} as const;

/** Words in TrainState. */
export const TRAIN_STATE_WORDS = 8;
/** Length of the loss-history ring (LOSS_HISTORY in the WGSL). */
export const LOSS_HISTORY = 4096;
export const NO_NONFINITE_STEP = 0xffffffff;

export interface TrainStateValues {
  step: number;
  lr: number;
  gradNorm: number;
  clipScale: number;
  /** Index of the first step whose loss was NaN/Inf, or undefined. */
  firstNonfiniteStep: number | undefined;
  lastLoss: number;
}

export function initialTrainState(step = 0): ArrayBuffer {
  const bytes = new ArrayBuffer(TRAIN_STATE_WORDS * 4);
  const words = new Uint32Array(bytes);
  const floats = new Float32Array(bytes);
  words[0] = step;
  floats[3] = 1;
  words[4] = NO_NONFINITE_STEP;
  return bytes;
}

export function decodeTrainState(bytes: ArrayBuffer): TrainStateValues {
  const words = new Uint32Array(bytes, 0, TRAIN_STATE_WORDS);
  const floats = new Float32Array(bytes, 0, TRAIN_STATE_WORDS);
  return {
    step: words[0]!,
    lr: floats[1]!,
    gradNorm: floats[2]!,
    clipScale: floats[3]!,
    firstNonfiniteStep: words[4] === NO_NONFINITE_STEP ? undefined : words[4],
    lastLoss: floats[5]!,
  };
}

/**
 * What the page shows of a Train cell's run: the worker's reports (state, step, losses, rates)
 * gathered into one immutable value per run, which components read and never change.
 */
import { EMPTY_LOSSES, type LossHistory } from './loss-history';
import type { DataSource, ModelSettings } from '../../notebook';
import type {
  FrechetFigure,
  HeldOutEstimate,
  ImageSamples,
  ImageTable,
  RunProgress,
  RunState,
  ViewClient,
} from './lab-client';

/** What one Train cell's run has produced so far. */
export interface RunView {
  /** The worker's run state, or 'preparing' while the model is created (no run exists yet). */
  state: RunState | 'preparing';
  step: number;
  totalSteps: number;
  /** Every step's loss since the model was created (downsampled past 65 536 steps). */
  losses: LossHistory;
  learningRate: number;
  stepsPerSecond: number;
  samplesPerSecond: number;
  gpuMsPerStep?: number;
  error?: string;
  /** The model's latest samples (data coordinates). */
  samples?: Float32Array;
  /** An image model's latest sample images (the View cell's grid). */
  images?: ImageSamples;
  /** An image model's view other than the grid (film strip, …), or why it could not be drawn. */
  imageView?: { table?: ImageTable; error?: string };
  /** Sample quality when training ended: the Fréchet distance to the test split, at `step`. */
  frechet?: FrechetFigure & { step: number };
  /** An image model's held-out bits/dim by training step (the Train cell's dots). */
  heldOut?: readonly ({ step: number } & HeldOutEstimate)[];
  /** The request the model was created from (JSON), to know when settings changed. */
  key?: string;
  /** Grows every time the model is (re-)created on the GPU side; absent before the first. */
  generation?: number;
  /** How a View cell draws this run on the GPU side (only where the client has GPU views). */
  views?: ViewBinding;
  /** Settings of the model a View cell shows (its kind decides the samplers and overlays). */
  model?: ModelSettings;
  /** What the latest notice (in `error`) is about, and the checkpoint it returned to. */
  noticeKind?: NonNullable<RunProgress['notice']>['kind'];
  checkpointStep?: number;
  /** Batch size in use (it can change while training). */
  batch?: number;
  dispatchesPerStep?: number;
  /** While preparing: kernels compiled of those requested (where the client tells). */
  compile?: { compiled: number; expected: number };
}

/** What a View cell needs to draw on the GPU side: the client and what its layers refer to. */
export interface ViewBinding {
  client: ViewClient;
  /** The Train cell the view shows (its id names the model in layer requests). */
  trainId: string | undefined;
  /** The data that model trains on. */
  data: DataSource | undefined;
}

export const IDLE_RUN: RunView = {
  state: 'idle',
  step: 0,
  totalSteps: 0,
  losses: EMPTY_LOSSES,
  learningRate: 0,
  stepsPerSecond: 0,
  samplesPerSecond: 0,
};

/** Shown for a 'failed' report that came without a notice (the worker always sends one). */
const FAILED_WITHOUT_NOTICE =
  'Training failed on the GPU side, and no reason came with it: reset this cell and train again.';

/**
 * `run` after the worker's report `progress`: its state, step, rates and notice, as reported.
 * The report's losses are those of steps [first, progress.step); steps already seen are
 * replaced, not added twice: a final report may repeat them, and after a NaN rollback or a
 * device-loss recovery the run redoes the steps since its checkpoint.
 */
export function withProgress(run: RunView, progress: RunProgress): RunView {
  const first = Math.max(0, progress.step - progress.losses.length);
  const { notice } = progress;
  return {
    ...run,
    state: progress.state,
    step: progress.step,
    totalSteps: progress.totalSteps,
    ...(notice ? { error: notice.message, noticeKind: notice.kind } : {}),
    ...(progress.state === 'failed' && !notice ? { error: FAILED_WITHOUT_NOTICE } : {}),
    ...(progress.checkpointStep !== null ? { checkpointStep: progress.checkpointStep } : {}),
    batch: progress.batch,
    dispatchesPerStep: progress.dispatchesPerStep,
    // A report without losses past the recorded steps (an import's 'done' at step S) opens no
    // gap of unknown steps yet; the next losses that come open it where they start.
    losses:
      progress.losses.length === 0 && first >= run.losses.length
        ? run.losses
        : run.losses.record(first, progress.losses),
    learningRate: progress.learningRate,
    stepsPerSecond: progress.stepsPerSecond,
    samplesPerSecond: progress.samplesPerSecond,
    gpuMsPerStep: progress.gpuMsPerStep ?? undefined,
  };
}

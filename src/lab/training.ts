/**
 * lab.train(): a training run of a model on a dataset, in adaptively sized GPU submits, with
 * progress callbacks (throttled), pause/resume/stop and live learning-rate changes.
 */
import type { GpuRuntime } from '../gpu';
import { MAX_OT_BATCH } from '../models/diffusion/assignment';
import { resolveOptimizer, type OptimizerSpec } from '../nn/optimizer-config';
import {
  emaOf,
  Trainer,
  type ChunkResult,
  type TrainerState,
  type TrainingTask,
} from '../nn/trainer';
import type { ModelSpec, TrainingData, TrainingTaskOptions } from './models';

export type { OptimizerSpec, TrainerState };

/** The EMA of the weights a trainer state carries (what a diffusion model samples with). */
export function trainerEma(state: TrainerState): Float32Array {
  return emaOf(state);
}

/**
 * Lets a scheduler hold every chunk of a run (the worker uses it for fair turns between models,
 * GPU timers and checkpoints at chunk boundaries, when no step of this model is in flight).
 */
export interface ChunkGate {
  /**
   * Awaited before each chunk; the chunk of `steps` steps is submitted once it resolves with a
   * ticket. Undefined: no chunk now (the run was paused or stopped while the gate held it), so
   * the run goes on as after any chunk: it pauses, or ends with its final report.
   */
  enter(steps: number): Promise<ChunkTicket | undefined>;
}

export interface ChunkTicket {
  /** At most this many steps in the chunk (a scheduler's pacing); default: all it asked for. */
  steps?: number;
  /** Called synchronously right after the chunk's commands were submitted. */
  submitted?(): void;
  /** Awaited once the chunk's results are back; `result` is undefined when the chunk failed. */
  leave(result: ChunkResult | undefined): Promise<void> | void;
}

export interface TrainOptions {
  steps: number;
  batch: number;
  optimizer: OptimizerSpec;
  /** Seed of the data batches (default: the model's seed). */
  seed?: number;
  onProgress?: (progress: TrainProgress) => void;
  /** Least time between two onProgress calls, ms (default 100: about 10 Hz). */
  progressIntervalMs?: number;
  /** Optional hold on every chunk (see ChunkGate); without one, chunks run back to back. */
  chunkGate?: ChunkGate;
  /**
   * Continue another run's optimizer (Trainer.exportState(): step counter, moments, EMA) on
   * the model's current parameters; with the same seed the batches continue too.
   */
  initialState?: TrainerState;
}

export interface TrainProgress {
  /** Steps completed in this run. */
  step: number;
  totalSteps: number;
  /** Loss of the latest step (nats for flows). */
  loss: number;
  /** Losses of the steps since the previous callback, in order. */
  losses: Float32Array;
  learningRate: number;
  stepsPerSecond: number;
  samplesPerSecond: number;
  dispatchesPerStep: number;
  state: 'running' | 'paused' | 'done' | 'stopped' | 'failed';
}

export interface TrainSummary {
  steps: number;
  finalLoss: number;
  stopped: boolean;
  stepsPerSecond: number;
}

export const TRAIN_LIMITS = { steps: [1, 10_000_000], batch: [1, 65_536] } as const;

/** The loss became NaN or infinite: training stopped at that step. */
export class NonFiniteLossError extends Error {
  override readonly name = 'NonFiniteLossError';
  constructor(readonly step: number) {
    super(
      `The loss became NaN or infinite at step ${step}, so training stopped. ` +
        'Try a smaller learning rate, gradient clipping (optimizer.clipNorm) or a smaller model.',
    );
  }
}

export class TrainOptionsError extends RangeError {
  override readonly name = 'TrainOptionsError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function validateTrainOptions(options: TrainOptions): void {
  for (const field of ['steps', 'batch'] as const) {
    const [min, max] = TRAIN_LIMITS[field];
    const value = options[field];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new TrainOptionsError(
        field,
        `train.${field} must be an integer in [${min}, ${max}], got ${String(value)}.`,
      );
    }
  }
  resolveOptimizer(options.optimizer);
}

/**
 * Refuses a batch size the model cannot train with, before a run (or a live batch change) gets
 * to the GPU: minibatch OT solves each batch exactly in one GPU workgroup.
 */
export function checkModelBatch(spec: ModelSpec, batch: number): void {
  const pairing = spec.family === 'diffusion' ? spec.pairing : undefined;
  if (pairing === 'minibatch-ot' && batch > MAX_OT_BATCH) {
    throw new RangeError(
      `Minibatch-OT pairing solves each batch exactly on the GPU, so the batch size must be at most ${MAX_OT_BATCH}, got ${batch}. Use a smaller batch or pairing 'independent'.`,
    );
  }
}

/**
 * What a training run needs of a model: a 2-D LabModel on a Dataset (or reflow pairs), or an
 * image model (LabImageModel) on an ImageDataset.
 */
export interface TrainableModel<Data = TrainingData> {
  readonly spec: { readonly seed: number };
  /**
   * GPU bytes each sample of a chunk's pre-drawn batches takes (default 8: a 2-D point); sizes
   * the steps per submit so that the batch bank stays within ~32 MB.
   */
  readonly trainingBytesPerSample?: number;
  createTrainingTask(
    data: Data,
    options: TrainingTaskOptions,
    state: GPUBuffer,
  ): Promise<TrainingTask>;
  /** Called when a training run ends, before its trainer is released. */
  afterTraining?(trainer: Trainer): Promise<void>;
}

/** One training run. `done` resolves with a summary, or rejects (e.g. NonFiniteLossError). */
export class TrainingRun<Data = TrainingData> {
  readonly done: Promise<TrainSummary>;
  private paused = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private optimizer: OptimizerSpec;

  constructor(
    runtime: GpuRuntime,
    private readonly model: TrainableModel<Data>,
    dataset: Data,
    private readonly options: TrainOptions,
  ) {
    validateTrainOptions(options);
    this.optimizer = options.optimizer;
    this.done = this.run(runtime, dataset);
    // A rejected run must not become an unhandled rejection when the caller only uses callbacks.
    this.done.catch(() => undefined);
  }

  pause(): void {
    this.paused = true;
    this.pauseAtStep = undefined;
  }

  resume(): void {
    this.paused = false;
    this.pauseAtStep = undefined;
    this.wake?.();
  }

  /**
   * Runs exactly `n` more steps, then pauses (state 'paused'). Chunks are cut at that step, so
   * the parameters are the same as those of any other schedule of the same steps.
   */
  step(n: number): void {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`step(n) needs a positive integer number of steps, got ${String(n)}.`);
    }
    this.pauseAtStep = this.completed + n;
    this.paused = false;
    this.wake?.();
  }

  /**
   * The optimizer state (step counter, moments, EMA) between chunks: call it from a ChunkGate's
   * enter() or after `done`, when no chunk is in flight. Undefined before the trainer exists.
   */
  async exportTrainerState(): Promise<TrainerState | undefined> {
    if (this.finalState) return this.finalState;
    return this.trainer?.exportState();
  }

  private trainer: Trainer | undefined;
  private finalState: TrainerState | undefined;

  /** Steps completed so far (updated after every chunk). */
  get stepsDone(): number {
    return this.completed;
  }

  /** Whether stop() was called (the chunk in flight may still be running). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Whether the run is paused or about to pause (pause(), or the end of step(n)). */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Stops after the chunk in flight; `done` resolves with stopped: true. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Live change; applies from the next submitted chunk. */
  setLearningRate(lr: number): void {
    this.optimizer = { ...this.optimizer, lr };
    resolveOptimizer(this.optimizer);
    this.pendingOptimizer = true;
  }

  private pendingOptimizer = false;
  private pauseAtStep: number | undefined;
  private completed = 0;

  private async run(runtime: GpuRuntime, dataset: Data): Promise<TrainSummary> {
    const { steps, batch, onProgress } = this.options;
    const seed = this.options.seed ?? this.model.spec.seed;
    const bytesPerSample = this.model.trainingBytesPerSample ?? 8;
    const maxStepsPerSubmit = Math.max(
      1,
      Math.min(256, Math.floor((32 << 20) / (batch * bytesPerSample))),
    );
    const trainer = await Trainer.create(
      runtime,
      (state): Promise<TrainingTask> =>
        this.model.createTrainingTask(dataset, { batch, seed, maxStepsPerSubmit }, state),
      { optimizer: this.optimizer, maxStepsPerSubmit, initialState: this.options.initialState },
    );
    this.trainer = trainer;
    const interval = this.options.progressIntervalMs ?? 100;
    const started = performance.now();
    let pausedMs = 0;
    let done = 0;
    let lastReport = -Infinity;
    let pending: number[] = [];
    let loss = NaN;
    let lr = 0;
    const report = (state: TrainProgress['state'], force = false) => {
      const now = performance.now();
      if (!onProgress || (!force && now - lastReport < interval)) return;
      lastReport = now;
      const seconds = Math.max(1e-9, (now - started - pausedMs) / 1000);
      onProgress({
        step: done,
        totalSteps: steps,
        loss,
        losses: Float32Array.from(pending),
        learningRate: lr,
        stepsPerSecond: done / seconds,
        samplesPerSecond: (done * batch) / seconds,
        dispatchesPerStep: trainer.dispatchesPerStep,
        state,
      });
      pending = [];
    };
    try {
      while (done < steps && !this.stopped) {
        if (this.paused) {
          report('paused', true);
          const pauseStart = performance.now();
          await new Promise<void>((resolve) => (this.wake = resolve));
          pausedMs += performance.now() - pauseStart;
          continue;
        }
        if (this.pauseAtStep !== undefined && done >= this.pauseAtStep) {
          this.pauseAtStep = undefined;
          this.paused = true;
          continue;
        }
        if (this.pendingOptimizer) {
          trainer.updateOptimizer(this.optimizer);
          this.pendingOptimizer = false;
        }
        const limit = Math.min(steps, this.pauseAtStep ?? steps) - done;
        const chunk = await this.runGatedChunk(trainer, Math.min(limit, trainer.suggestedChunk));
        if (!chunk) continue;
        done += chunk.losses.length;
        this.completed = done;
        pending.push(...chunk.losses);
        loss = chunk.losses[chunk.losses.length - 1]!;
        lr = chunk.state.lr;
        if (chunk.state.firstNonfiniteStep !== undefined) {
          report('failed', true);
          throw new NonFiniteLossError(chunk.state.firstNonfiniteStep);
        }
        report('running');
      }
      // Kept for a run that continues this one (a new batch size, a continue after stop).
      this.finalState = await trainer.exportState();
      // e.g. a diffusion model switches to the EMA weights for sampling.
      await this.model.afterTraining?.(trainer);
      report(this.stopped ? 'stopped' : 'done', true);
      const seconds = Math.max(1e-9, (performance.now() - started - pausedMs) / 1000);
      return {
        steps: done,
        finalLoss: loss,
        stopped: this.stopped,
        stepsPerSecond: done / seconds,
      };
    } finally {
      this.trainer = undefined;
      trainer.dispose();
    }
  }

  private async runGatedChunk(trainer: Trainer, steps: number): Promise<ChunkResult | undefined> {
    const gate = this.options.chunkGate;
    if (!gate) return trainer.runChunk(steps);
    const ticket = await gate.enter(steps);
    if (!ticket) return undefined;
    let result: ChunkResult | undefined;
    try {
      const allowed = Math.max(1, Math.min(steps, ticket.steps ?? steps));
      const pending = trainer.runChunk(allowed);
      ticket.submitted?.();
      result = await pending;
      return result;
    } finally {
      await ticket.leave(result);
    }
  }
}

// Over 400 lines on purpose: one run's life (create, chunks, pause, NaN rollback, batch and speed changes) over shared state.
/**
 * A training run as the page sees it: controls (start, pause, resume, step(n), stop, reset),
 * live learning-rate and batch-size changes, progress at ≈10 Hz, and the guardrails.
 *
 * A run trains in segments, each a lab TrainingRun from the run's current step. Pause, resume,
 * step(n) and learning-rate changes keep the segment, so they change nothing in the numbers
 * (the same parameters as an uninterrupted run). A batch-size change, a continue after stop,
 * a device-loss recovery and a rollback start a new segment: a new trainer that carries the
 * optimizer over (step counter, Adam moments, EMA, the learning-rate schedule's position, and
 * the data stream keyed by step) — from the previous segment's end, or from the checkpoint a
 * recovery or rollback restored. So a rebuild at the same batch size changes nothing either.
 * After a rollback the data stream moves to a new seed, so the run does not replay into the
 * same NaN.
 *
 * Every chunk goes through chunk-gate.ts (fair turns, checkpoints, GPU timing); a non-finite
 * loss rolls the model back to the last checkpoint.
 *
 * Losses reach the listener once each and in order: a segment that is being ended still hands
 * over the losses of its last steps (its final report comes after the chunk in flight), and
 * every progress carries the losses of the steps up to its `step`. A step(n) target is kept in
 * run steps, so a segment begun mid-way (a batch-size change, a recovery) pauses at the same
 * step.
 */
import {
  checkModelBatch,
  NonFiniteLossError,
  validateTrainOptions,
  type OptimizerSpec,
  type TrainerState,
  type TrainingRun,
  type TrainProgress,
  type TrainSummary,
} from '../lab/training';
import { GpuDeviceLostError } from '../gpu/errors';
import type {
  DatasetId,
  ImageSetId,
  ModelId,
  PairsId,
  ProgressListener,
  RunId,
  RunNotice,
  RunOptions,
  RunProgress,
  RunState,
} from './api';
import { chunkGate, type Segment } from './chunk-gate';
import { Pacer, checkSpeedCap } from './scheduler';
import { restoreCheckpoint } from './records';
import { createWorkerModel, trainRun } from './image-models';
import type { SessionHost } from './device-scope';

const DEFAULT_CHECKPOINT_MS = 3000;

interface Rates {
  loss: number;
  learningRate: number;
  stepsPerSecond: number;
  samplesPerSecond: number;
  dispatchesPerStep: number;
}

/** The Philox seed of segment k: the run's seed for the first, a distinct stream after. */
function segmentSeed(seed: number, index: number): number {
  return index === 0 ? seed : (seed + index * 0x9e3779b1) % 2 ** 52;
}

export class RunController {
  private state: RunState = 'idle';
  private step = 0;
  private segment: Segment | undefined;
  private segmentsStarted = 0;
  private batch: number;
  private optimizer: OptimizerSpec;
  /** Where start() trains to; a step(n) past it moves it (training on after the end). */
  private totalSteps: number;
  private readonly seed: number;
  private rates: Rates;
  private gpuMsPerStep: number | null = null;
  private notice: RunNotice | undefined;
  private pendingLosses: number[] = [];
  /** A segment being ended (endSegment): its last losses still count, its state does not. */
  private ending: Segment | undefined;
  /** The run step a step(n) pauses at; undefined when the run trains to its end. */
  private pauseAtStep: number | undefined;
  private waiters: (() => void)[] = [];
  /** State before a device loss: running runs resume after the recovery, others keep their state. */
  private stateBeforeLoss: RunState | undefined;
  /** The optimizer the next segment continues (undefined: a fresh one). */
  private carried: Promise<TrainerState | undefined> | TrainerState | undefined;
  /** Seed of the data stream the carried optimizer belongs to. */
  private streamSeed: number;
  /** Steps per second at most (null: as fast as the GPU goes); see scheduler.ts pacing. */
  private speedCap: number | null;
  /** The speed cap's schedule (kept across segments), and the wake-up of a chunk waiting on it. */
  private readonly pacer = new Pacer();
  private wakePace: (() => void) | undefined;

  constructor(
    readonly id: RunId,
    readonly model: ModelId,
    /**
     * A dataset, the reflow pairs a reflow student trains on, the image set an image model trains
     * on, or null: imported weights only.
     */
    readonly dataset: DatasetId | PairsId | ImageSetId | null,
    private readonly session: SessionHost,
    private readonly options: RunOptions,
    private readonly listener: ProgressListener | undefined,
  ) {
    validateTrainOptions(options);
    this.checkBatch(options.batch);
    const interval = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_MS;
    if (!(interval >= 0)) {
      throw new RangeError(`checkpointIntervalMs must be ≥ 0 ms, got ${String(interval)}.`);
    }
    this.speedCap = checkSpeedCap(options.maxStepsPerSecond);
    this.batch = options.batch;
    this.optimizer = options.optimizer;
    this.totalSteps = options.steps;
    this.seed = options.seed ?? session.models.get(model).model.spec.seed;
    this.streamSeed = this.seed;
    this.rates = {
      loss: NaN,
      learningRate: options.optimizer.lr,
      stepsPerSecond: 0,
      samplesPerSecond: 0,
      dispatchesPerStep: 0,
    };
  }

  // ---- controls -------------------------------------------------------------------------

  async start(): Promise<RunProgress> {
    if (this.state === 'running' || this.state === 'recovering') return this.progress();
    this.checkTrainable();
    this.notice = undefined;
    this.pauseAtStep = undefined;
    if (this.segment) {
      this.segment.run.resume();
      this.setState('running');
      return this.progress();
    }
    await this.beginSegment();
    return this.progress();
  }

  resume(): Promise<RunProgress> {
    return this.start();
  }

  async pause(): Promise<RunProgress> {
    this.pauseAtStep = undefined;
    if (this.segment && this.state === 'running') {
      this.segment.run.pause();
      this.endPaceWait();
      await this.untilSettled();
    }
    return this.progress();
  }

  async stepBy(n: number): Promise<RunProgress> {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`step(n) needs a positive integer number of steps, got ${String(n)}.`);
    }
    this.checkTrainable();
    if (this.state === 'recovering') await this.untilSettled();
    this.notice = undefined;
    const from = this.segment ? this.segment.base + this.segment.run.stepsDone : this.step;
    if (from + n > this.totalSteps) {
      // Past the run's end (a finished run trained on): the segment in flight cannot go further,
      // so a new one continues the optimizer exactly from where it stops.
      await this.endSegment();
      this.totalSteps = this.step + n;
    }
    const segment = this.segment;
    if (segment) {
      // stepsDone is exact (the segment's this.step may lag a throttled report behind).
      this.pauseAtStep = segment.base + segment.run.stepsDone + n;
      segment.run.step(n);
      this.setState('running');
    } else {
      this.pauseAtStep = this.step + n;
      await this.beginSegment();
    }
    await this.untilSettled();
    return this.progress();
  }

  async stop(): Promise<RunProgress> {
    this.pauseAtStep = undefined;
    const segment = this.segment;
    if (segment) {
      segment.run.stop();
      this.endPaceWait();
      // Its end handler (registered first) reports 'stopped' before this await returns.
      await segment.run.done.catch(() => undefined);
      await this.untilSettled();
    } else if (this.state !== 'done') {
      this.setState('stopped');
    }
    return this.progress();
  }

  /** Back to step 0 with the model's initial parameters (rebuilt from its spec). */
  async reset(): Promise<RunProgress> {
    this.pauseAtStep = undefined;
    await this.endSegment();
    // The losses of the steps this reset throws away are not reported after it.
    this.pendingLosses = [];
    const scope = await this.session.ready();
    const record = this.session.models.get(this.model);
    const fresh = await createWorkerModel(scope.lab, record.spec);
    record.model.dispose();
    record.model = fresh;
    record.checkpoint = undefined;
    record.version++;
    this.step = 0;
    this.startAfresh();
    this.setState('idle');
    return this.progress();
  }

  setLearningRate(lr: number): RunProgress {
    const next = { ...this.optimizer, lr };
    validateTrainOptions({ ...this.options, batch: this.batch, optimizer: next });
    this.optimizer = next;
    this.segment?.run.setLearningRate(lr);
    this.rates.learningRate = lr;
    this.emit();
    return this.progress();
  }

  /**
   * Caps training at `stepsPerSecond` (null: full speed) from the next chunk, also mid-run: the
   * pace restarts at the new rate from the current step.
   */
  setSpeedCap(stepsPerSecond: number | null): RunProgress {
    this.speedCap = checkSpeedCap(stepsPerSecond);
    this.pacer.restart();
    this.endPaceWait();
    this.emit();
    return this.progress();
  }

  /** Ends a chunk's pacing wait, so it decides afresh (a new cap, or its segment ended). */
  private endPaceWait(): void {
    const wake = this.wakePace;
    this.wakePace = undefined;
    wake?.();
  }

  /**
   * Before a chunk of `segment`: waits until the chunk is due at the cap (scheduler.ts Pacer)
   * and limits it to PACE_TICK_MS worth of steps; a cap change, a pause, a stop or the
   * segment's end ends the wait early. Undefined without a cap, or once paused or stopped (its
   * gate then runs no chunk) or ended (its gate then refuses).
   */
  private async pace(segment: Segment): Promise<number | undefined> {
    for (;;) {
      const cap = this.speedCap;
      // Paused or stopped (its gate then runs no chunk), or no cap: no wait.
      if (cap === null || segment.run.isPaused || segment.run.isStopped) return undefined;
      if (segment !== this.segment) return undefined;
      const now = performance.now();
      const delay = this.pacer.delayMs(now);
      if (delay <= 0) return this.pacer.admit(now, cap);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakePace = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakePace = undefined;
    }
  }

  /**
   * A new trainer at `batch` (even the same size) that continues the optimizer exactly; a
   * step(n) in progress still pauses at its step, and a step(n) waiting on it still resolves.
   */
  async setBatchSize(batch: number): Promise<RunProgress> {
    validateTrainOptions({ ...this.options, batch });
    this.checkBatch(batch);
    const wasRunning = this.state === 'running';
    const hadSegment = this.segment !== undefined;
    await this.endSegment();
    this.batch = batch;
    if (!wasRunning) {
      if (hadSegment) this.setState('paused');
    } else if (this.step >= this.totalSteps) {
      // The chunk in flight was the run's last.
      this.pauseAtStep = undefined;
      this.session.scopeNow?.scheduler.forget(this.id);
      this.setState('done');
    } else if (this.pauseAtStep !== undefined && this.step >= this.pauseAtStep) {
      // The chunk in flight ended the step(n).
      this.pauseAtStep = undefined;
      this.setState('paused');
    } else {
      await this.beginSegment();
    }
    this.emit();
    return this.progress();
  }

  /** Resolves once the run is not running (or immediately). */
  async untilSettled(): Promise<RunProgress> {
    if (this.state === 'running' || this.state === 'recovering') {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.progress();
  }

  async dispose(): Promise<void> {
    this.pauseAtStep = undefined;
    await this.endSegment();
    this.setState('stopped');
  }

  progress(losses: number[] = []): RunProgress {
    const record = this.session.models.has(this.model)
      ? this.session.models.get(this.model)
      : undefined;
    return {
      run: this.id,
      model: this.model,
      state: this.state,
      step: this.step,
      totalSteps: this.totalSteps,
      ...this.rates,
      losses: Float32Array.from(losses),
      batch: this.batch,
      gpuMsPerStep: this.gpuMsPerStep,
      checkpointStep: record?.checkpoint?.step ?? null,
      speedCap: this.speedCap,
      ...(this.notice ? { notice: this.notice } : {}),
    };
  }

  /** A batch the model cannot train with (minibatch OT's limit) is refused before the GPU. */
  private checkBatch(batch: number): void {
    checkModelBatch(this.session.models.get(this.model).model.spec, batch);
  }

  /** A run created without data holds imported weights only: it refuses to train, saying why. */
  private checkTrainable(): void {
    if (this.dataset !== null) return;
    throw new Error(
      `${this.id} was created without data (dataset null), to hold imported weights only, so ` +
        'it cannot train; create a run with a dataset (or reflow pairs) to train this model.',
    );
  }

  /**
   * What the run trains on: its dataset, its reflow pairs or its image set (each remade after a
   * device loss).
   */
  private trainingData() {
    this.checkTrainable();
    const dataset = this.dataset!;
    if (dataset.startsWith('image set:')) {
      return this.session.imageSets.get(dataset as ImageSetId).dataset;
    }
    return dataset.startsWith('pairs:')
      ? this.session.pairs.get(dataset as PairsId).pairs
      : this.session.datasets.get(dataset as DatasetId).dataset;
  }

  // ---- device loss ----------------------------------------------------------------------

  /** The device is gone: the segment is abandoned (its promises may never settle). */
  onDeviceLost(): void {
    this.stateBeforeLoss = this.state;
    this.segment = undefined;
    if (this.state === 'running' || this.state === 'paused') this.setState('recovering');
  }

  /** Models are rebuilt from their checkpoints; returns the steps that must be redone. */
  onRecovered(detail: string): number {
    const before = this.stateBeforeLoss;
    this.stateBeforeLoss = undefined;
    if (this.state !== 'recovering') return 0;
    const checkpoint = this.session.models.get(this.model).checkpoint;
    const lost = this.step - (checkpoint?.step ?? 0);
    this.step = checkpoint?.step ?? 0;
    // The redone steps see the same batches and optimizer: the run ends where it would have.
    this.carried = checkpoint?.optimizer;
    const resume = before === 'running';
    this.notice = {
      kind: 'device-recovered',
      message:
        `The GPU device was lost (${detail}). The model was rebuilt on a new device from its ` +
        `checkpoint at step ${this.step}; ${lost} step(s) since then are redone` +
        (resume ? ' and training resumed.' : '; the run stays paused.'),
    };
    if (resume) {
      this.beginSegment().catch((error: unknown) => this.fail(error));
    } else {
      this.setState('paused');
    }
    return lost;
  }

  /**
   * Trained weights from outside (a link, a file, the gallery) standing for `step` steps of
   * training: `load` puts them into the model once no segment holds it, and the run is then
   * 'done' at that step, with no losses; a step(n) trains on from there with a fresh optimizer.
   */
  async importWeights(step: number, load: () => Promise<void>): Promise<RunProgress> {
    if (!Number.isInteger(step) || step < 0) {
      throw new RangeError(
        `importRunWeights needs the steps the weights were trained for, an integer ≥ 0, got ${String(step)}.`,
      );
    }
    if (this.state === 'running' || this.state === 'recovering') {
      throw new Error(`${this.id} is training; pause or stop it before importing weights.`);
    }
    this.pauseAtStep = undefined;
    await this.endSegment();
    const before = this.step;
    // Set first: the import's checkpoint (the state a recovery rebuilds) is taken at this step.
    this.step = step;
    try {
      await load();
    } catch (error) {
      this.step = before;
      throw error;
    }
    this.totalSteps = step;
    this.pendingLosses = [];
    this.startAfresh();
    this.setState('done');
    return this.progress();
  }

  /**
   * After a reset or an import: no optimizer carried over, the first segment's data stream,
   * no notice or measurements of the training before.
   */
  private startAfresh(): void {
    this.segmentsStarted = 0;
    this.carried = undefined;
    this.streamSeed = this.seed;
    this.notice = undefined;
    this.gpuMsPerStep = null;
    this.rates = { ...this.rates, loss: NaN, stepsPerSecond: 0, samplesPerSecond: 0 };
  }

  /** New parameters from outside (importParams): the next segment starts a fresh optimizer. */
  forgetOptimizer(): void {
    this.carried = undefined;
  }

  /** The recovery failed or gave up; `message` says why and what to do. */
  onRecoveryFailed(message: string): void {
    if (this.state !== 'recovering') return;
    this.fail(new Error(message));
  }

  // ---- segments -------------------------------------------------------------------------

  /** A new segment from the current step; it pauses at pauseAtStep when one is set. */
  private async beginSegment(): Promise<void> {
    if (this.step >= this.totalSteps) {
      throw new Error(
        `This run already did all ${this.totalSteps} steps; reset() it, or create a new run ` +
          'with more steps to continue training the model.',
      );
    }
    const scope = await this.session.ready();
    const carried = await this.carried;
    // A state from another step (it cannot happen, but would shift the schedule) is dropped.
    const initialState = carried?.step === this.step ? carried : undefined;
    if (!initialState) this.streamSeed = segmentSeed(this.seed, this.segmentsStarted);
    const record = this.session.models.get(this.model);
    const data = this.trainingData();
    const segment: Segment = {
      run: undefined as unknown as TrainingRun,
      scope,
      base: this.step,
      trainerBase: initialState?.step ?? 0,
      checkpointDue: true,
      sinceCheckpointMs: 0,
    };
    segment.run = trainRun(scope.lab, record.model, data, {
      steps: this.totalSteps - this.step,
      batch: this.batch,
      optimizer: this.optimizer,
      seed: this.streamSeed,
      initialState,
      progressIntervalMs: this.options.progressIntervalMs ?? 100,
      onProgress: (p) => this.onSegmentProgress(segment, p),
      chunkGate: chunkGate(segment, {
        key: this.id,
        interval: this.options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_MS,
        record: () => this.session.models.get(this.model),
        isCurrent: () => segment === this.segment && segment.scope === this.session.scopeNow,
        loss: () => this.rates.loss,
        measured: (ms) => this.measuredGpu(ms),
        pace: () => this.pace(segment),
      }),
    });
    this.segmentsStarted++;
    // A target at or before this step (a recovery past it) pauses after one step: step(n) ≥ 1.
    if (this.pauseAtStep !== undefined) {
      segment.run.step(Math.max(1, this.pauseAtStep - this.step));
    }
    this.segment = segment;
    this.setState('running');
    segment.run.done.then(
      (summary) => this.onSegmentDone(segment, summary),
      (error: unknown) => void this.onSegmentFailed(segment, error),
    );
  }

  /** Stops the segment (after its chunk in flight) without reporting it as the run's end. */
  private async endSegment(): Promise<void> {
    const segment = this.segment;
    if (!segment) return;
    this.segment = undefined;
    this.ending = segment;
    segment.run.stop();
    // A chunk waiting on the pace would otherwise hold the segment's end for up to a tick.
    this.endPaceWait();
    try {
      // Its final report (with the losses since the last one) arrives before `done` settles.
      await segment.run.done.catch(() => undefined);
    } finally {
      if (this.ending === segment) this.ending = undefined;
    }
    this.step = segment.base + segment.run.stepsDone;
    this.carried = await segment.run.exportTrainerState().catch(() => undefined);
    this.modelChanged();
  }

  /** A run's end may switch the weights a model samples with (a diffusion model's EMA). */
  private modelChanged(): void {
    if (this.session.models.has(this.model)) this.session.models.get(this.model).version++;
  }

  private onSegmentProgress(segment: Segment, p: TrainProgress): void {
    const current = segment === this.segment;
    if (!current && segment !== this.ending) return;
    this.step = segment.base + p.step;
    this.rates = {
      loss: p.loss,
      learningRate: p.learningRate || this.optimizer.lr,
      stepsPerSecond: p.stepsPerSecond,
      samplesPerSecond: p.samplesPerSecond,
      dispatchesPerStep: p.dispatchesPerStep,
    };
    this.pendingLosses.push(...p.losses);
    // An ending segment's losses go out with the run's next progress (its state is not the run's).
    if (!current) return;
    if (p.state === 'paused') {
      this.pauseAtStep = undefined;
      this.setState('paused');
    } else if (p.state === 'running') this.emit();
    // done / stopped / failed: the segment's end reports, with the final state.
  }

  private onSegmentDone(segment: Segment, summary: TrainSummary): void {
    if (segment !== this.segment) return;
    this.segment = undefined;
    this.pauseAtStep = undefined;
    this.step = segment.base + summary.steps;
    this.modelChanged();
    // Kept before the run ended, so a later continue (after stop) picks up this optimizer.
    this.carried = segment.run.exportTrainerState().catch(() => undefined);
    this.session.scopeNow?.scheduler.forget(this.id);
    this.setState(summary.stopped ? 'stopped' : 'done');
  }

  private async onSegmentFailed(segment: Segment, error: unknown): Promise<void> {
    if (segment !== this.segment) return;
    if (error instanceof NonFiniteLossError) {
      this.rollBack(segment, error);
      return;
    }
    // A lost device fails the chunk in flight; the recovery takes it from there. A compile can
    // see the loss before device.lost does: it starts the recovery itself.
    if (error instanceof GpuDeviceLostError) {
      this.session.noticeLoss(segment.scope, error);
      return;
    }
    if (await this.session.wasLost(segment.scope)) return;
    if (segment !== this.segment) return;
    this.fail(error);
  }

  private rollBack(segment: Segment, error: NonFiniteLossError): void {
    this.segment = undefined;
    this.pauseAtStep = undefined;
    const record = this.session.models.get(this.model);
    // The trainer counts its own steps (continued from a carried state, or from 0).
    const failedAt = segment.base - segment.trainerBase + error.step;
    const checkpoint = record.checkpoint;
    if (checkpoint) {
      restoreCheckpoint(record.model, checkpoint);
      record.version++;
    }
    // Continue from the checkpoint's optimizer, on a new data stream.
    this.carried = checkpoint?.optimizer;
    this.streamSeed = segmentSeed(this.seed, this.segmentsStarted);
    this.step = checkpoint?.step ?? this.step;
    if (checkpoint) this.rates.loss = checkpoint.loss;
    const lr = this.optimizer.lr;
    this.notice = {
      kind: 'non-finite-loss',
      message:
        `The loss became NaN or infinite at step ${failedAt} (learning rate ${lr}), so training ` +
        (checkpoint
          ? `stopped and the model was rolled back to its checkpoint at step ${checkpoint.step}. `
          : 'stopped (there was no checkpoint to roll back to). ') +
        `Try a smaller learning rate (e.g. ${lr / 10}), gradient clipping (optimizer.clipNorm) ` +
        'or a smaller model, then start again.',
    };
    this.setState('failed');
  }

  private fail(error: unknown): void {
    this.segment = undefined;
    this.pauseAtStep = undefined;
    const message = error instanceof Error ? error.message : String(error);
    this.notice = { kind: 'error', message: `Training stopped: ${message}` };
    this.setState('failed');
  }

  /** A moving average over chunks: one chunk's timing is noisy when other work shares the GPU. */
  private measuredGpu(msPerStep: number): void {
    const previous = this.gpuMsPerStep;
    this.gpuMsPerStep = previous === null ? msPerStep : previous + 0.25 * (msPerStep - previous);
  }

  private setState(state: RunState): void {
    this.state = state;
    if (state !== 'running' && state !== 'recovering') {
      for (const resolve of this.waiters.splice(0)) resolve();
    }
    this.emit();
  }

  private emit(): void {
    if (!this.listener) {
      this.pendingLosses = [];
      return;
    }
    const progress = this.progress(this.pendingLosses);
    this.pendingLosses = [];
    Promise.resolve(this.listener(progress)).catch(() => undefined);
  }
}

/**
 * The Train cells' runs: creating a cell's model when its settings changed, training, pausing,
 * resetting, the batch size and speed cap. The run state is the worker's: every RunView shows
 * what the worker's last report (a progress, or the train call's final report) said, so the
 * page has no state machine of its own. Only before any report exists does the page say
 * something itself: 'preparing' while the model is created, 'failed' when the cells above
 * make no model or a call to the GPU side threw.
 */
import { settingsErrors, trainInputs, type NotebookStore } from '../../notebook';
import { errorMessage } from '../error-message';
import type { ImagePixels, LabClient, ModelRequest, RunProgress } from './lab-client';
import { modelRequest, requestKey } from './run-request';
import { RunSamples } from './run-samples';
import { IDLE_RUN, withProgress, type RunView } from './run-view';

/** How often the compile progress of a model being created is asked for. */
const COMPILE_POLL_MS = 150;

/** What the runs need of their owner. */
export interface RunHost {
  readonly store: NotebookStore;
  readonly client: LabClient;
  /** The pixels of a user's image set by hash, where the page holds them. */
  imagePixels?(hash: string): ImagePixels | undefined;
  /** Why nothing can train (the CPU fallback's note), or ''. */
  trainingBlocked(): string;
  /** Something a run shows changed: re-render. */
  changed(): void;
}

/**
 * An image model on the user's own images trains on their pixels, which the notebook only
 * references: the request carries them, or says to add the images again.
 */
function withPixels(
  request: ModelRequest | string,
  pixelsOf: (hash: string) => ImagePixels | undefined,
): ModelRequest | string {
  if (typeof request === 'string' || !request.model.image) return request;
  if (request.data.kind !== 'image-files') return request;
  const pixels = pixelsOf(request.data.hash);
  if (!pixels) {
    return `The images of “${request.data.label}” are not in this browser: add them again in the Data cell, then train.`;
  }
  return { ...request, pixels };
}

export class RunController {
  readonly runs = new Map<string, RunView>();
  /** Training speed caps of Train cells, steps per second (absent: as fast as the GPU goes). */
  readonly speeds = new Map<string, number>();
  readonly samples: RunSamples;
  /** Train cells with a play call in flight: a second press waits for the worker's report. */
  private readonly playing = new Set<string>();
  private generations = 0;

  constructor(private readonly host: RunHost) {
    this.samples = new RunSamples({
      store: host.store,
      client: host.client,
      run: (trainId) => this.run(trainId),
      runIds: () => this.runs.keys(),
      update: (trainId, patch) => this.update(trainId, patch),
    });
  }

  private get client(): LabClient {
    return this.host.client;
  }

  run(trainId: string): RunView {
    return this.runs.get(trainId) ?? IDLE_RUN;
  }

  private update(trainId: string, patch: Partial<RunView>): void {
    this.runs.set(trainId, { ...this.run(trainId), ...patch });
    this.host.changed();
  }

  /** Shows the worker's report: its state, step, losses and notice, as they are. */
  private report(trainId: string, progress: RunProgress): void {
    this.runs.set(trainId, withProgress(this.run(trainId), progress));
    this.host.changed();
  }

  /** Trains to the Model cell's step count (or that many more steps when already there). */
  async play(trainId: string, stepsOverride?: number): Promise<void> {
    const blocked = this.host.trainingBlocked();
    if (blocked) {
      // Keep the loaded weights and their samples: only say why nothing trains.
      this.update(trainId, { error: blocked });
      return;
    }
    const { state } = this.run(trainId);
    if (this.playing.has(trainId) || ['running', 'recovering', 'preparing'].includes(state)) return;
    const request = withPixels(
      modelRequest(this.host.store.notebook, trainId, (id) => this.run(id)),
      (hash) => this.host.imagePixels?.(hash),
    );
    if (typeof request === 'string') {
      // Nothing reached the worker, so no report of its can say why.
      this.update(trainId, { state: 'failed', error: request });
      return;
    }
    this.playing.add(trainId);
    try {
      await this.ensureRun(trainId, request);
      const done = this.run(trainId).step;
      const steps =
        stepsOverride ??
        (done < request.train.steps ? request.train.steps - done : request.train.steps);
      this.update(trainId, { error: undefined });
      const end = await this.client.train(trainId, steps, (progress) =>
        this.onProgress(trainId, progress),
      );
      this.report(trainId, end);
      if (end.state !== 'failed') await this.samples.sample(trainId, true);
    } catch (error) {
      this.update(trainId, { state: 'failed', error: errorMessage(error) });
    } finally {
      this.playing.delete(trainId);
    }
  }

  private onProgress(trainId: string, progress: RunProgress): void {
    this.report(trainId, progress);
    // GPU views draw live samples themselves; the page samples only for its own fallback view.
    if (!this.client.views) void this.samples.sample(trainId, false);
  }

  async step(trainId: string): Promise<void> {
    await this.play(trainId, 1);
  }

  /** Asks the worker to pause; its report (through the train call in flight) shows it. */
  async pause(trainId: string): Promise<void> {
    if (this.run(trainId).state !== 'running') return;
    await this.client.pause(trainId);
  }

  async reset(trainId: string): Promise<void> {
    await this.client.stop(trainId).catch(() => undefined);
    await this.client.disposeRun(trainId).catch(() => undefined);
    this.runs.delete(trainId);
    this.host.changed();
  }

  async setLearningRate(trainId: string, learningRate: number): Promise<void> {
    if (this.run(trainId).state === 'running') {
      await this.client.setLearningRate(trainId, learningRate).catch(() => undefined);
    }
  }

  /** Trains every Train cell in order. */
  async runAll(): Promise<void> {
    for (const cell of this.host.store.notebook.cells) {
      if (cell.kind === 'train') await this.play(cell.id);
    }
  }

  /** Creates the model when there is none or its settings changed. */
  private async ensureRun(trainId: string, request: ModelRequest): Promise<void> {
    const key = requestKey(request, (id) => this.run(id));
    const current = this.run(trainId);
    if (current.key === key && current.state !== 'failed') return;
    this.runs.set(trainId, { ...IDLE_RUN, state: 'preparing', key });
    this.host.changed();
    const stopPolling = this.pollCompileProgress(trainId, key);
    try {
      await this.client.createRun(trainId, request);
    } finally {
      stopPolling();
    }
    this.update(trainId, { generation: ++this.generations, compile: undefined });
  }

  /**
   * Shows the kernel compilation of run `trainId` (the first model on a slow adapter compiles
   * for seconds) until the returned function is called. A poll, since the GPU side compiles a
   * model's kernels in parallel inside one createRun call.
   */
  private pollCompileProgress(trainId: string, key: string): () => void {
    const client = this.client;
    if (!client.compileProgress) return () => undefined;
    let stopped = false;
    const poll = async () => {
      while (!stopped) {
        const progress = await client.compileProgress!().catch(() => undefined);
        const run = this.run(trainId);
        if (stopped || run.key !== key || run.state !== 'preparing') return;
        if (progress?.expected) {
          const compiled = Math.min(progress.compiled, progress.expected);
          this.update(trainId, { compile: { compiled, expected: progress.expected } });
        }
        await new Promise((resolve) => setTimeout(resolve, COMPILE_POLL_MS));
      }
    };
    void poll();
    return () => {
      stopped = true;
    };
  }

  /**
   * Sets the batch size of a Train cell's model (the Model cell's setting) and, when a run
   * exists, of the run too, from its next chunk: training continues at the same step.
   */
  async setBatchSize(trainId: string, batch: number): Promise<void> {
    const { store } = this.host;
    const { model } = trainInputs(store.notebook, trainId);
    if (!model) return;
    store.dispatch({ type: 'update', id: model.id, patch: { train: { ...model.train, batch } } });
    // Out of range, or over minibatch OT's limit: the cells show why; the run keeps its batch.
    if (settingsErrors(model.model, { ...model.train, batch })['batch']) return;
    const run = this.run(trainId);
    if (!run.key || run.state === 'preparing' || !this.client.setBatchSize) return;
    try {
      await this.client.setBatchSize(trainId, batch);
      this.update(trainId, { batch });
    } catch (error) {
      this.update(trainId, { error: errorMessage(error) });
    }
  }

  /**
   * Caps training at `stepsPerSecond` (undefined: full speed). The worker paces the run (its
   * scheduler, RunOptions.maxStepsPerSecond), from its next chunk when training.
   */
  async setSpeed(trainId: string, stepsPerSecond: number | undefined): Promise<void> {
    if (stepsPerSecond === undefined) this.speeds.delete(trainId);
    else this.speeds.set(trainId, stepsPerSecond);
    this.host.changed();
    try {
      await this.client.setSpeedCap?.(trainId, stepsPerSecond ?? null);
    } catch (error) {
      this.update(trainId, { error: errorMessage(error) });
    }
  }
}

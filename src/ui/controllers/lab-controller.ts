/**
 * The one controller that talks to the GPU side (through a LabClient). It owns the run state —
 * what training and sampling produced, which is not part of the serialisable notebook — and asks
 * its host to re-render when that changes. Components read it; they never call the client.
 */
import { EMPTY_LOSSES, type LossHistory } from './loss-history';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  cellName,
  imageDataProblem,
  isImageSource,
  reflowTeacher,
  settingsErrors,
  trainInputs,
  viewSource,
  type DataCell,
  type DataSource,
  type ModelCell,
  type ModelSettings,
  type NotebookStore,
  type ViewCell,
} from '../../notebook';
import { comparePlan, computeComparison, type Comparison } from '../compare-cell/comparison';
import { samplerChoice } from '../view-cell/samplers';
import type {
  GpuReport,
  LabClient,
  ModelRequest,
  RunProgress,
  RunState,
  ViewClient,
} from './lab-client';
import { errorMessage } from '../error-message';
import { ImageSetController, type ImageCellState } from './image-sets';

export type GpuStatus =
  | { state: 'checking' }
  | { state: 'ready'; report: GpuReport }
  | { state: 'unavailable'; message: string }
  /** It worked, then the device was lost for good (see LabEvent 'gpu-stopped'). */
  | { state: 'stopped'; message: string };

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

export interface DataPreview {
  points?: Float32Array;
  error?: string;
  key: string;
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

const PREVIEW_POINTS = 2048;
/** Least time between two sample refreshes while training, ms. */
const LIVE_SAMPLE_MS = 750;
/** How often the compile progress of a model being created is asked for. */
const COMPILE_POLL_MS = 150;

export class LabController implements ReactiveController {
  gpu: GpuStatus = { state: 'checking' };
  /** The newest GPU error the worker reported (out of memory, …), until dismissed. */
  gpuError: string | undefined;
  readonly runs = new Map<string, RunView>();
  readonly previews = new Map<string, DataPreview>();
  private unsubscribe: (() => void) | undefined;
  private readonly sampling = new Set<string>();
  private readonly lastSampled = new Map<string, number>();
  private readonly resampleAfter = new Set<string>();
  /** Sample settings (count, seed, sampler) each run's samples were drawn with. */
  private readonly sampledWith = new Map<string, string>();
  private generations = 0;
  private readonly bindings = new Map<string, ViewBinding>();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly store: NotebookStore,
    private readonly client: LabClient,
  ) {
    this.images = new ImageSetController(client, store, () => this.changed());
    host.addController(this);
  }

  /** The Data cells' image sets: progress, preview grids, the user's files. */
  readonly images: ImageSetController;

  get imageStates(): ReadonlyMap<string, ImageCellState> {
    return this.images.states;
  }

  hostConnected(): void {
    this.unsubscribe = this.store.subscribe(() => {
      this.refreshPreviews();
      this.refreshSamples();
    });
    this.client.probe().then(
      (report) => {
        this.gpu = { state: 'ready', report };
        this.changed();
        this.refreshPreviews();
      },
      (error: unknown) => {
        this.gpu = { state: 'unavailable', message: errorMessage(error) };
        this.changed();
      },
    );
    void this.client.onLabEvent?.((event) => {
      if (event.kind === 'gpu-stopped') this.gpu = { state: 'stopped', message: event.message };
      else if (event.kind === 'gpu-error') this.gpuError = event.message;
      else return;
      this.changed();
    });
  }

  hostDisconnected(): void {
    this.unsubscribe?.();
    for (const id of this.runs.keys()) void this.client.disposeRun(id).catch(() => undefined);
  }

  /**
   * Why nothing can train: the worker found no WebGPU and serves the CPU backend, which shows a
   * notebook's weights but does not train (its note says why and which browsers do). '' else.
   */
  get trainingBlocked(): string {
    return this.gpu.state === 'ready' ? (this.gpu.report.cpuFallback?.note ?? '') : '';
  }

  dismissGpuError(): void {
    this.gpuError = undefined;
    this.changed();
  }

  /** Grows on every change of run state, so views holding this controller know to re-render. */
  revision = 0;

  private changed(): void {
    this.revision++;
    this.host.requestUpdate();
  }

  run(trainId: string): RunView {
    return this.runs.get(trainId) ?? IDLE_RUN;
  }

  /** The run a View cell shows, with its GPU-view binding where the client has GPU views. */
  runForView(viewId: string): RunView {
    const train = viewSource(this.store.notebook, viewId);
    const run = train ? this.run(train.id) : IDLE_RUN;
    const model = train && trainInputs(this.store.notebook, train.id).model?.model;
    const views = this.viewBinding(viewId);
    if (!model && !views) return run;
    return { ...run, ...(model ? { model } : {}), ...(views ? { views } : {}) };
  }

  /** The same object while nothing it holds changed, so views can compare by identity. */
  private viewBinding(viewId: string): ViewBinding | undefined {
    const client = this.client.views;
    if (!client) return undefined;
    const train = viewSource(this.store.notebook, viewId);
    const inputs = train ? trainInputs(this.store.notebook, train.id) : undefined;
    const next: ViewBinding = {
      client,
      trainId: train?.id,
      data: inputs?.data?.source,
    };
    const old = this.bindings.get(viewId);
    if (old && old.trainId === next.trainId && old.data === next.data) {
      return old;
    }
    this.bindings.set(viewId, next);
    return next;
  }

  /** The first View cell showing a Train cell's run (its sample settings are used). */
  private viewOf(trainId: string): ViewCell | undefined {
    const nb = this.store.notebook;
    return nb.cells.find(
      (cell): cell is ViewCell => cell.kind === 'view' && viewSource(nb, cell.id)?.id === trainId,
    );
  }

  /** The sample settings of a run's first view (count, seed and sampler), as a key. */
  private sampleSettings(trainId: string) {
    const view = this.viewOf(trainId);
    if (!view) return undefined;
    const model = trainInputs(this.store.notebook, trainId).model?.model;
    const sampler = samplerChoice(view, model?.kind);
    return {
      view,
      sampler,
      key: JSON.stringify([view.sampleCount, view.sampleSeed, sampler]),
    };
  }

  /** Re-samples finished runs whose view's sample settings changed (for the CSV and fallback view). */
  private refreshSamples(): void {
    for (const [trainId, run] of this.runs) {
      if (run.state !== 'done' && run.state !== 'stopped') continue;
      const settings = this.sampleSettings(trainId);
      if (settings && this.sampledWith.get(trainId) !== settings.key) {
        void this.sample(trainId, true);
      }
    }
  }

  /** The preview of the data a View cell's model trains on. */
  dataForView(viewId: string): DataPreview | undefined {
    const train = viewSource(this.store.notebook, viewId);
    const data = train && trainInputs(this.store.notebook, train.id).data;
    return data && this.previews.get(data.id);
  }

  private update(trainId: string, patch: Partial<RunView>): void {
    this.runs.set(trainId, { ...this.run(trainId), ...patch });
    this.changed();
  }

  /** Re-samples every Data cell whose source changed. */
  refreshPreviews(): void {
    if (this.gpu.state !== 'ready') return;
    for (const cell of this.store.notebook.cells) {
      if (cell.kind === 'data') void this.preview(cell);
    }
  }

  private async preview(cell: DataCell): Promise<void> {
    if (isImageSource(cell.source)) return this.images.preview(cell);
    const key = JSON.stringify(cell.source);
    if (this.previews.get(cell.id)?.key === key) return;
    this.previews.set(cell.id, { key });
    let next: DataPreview;
    try {
      const points = await this.client.sampleData(cell.source, PREVIEW_POINTS, cell.source.seed);
      next = { key, points };
    } catch (error) {
      next = { key, error: errorMessage(error) };
    }
    if (this.previews.get(cell.id)?.key === key) this.previews.set(cell.id, next);
    this.changed();
  }

  /** The model request of a Train cell, or a message saying what is missing. */
  private request(trainId: string): ModelRequest | string {
    const { model, data } = trainInputs(this.store.notebook, trainId);
    if (!model) return 'Add a Model cell above this Train cell.';
    if (!data) return 'Add a Data cell above the Model cell.';
    const images = imageDataProblem(this.store.notebook, trainId);
    if (images) return images;
    const request: ModelRequest = { data: data.source, model: model.model, train: model.train };
    const teacher = this.teacherRequest(model);
    if (typeof teacher === 'string') return teacher;
    return teacher ? { ...request, teacher } : request;
  }

  /**
   * A reflow student's teacher: the first trained run of the teacher cell, or a message saying
   * what to do first (undefined for models that do not use reflow).
   */
  private teacherRequest(student: ModelCell): ModelRequest['teacher'] | string {
    const resolved = reflowTeacher(this.store.notebook, student.id);
    if (!resolved) return undefined;
    if ('error' in resolved) return resolved.error;
    const name = cellName(resolved.teacher);
    const busy = resolved.trainCells.find((cell) =>
      ['running', 'preparing'].includes(this.run(cell.id).state),
    );
    const trained = resolved.trainCells.find(
      (cell) => this.run(cell.id).step > 0 && this.run(cell.id).key !== undefined,
    );
    if (busy && (!trained || busy === trained)) {
      return `The reflow teacher ${name} is training: pause it or let it finish, then train this cell.`;
    }
    if (!trained) {
      return `Train the teacher cell ${name} first: reflow learns from the (noise, sample) pairs its trained model makes.`;
    }
    const { pairs, teacherSteps } = resolved.settings;
    // The pairs' noise follows the student's seed, so a replay makes the same pairs.
    return { trainId: trained.id, pairs, steps: teacherSteps, seed: student.model.seed };
  }

  /** Creates the model when there is none or its settings changed. */
  private async ensureRun(trainId: string, request: ModelRequest): Promise<void> {
    // A reflow student is stale too when its teacher was re-created or trained further.
    const teacher = request.teacher && {
      ...request.teacher,
      generation: this.run(request.teacher.trainId).generation,
      step: this.run(request.teacher.trainId).step,
    };
    const key = JSON.stringify({
      data: request.data,
      model: request.model,
      ...(teacher ? { teacher } : {}),
    });
    const current = this.run(trainId);
    if (current.key === key && current.state !== 'failed') return;
    this.runs.set(trainId, { ...IDLE_RUN, state: 'preparing', key });
    this.changed();
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

  /** Trains to the Model cell's step count (or that many more steps when already there). */
  async play(trainId: string, stepsOverride?: number): Promise<void> {
    if (this.trainingBlocked) {
      // Keep the loaded weights and their samples: only say why nothing trains.
      this.update(trainId, { error: this.trainingBlocked });
      return;
    }
    const current = this.run(trainId);
    if (current.state === 'paused') {
      this.update(trainId, { state: 'running' });
      await this.client.resume(trainId);
      return;
    }
    if (current.state === 'running' || current.state === 'preparing') return;
    const request = this.request(trainId);
    if (typeof request === 'string') {
      this.update(trainId, { state: 'failed', error: request });
      return;
    }
    try {
      await this.ensureRun(trainId, request);
      const done = this.run(trainId).step;
      const steps =
        stepsOverride ??
        (done < request.train.steps ? request.train.steps - done : request.train.steps);
      this.update(trainId, {
        state: 'running',
        error: undefined,
        totalSteps: done + steps,
        learningRate: request.train.learningRate,
      });
      const summary = await this.client.train(trainId, steps, (progress) =>
        this.onProgress(trainId, progress),
      );
      this.update(trainId, { state: summary.stopped ? 'stopped' : 'done', step: summary.steps });
      await this.sample(trainId, true);
    } catch (error) {
      this.update(trainId, { state: 'failed', error: errorMessage(error) });
    }
  }

  private onProgress(trainId: string, progress: RunProgress): void {
    const run = this.run(trainId);
    // The report's losses are those of steps [first, progress.step). Steps already seen are
    // replaced, not added twice: a final report may repeat them, and after a NaN rollback or a
    // device-loss recovery the run redoes the steps since its checkpoint.
    const first = Math.max(0, progress.step - progress.losses.length);
    const losses = run.losses.record(first, progress.losses);
    const { notice } = progress;
    this.update(trainId, {
      step: progress.step,
      ...(notice ? { error: notice.message, noticeKind: notice.kind } : {}),
      ...(progress.checkpointStep !== null ? { checkpointStep: progress.checkpointStep } : {}),
      batch: progress.batch,
      dispatchesPerStep: progress.dispatchesPerStep,
      losses,
      learningRate: progress.learningRate,
      stepsPerSecond: progress.stepsPerSecond,
      samplesPerSecond: progress.samplesPerSecond,
      gpuMsPerStep: progress.gpuMsPerStep ?? undefined,
      // A pause lands in the worker; running, recovering and the end are this call's to report.
      state: progress.state === 'paused' ? 'paused' : run.state,
    });
    // GPU views draw live samples themselves; the page samples only for its own fallback view.
    if (!this.client.views) void this.sample(trainId, false);
  }

  async step(trainId: string): Promise<void> {
    await this.play(trainId, 1);
  }

  async pause(trainId: string): Promise<void> {
    if (this.run(trainId).state !== 'running') return;
    this.update(trainId, { state: 'paused' });
    await this.client.pause(trainId);
  }

  async reset(trainId: string): Promise<void> {
    await this.client.stop(trainId).catch(() => undefined);
    await this.client.disposeRun(trainId).catch(() => undefined);
    this.runs.delete(trainId);
    this.changed();
  }

  async setLearningRate(trainId: string, learningRate: number): Promise<void> {
    if (this.run(trainId).state === 'running') {
      await this.client.setLearningRate(trainId, learningRate).catch(() => undefined);
    }
  }

  /** Trains every Train cell in order. */
  async runAll(): Promise<void> {
    for (const cell of this.store.notebook.cells) {
      if (cell.kind === 'train') await this.play(cell.id);
    }
  }

  /** Refreshes a run's samples (at most every LIVE_SAMPLE_MS unless `force`). */
  async sample(trainId: string, force: boolean): Promise<void> {
    const now = performance.now();
    if (this.sampling.has(trainId)) {
      // A forced refresh (training ended) must show the final model: redo it after this one.
      if (force) this.resampleAfter.add(trainId);
      return;
    }
    if (!force && now - (this.lastSampled.get(trainId) ?? -Infinity) < LIVE_SAMPLE_MS) return;
    const settings = this.sampleSettings(trainId);
    if (!settings) return;
    const { view, sampler, key } = settings;
    this.sampling.add(trainId);
    this.lastSampled.set(trainId, now);
    this.sampledWith.set(trainId, key);
    try {
      const samples = await this.client.sampleModel(
        trainId,
        view.sampleCount,
        view.sampleSeed,
        sampler,
      );
      this.update(trainId, { samples });
    } catch (error) {
      this.update(trainId, { error: errorMessage(error) });
    } finally {
      this.sampling.delete(trainId);
    }
    if (this.resampleAfter.delete(trainId)) await this.sample(trainId, true);
  }

  /** Results of Compare cells, by cell id (not part of the notebook: they are recomputed). */
  readonly comparisons = new Map<string, Comparison>();

  comparison(compareId: string): Comparison | undefined {
    return this.comparisons.get(compareId);
  }

  /** Measures the models a Compare cell names on the same data samples. */
  async compare(compareId: string): Promise<void> {
    const cell = this.store.cell(compareId);
    if (!cell || cell.kind !== 'compare') return;
    if (this.comparisons.get(compareId)?.state === 'computing') return;
    const runOf = (trainId: string) => this.run(trainId);
    const plan = comparePlan(this.store.notebook, cell, runOf);
    if ('error' in plan) {
      this.comparisons.set(compareId, { state: 'failed', rows: [], error: plan.error });
      this.changed();
      return;
    }
    this.comparisons.set(compareId, { state: 'computing', rows: [] });
    this.changed();
    let result: Comparison;
    try {
      result = await computeComparison(this.client, this.store.notebook, cell, plan.targets, runOf);
    } catch (error) {
      result = { state: 'failed', rows: [], error: errorMessage(error) };
    }
    this.comparisons.set(compareId, result);
    this.changed();
  }

  /**
   * Sets the batch size of a Train cell's model (the Model cell's setting) and, when a run
   * exists, of the run too, from its next chunk: training continues at the same step.
   */
  async setBatchSize(trainId: string, batch: number): Promise<void> {
    const { model } = trainInputs(this.store.notebook, trainId);
    if (!model) return;
    this.store.dispatch({
      type: 'update',
      id: model.id,
      patch: { train: { ...model.train, batch } },
    });
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

  /** Training speed caps of Train cells, steps per second (absent: as fast as the GPU goes). */
  readonly speeds = new Map<string, number>();

  speed(trainId: string): number | undefined {
    return this.speeds.get(trainId);
  }

  /**
   * Caps training at `stepsPerSecond` (undefined: full speed). The worker paces the run (its
   * scheduler, RunOptions.maxStepsPerSecond), from its next chunk when training.
   */
  async setSpeed(trainId: string, stepsPerSecond: number | undefined): Promise<void> {
    if (stepsPerSecond === undefined) this.speeds.delete(trainId);
    else this.speeds.set(trainId, stepsPerSecond);
    this.changed();
    try {
      await this.client.setSpeedCap?.(trainId, stepsPerSecond ?? null);
    } catch (error) {
      this.update(trainId, { error: errorMessage(error) });
    }
  }
}

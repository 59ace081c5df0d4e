/**
 * The one controller the app holds for the GPU side (through a LabClient): the GPU's status and
 * the composition of the focused controllers that do the work — runs (run-controller.ts), Data
 * cell previews (preview-controller.ts) and comparisons (comparison-controller.ts). Each has a
 * narrow host; this one owns the change counter and asks its Lit host to re-render. Components
 * read it; they never call the client.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { trainInputs, viewSource, type NotebookStore } from '../../notebook';
import type { Comparison } from '../compare-cell/comparison';
import { errorMessage } from '../error-message';
import { ComparisonController } from './comparison-controller';
import type { ImageCellState } from './image-sets';
import type { GpuReport, LabClient } from './lab-client';
import { PreviewController, type DataPreview } from './preview-controller';
import { RunController } from './run-controller';
import { IDLE_RUN, type RunView, type ViewBinding } from './run-view';

export { IDLE_RUN, type RunView, type ViewBinding, type DataPreview };

export type GpuStatus =
  | { state: 'checking' }
  | { state: 'ready'; report: GpuReport }
  | { state: 'unavailable'; message: string }
  /** It worked, then the device was lost for good (see LabEvent 'gpu-stopped'). */
  | { state: 'stopped'; message: string };

export class LabController implements ReactiveController {
  gpu: GpuStatus = { state: 'checking' };
  /** The newest GPU error the worker reported (out of memory, …), until dismissed. */
  gpuError: string | undefined;
  /** Grows on every change of run state, so views holding this controller know to re-render. */
  revision = 0;
  private unsubscribe: (() => void) | undefined;
  private readonly bindings = new Map<string, ViewBinding>();
  private readonly runner: RunController;
  private readonly previewer: PreviewController;
  private readonly comparer: ComparisonController;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly store: NotebookStore,
    private readonly client: LabClient,
  ) {
    const changed = () => this.changed();
    this.runner = new RunController({
      store,
      client,
      changed,
      trainingBlocked: () => this.trainingBlocked,
      imagePixels: (hash) => this.previewer.images.pixelsOf(hash),
    });
    this.previewer = new PreviewController({
      store,
      client,
      changed,
      gpuReady: () => this.gpu.state === 'ready',
    });
    this.comparer = new ComparisonController({
      store,
      client,
      changed,
      run: (trainId) => this.run(trainId),
    });
    host.addController(this);
  }

  hostConnected(): void {
    this.unsubscribe = this.store.subscribe(() => {
      this.refreshPreviews();
      this.runner.samples.refresh();
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

  private changed(): void {
    this.revision++;
    this.host.requestUpdate();
  }

  // ---- runs (run-controller.ts) -----------------------------------------------------------

  get runs(): Map<string, RunView> {
    return this.runner.runs;
  }

  run(trainId: string): RunView {
    return this.runner.run(trainId);
  }

  play(trainId: string): Promise<void> {
    return this.runner.play(trainId);
  }

  step(trainId: string): Promise<void> {
    return this.runner.step(trainId);
  }

  pause(trainId: string): Promise<void> {
    return this.runner.pause(trainId);
  }

  reset(trainId: string): Promise<void> {
    return this.runner.reset(trainId);
  }

  runAll(): Promise<void> {
    return this.runner.runAll();
  }

  setLearningRate(trainId: string, learningRate: number): Promise<void> {
    return this.runner.setLearningRate(trainId, learningRate);
  }

  setBatchSize(trainId: string, batch: number): Promise<void> {
    return this.runner.setBatchSize(trainId, batch);
  }

  /** Training speed caps of Train cells, steps per second (absent: as fast as the GPU goes). */
  get speeds(): ReadonlyMap<string, number> {
    return this.runner.speeds;
  }

  speed(trainId: string): number | undefined {
    return this.runner.speeds.get(trainId);
  }

  setSpeed(trainId: string, stepsPerSecond: number | undefined): Promise<void> {
    return this.runner.setSpeed(trainId, stepsPerSecond);
  }

  /** Refreshes a run's samples (at most every 750 ms unless `force`). */
  sample(trainId: string, force: boolean): Promise<void> {
    return this.runner.samples.sample(trainId, force);
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
    const next: ViewBinding = { client, trainId: train?.id, data: inputs?.data?.source };
    const old = this.bindings.get(viewId);
    if (old && old.trainId === next.trainId && old.data === next.data) return old;
    this.bindings.set(viewId, next);
    return next;
  }

  // ---- Data cell previews (preview-controller.ts) -------------------------------------------

  get previews(): ReadonlyMap<string, DataPreview> {
    return this.previewer.previews;
  }

  get images() {
    return this.previewer.images;
  }

  get imageStates(): ReadonlyMap<string, ImageCellState> {
    return this.previewer.imageStates;
  }

  dataForView(viewId: string): DataPreview | undefined {
    return this.previewer.dataForView(viewId);
  }

  refreshPreviews(): void {
    this.previewer.refresh();
  }

  // ---- comparisons (comparison-controller.ts) -----------------------------------------------

  get comparisons(): ReadonlyMap<string, Comparison> {
    return this.comparer.comparisons;
  }

  comparison(compareId: string): Comparison | undefined {
    return this.comparer.comparison(compareId);
  }

  compare(compareId: string): Promise<void> {
    return this.comparer.compare(compareId);
  }
}

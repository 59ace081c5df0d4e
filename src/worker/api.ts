// Over 400 lines on purpose: the typed LabApi contract, one documented place for the page and the worker.
/**
 * The typed API of the Flowfield worker. The page holds it as Remote<LabApi> (comlink) and
 * imports this file with `import type` only: nothing here runs on the page.
 *
 * Everything is addressed by handle ids (datasets, models, runs, views); every value crossing
 * is structured-cloneable, and big arrays cross as transferred ArrayBuffers (no copies).
 * Errors thrown in the worker arrive as rejected promises carrying the original message.
 */
import type { AdapterSummary } from '../gpu/device';
import type { DatasetSpec, Normalization } from '../lab/models';
import type { ImageSampleOptions, WorkerModelSpec } from './image-models';

export type { WorkerModelSpec };
import type { OptimizerSpec } from '../lab/training';
import type { ImageDatasetSpec } from '../lab/lab';
import type {
  AxisTicks,
  Bounds,
  ColormapName,
  HeatmapLegend,
  PixelImage,
  Presentation,
} from '../render';

export type { AxisTicks, Bounds, ColormapName, HeatmapLegend, PixelImage, Normalization };

export type DatasetId = `dataset:${number}`;
export type ModelId = `model:${number}`;
export type RunId = `run:${number}`;
export type ViewId = `view:${number}`;
/** An image set opened by openImageSet (image-sets.ts). */
export type ImageSetId = `image set:${number}`;
/** A bank of reflow pairs made by a teacher model (training data for a reflow student). */
export type PairsId = `pairs:${number}`;

/** A View cell image view of an image model (worker image-views.ts). */
export interface ImageViewRequest {
  /**
   * 'film-strip': a diffusion model's x_T → x₀ at evenly spaced solver steps; 'nearest': samples
   * next to their nearest training image (L2 in intensities) with the distance; 'interpolation':
   * images along the latent path between two training images; 'latents' (RealNVP, Glow):
   * training images next to their per-scale latents as grey pictures.
   */
  view: 'film-strip' | 'nearest' | 'interpolation' | 'latents';
  /** Samples (rows); the latents view: training images (rows). */
  count: number;
  seed?: number;
  /** Image flows' temperature. */
  temperature?: number;
  /** Flow matching: 'euler' | 'heun' | 'rk4'; DDPM: 'ddpm' | 'ddim'. */
  sampler?: 'euler' | 'heun' | 'rk4' | 'ddpm' | 'ddim';
  steps?: number;
  /** Film strip and interpolation: columns (default 8). */
  columns?: number;
  /** Film strip and nearest, a class-conditional model: one label per sample, or one for all. */
  classes?: readonly number[] | number;
  /** With classes: the classifier-free guidance scale. */
  guidance?: number;
  /** Nearest, interpolation, latents: the run's training set (the page's client fills it in). */
  set?: ImageSetId;
}

/** Rows × columns of images, laid out as one picture on the page, with captions. */
export interface ImageTable {
  rows: number;
  columns: number;
  /** [channels, height, width]. */
  shape: [number, number, number];
  /**
   * When the columns' images differ in shape (the latents view): column c's [C, H, W]. The
   * values then hold each row's images one after the other, each its own C·H·W values.
   */
  columnShapes?: [number, number, number][];
  /** Image (row r, column c) at (r·columns + c)·C·H·W: intensities in [0, 1]. */
  values: Float32Array;
  /** One caption per column. */
  columnLabels: string[];
  /** Optional caption per row, e.g. the nearest image's index and distance. */
  rowLabels?: string[];
}

export interface WorkerGpuReport extends AdapterSummary {
  features: string[];
  limits: { maxStorageBufferBindingSize: number; maxComputeInvocationsPerWorkgroup: number };
  /**
   * Set when the worker found no WebGPU and serves the CPU backend instead: the note to show
   * (why, what works — samples, densities, paths of loaded weights — and which browsers train).
   * Training, reflow pairs and the debug hooks reject there with that reason.
   */
  cpuFallback?: {
    reason: 'no-navigator-gpu' | 'no-adapter' | 'device-request-failed';
    note: string;
  };
}

export interface DatasetInfo {
  id: DatasetId;
  name: string;
  /** A rectangle that shows the data well. */
  bounds: Bounds;
  hasLogProb: boolean;
  normalization: Normalization;
}

/**
 * An image set: { name: 'mnist' | 'fashion-mnist', size?: 28 | 14, classes?, split?, seed? } or
 * { images: ImageSet, seed? } (a user's set, e.g. from readImageFiles; its pixels are copied).
 */
export type ImageSetSpec = ImageDatasetSpec;

/** How far opening an image set has come: bytes of the compressed asset. */
export interface ImageSetProgress {
  /** 'download' while bytes arrive, 'decode' while they are unpacked, 'ready' once open. */
  phase: 'download' | 'decode' | 'ready';
  /** Bytes received so far; never decreases within one opening. */
  loaded: number;
  /** The asset's size when the server says it (always at 'ready', where loaded = total). */
  total: number | undefined;
}

export type ImageSetProgressListener = (progress: ImageSetProgress) => void;

export interface ImageSetInfo {
  id: ImageSetId;
  /** 'mnist-14', … or 'images' for a user's set. */
  name: string;
  /** [channels, height, width]. */
  shape: [number, number, number];
  /** Images after the class and split selection. */
  count: number;
  labelled: boolean;
}

/** Sample images for a preview, transferred. */
export interface ImageSetPreview {
  count: number;
  shape: [number, number, number];
  /** count × channels × height × width bytes, image after image. */
  pixels: Uint8Array;
  labels: Uint8Array;
  /** Which image of the set (after the class and split selection) each one is. */
  images: Uint32Array;
}

export interface ModelInfo {
  id: ModelId;
  spec: WorkerModelSpec;
  parameterCount: number;
  /** Optional extras of this model kind (flows: trace, for the warp view). */
  capabilities: { trace: boolean };
}

export interface RunOptions {
  steps: number;
  batch: number;
  optimizer: OptimizerSpec;
  /** Seed of the data batches (default: the model's seed). */
  seed?: number;
  /** Training time between in-memory checkpoints, ms (default 3000). */
  checkpointIntervalMs?: number;
  /** Least time between two progress calls, ms (default 100: about 10 Hz). */
  progressIntervalMs?: number;
  /**
   * Speed cap: train at most this many steps per second, in chunks of about 100 ms worth of
   * steps, so the loss and samples can be watched step by step (default: as fast as the GPU
   * goes). Change it live with setSpeedCap.
   */
  maxStepsPerSecond?: number;
}

/** How a teacher makes reflow pairs: z ~ N(0, I) seeded by `seed`, x = its ODE image of z. */
export interface ReflowPairsOptions {
  /** Pairs (1 … the library's MAX_REFLOW_PAIRS). */
  count: number;
  /** The teacher's ODE sampler (default 'rk4'). */
  sampler?: 'euler' | 'midpoint' | 'heun' | 'rk4';
  /** Its steps (default 20 for RK4, else 50). */
  steps?: number;
  /** Seed of z (default: the teacher's seed). */
  seed?: number;
}

export interface ReflowPairsInfo {
  id: PairsId;
  teacher: ModelId;
  count: number;
  /** Network evaluations per pair the teacher's ODE took. */
  nfe: number;
  /** The teacher's run step the pairs were made at (0 for imported weights). */
  teacherStep: number;
  /** The teacher's data ↔ model coordinates; a student trained on the pairs uses the same. */
  normalization: Normalization;
}

export type RunState = 'idle' | 'running' | 'paused' | 'done' | 'stopped' | 'failed' | 'recovering';

/** Something the user should read: what happened and what to do. */
export interface RunNotice {
  kind: 'non-finite-loss' | 'device-recovered' | 'error';
  message: string;
}

export interface RunProgress {
  run: RunId;
  model: ModelId;
  state: RunState;
  /** Steps completed (across pauses, batch-size changes and recoveries). */
  step: number;
  totalSteps: number;
  /** Loss of the latest step (nats for flows); NaN before the first. */
  loss: number;
  /** Losses of the steps since the previous progress call, in order. */
  losses: Float32Array;
  learningRate: number;
  batch: number;
  stepsPerSecond: number;
  samplesPerSecond: number;
  dispatchesPerStep: number;
  /**
   * GPU time per step from timestamp queries around each chunk (a moving average over chunks);
   * null where the adapter has no timestamp-query.
   */
  gpuMsPerStep: number | null;
  /** Step of the last in-memory checkpoint, null before the first. */
  checkpointStep: number | null;
  /** The speed cap in steps per second (RunOptions.maxStepsPerSecond), null at full speed. */
  speedCap: number | null;
  notice?: RunNotice;
}

export type ProgressListener = (progress: RunProgress) => void;

/**
 * An in-memory checkpoint; `params` is a transferred copy (the worker keeps its own). The worker
 * also keeps the optimizer state of that step, so rollbacks and recoveries continue exactly.
 */
export interface CheckpointInfo {
  model: ModelId;
  step: number;
  params: ArrayBuffer;
  /**
   * The EMA of the weights at that step (transferred; diffusion models sample with it after a
   * rollback or recovery), or null for a checkpoint without optimizer state (an import).
   */
  ema: ArrayBuffer | null;
  normalization: Normalization;
  /** Loss of the step before the checkpoint (NaN if none). */
  loss: number;
}

export type LabEvent =
  | { kind: 'device-lost'; message: string }
  | { kind: 'device-recovered'; message: string; models: number; stepsLost: number }
  | { kind: 'worker-error'; message: string }
  /**
   * The GPU side stopped: a lost device could not be replaced, or was lost too often to keep
   * trying. Nothing GPU-side works until the page reloads; the message says what to do.
   */
  | { kind: 'gpu-stopped'; message: string }
  /**
   * An uncaptured WebGPU error (out of memory, a failed validation): the message says what
   * happened and what to do. Repeats of one message within a few seconds are sent once.
   */
  | { kind: 'gpu-error'; message: string };

export type LabEventListener = (event: LabEvent) => void;

export type PointSource = { model: ModelId } | { dataset: DatasetId };

/** Sampler choice for model point sources of diffusion / flow-matching models (flows ignore it). */
export interface SampleOptions {
  /** DDPM: 'ddpm' | 'ddim' | 'pf-euler' | 'pf-heun'; flow matching: 'euler' | 'midpoint' | 'heun' | 'rk4'. */
  sampler?: string;
  steps?: number;
  /** DDIM η ∈ [0, 1] (default 0). */
  eta?: number;
}

export interface PointsLayer {
  kind: 'points';
  source: PointSource;
  count: number;
  /** Philox seed of the samples (default 0), so a redraw shows the same points. */
  seed?: number;
  /** sRGB in [0, 1]. */
  color: [number, number, number];
  alpha: number;
  /** Diameter in CSS pixels (default 2). */
  sizePx?: number;
  /** Sampler of a diffusion / flow-matching model source (flows ignore it). */
  sample?: SampleOptions;
}

export interface HeatmapLayer {
  kind: 'heatmap';
  /** log p of a model, or the exact log p of a dataset that has one. */
  source: PointSource;
  /** Cells along the longer side of the view (default 128). */
  resolution?: number;
  colormap?: ColormapName;
  /** The colour range spans at most this many nats below the peak (default 10). */
  clipNats?: number;
}

export interface WarpLayer {
  kind: 'warp';
  /**
   * A model with the trace capability (flows: stages are layers), or a diffusion /
   * flow-matching model (stages are time steps of the probability-flow / FM ODE).
   */
  model: ModelId;
  /** 'forward': a grid in data space pushed to the latent; 'inverse': a latent grid pulled back. */
  direction: 'forward' | 'inverse';
  /** Which stage to draw: 0 … stages − 1; fractions blend two neighbours (scrubbing). */
  stage: number;
  /** Lines per direction (default 17) and points per line (default 64). */
  lines?: number;
  pointsPerLine?: number;
  /** Grid extent; default: the view's bounds (forward) or [−3, −3, 3, 3] (inverse). */
  bounds?: Bounds;
  widthPx?: number;
}

export interface TrajectoriesLayer {
  kind: 'trajectories';
  model: ModelId;
  /** Paths drawn (one per sample). */
  count: number;
  /** Philox seed (default 0): the paths end at the samples a points layer of the same seed shows. */
  seed?: number;
  sample?: SampleOptions;
  /**
   * Draw paths from noise (time 1) down to this time in [0, 1] (scrubber; default 0 = whole
   * path); flows: through layers, with upTo as a fraction of the layers.
   */
  upTo?: number;
  color: [number, number, number];
  alpha: number;
}

export interface FieldLayer {
  kind: 'field';
  model: ModelId;
  /** time in [0, 1] (0 data, 1 noise) */
  t: number;
  /** arrows per side of the visible rectangle */
  resolution: number;
  color: [number, number, number];
  alpha: number;
}

export type ViewLayer = PointsLayer | HeatmapLayer | WarpLayer | TrajectoriesLayer | FieldLayer;

export interface ViewOptions {
  cssWidth: number;
  cssHeight: number;
  /** window.devicePixelRatio. */
  pixelRatio: number;
  /** Data rectangle to show (widened to the aspect ratio); default [−4, −4, 4, 4]. */
  bounds?: Bounds;
  /** Straight RGBA in [0, 1] (default near-black, opaque). */
  background?: [number, number, number, number];
  /**
   * How frames reach the canvas: 'canvas' (a WebGPU canvas context), 'copy' (drawn offscreen and
   * copied into a 2-D context) or 'auto' (default: 'copy' on CPU adapters such as SwiftShader,
   * where some Chromium builds lose the whole WebGPU instance on a WebGPU canvas frame).
   */
  presentation?: Presentation;
}

export interface RenderOptions {
  /**
   * true: recompute every layer's samples / log p / traces / paths / arrows. Default (false):
   * recompute the layers whose model changed or whose bounds moved since their data was made —
   * the same picture, without recomputing what cannot have changed (so moving a scrubber
   * through setViewLayers + render is cheap).
   */
  refresh?: boolean;
}

export interface RenderReport {
  view: ViewId;
  /** Canvas size in device pixels. */
  width: number;
  height: number;
  /** Worker time of this render (refresh + draw), ms. */
  ms: number;
  /** The rectangle actually shown (bounds widened to the aspect ratio). */
  visible: Bounds;
  /** Ticks in data coordinates with CSS-pixel positions, for the page's overlay. */
  ticks: AxisTicks;
  /** Colour range of the heatmap layer in nats (null without one). */
  legend: HeatmapLegend | null;
  /** Stages of the warp layer (null without one). */
  warpStages: number | null;
  /**
   * Network evaluations per sample of the sampler a points/trajectories layer used (null for
   * flows and without a model layer).
   */
  nfe: number | null;
  /** What the field layer's arrows show and their scale (null without one). */
  field: FieldLegend | null;
}

export interface FieldLegend {
  /** 'velocity': dx/dt of the flow-matching ODE; 'pf-drift': dx/dt of DDPM's probability-flow ODE. */
  quantity: 'velocity' | 'pf-drift';
  /** The longest arrow's length in data units per unit of t; arrows scale linearly to it. */
  maxMagnitude: number;
  /** CSS pixels the longest arrow is drawn with. */
  maxArrowPx: number;
}

export interface LiveOptions {
  /** Draw on display frames while something changed; stop when false. */
  live: boolean;
  /** Whether the canvas is on screen and the tab visible (IntersectionObserver, visibilitychange). */
  visible: boolean;
  /** Least time between refreshes of samples / log p / traces, ms (default 250). */
  refreshIntervalMs?: number;
}

export interface ViewStatus {
  /** Frames drawn into the canvas (render() calls and live frames). */
  frames: number;
  /** Refreshes of samples / log p / traces. */
  refreshes: number;
  live: LiveOptions;
  /** How this view's frames reach its canvas ('auto' resolved for the adapter). */
  presentation: 'canvas' | 'copy';
}

/** Compilation so far, for a start-up progress display (poll while createModel runs). */
export interface GpuStatus {
  compiledKernels: number;
  compiledRenderPipelines: number;
  /**
   * While createModel runs: the kernels requested so far, compiled or compiling (a model
   * requests its kernels up front, in parallel), so compiledKernels / expectedKernels is the
   * compile fraction. Null when no model is being created.
   */
  expectedKernels: number | null;
  /** 1 for the first device, +1 after every device-loss recovery. */
  deviceGeneration: number;
}

export interface LabApi {
  /** Acquires WebGPU inside the worker and describes the adapter; rejects with a readable message. */
  probe(): Promise<WorkerGpuReport>;
  gpuStatus(): Promise<GpuStatus>;
  /** Worker-wide events (device lost / recovered, uncaught errors). */
  subscribe(listener: LabEventListener): Promise<void>;
  datasetNames(): Promise<string[]>;

  createDataset(spec: DatasetSpec): Promise<DatasetInfo>;
  /** n points (x0, y0, …), transferred. */
  sampleDataset(id: DatasetId, n: number, options?: { seed?: number }): Promise<Float32Array>;
  datasetLogProb(id: DatasetId, points: Float32Array): Promise<Float32Array>;
  disposeDataset(id: DatasetId): Promise<void>;

  /**
   * Opens an image set through the lab (a shipped set is downloaded on first use; `onProgress`,
   * a comlink proxy, hears the bytes arrive and ends with phase 'ready', loaded = total).
   * Resolves once the images are in memory; rejects with the loader's message (a missing asset,
   * a bad spec) and keeps nothing. An image set trains an image model (createRun).
   */
  openImageSet(spec: ImageSetSpec, onProgress?: ImageSetProgressListener): Promise<ImageSetInfo>;
  /**
   * n images (1 … 256) drawn from the set on the GPU with Philox (seed: the spec's), without
   * flips, as 8-bit pixels with their labels and indices.
   */
  imageSetPreview(id: ImageSetId, n: number, options?: { seed?: number }): Promise<ImageSetPreview>;
  disposeImageSet(id: ImageSetId): Promise<void>;
  /**
   * An image model's held-out negative log-likelihood on the set's images, in bits/dim on the
   * 8-bit pixel scale with uniform dequantization (lab bitsPerDim): the first `count` images
   * (default min(set size, 1000) for a flow, 100 for flow matching), noise seed `seed` (default
   * 0). An image flow's is exact; flow matching's goes through the probability-flow ODE with
   * Hutchinson's trace estimator (`probes` per image, `sampler` and `steps` of the ODE; the
   * answer then carries traceStandardError, probes and nfe). Rejects for other models (DDPM).
   */
  imageBitsPerDim(
    model: ModelId,
    set: ImageSetId,
    options?: {
      count?: number;
      seed?: number;
      probes?: number;
      sampler?: 'euler' | 'heun' | 'rk4';
      steps?: number;
    },
  ): Promise<{
    mean: number;
    standardError: number;
    count: number;
    traceStandardError?: number;
    probes?: number;
    nfe?: number;
  }>;

  /**
   * Sample quality: the Fréchet distance between the features (a small classifier's penultimate
   * layer, shipped per set) of `count` images sampled by the model (default 100; `sample`: its
   * seed, temperature, sampler, steps) and `count` images evenly spaced through the set (a
   * shipped set's split, e.g. the held-out test split). Rejects for a user's set (no classifier).
   */
  imageFrechet(
    model: ModelId,
    set: ImageSetId,
    options?: {
      count?: number;
      /** Drawn as the View cell draws its grid (sampler, steps, classes, guidance, …). */
      sample?: ImageSampleOptions;
    },
  ): Promise<{
    distance: number;
    count: number;
    featureDims: number;
    set: string;
    classifierAccuracy: number;
  }>;

  /**
   * One of the View cell's image views of an image model (image-views.ts), drawn on the GPU:
   * the film strip of a diffusion model's sampler, samples next to their nearest training image,
   * the latent interpolation, or a multi-scale flow's per-scale latents.
   */
  imageView(model: ModelId, request: ImageViewRequest): Promise<ImageTable>;

  /** Compiles only the kernels this model needs (cached for the session). */
  /**
   * A 2-D model, or an image model ({ family: 'image-flow' | 'image-diffusion', kind, shape, … },
   * the lab's image specs) that trains on an image set (createRun with an ImageSetId).
   */
  createModel(spec: WorkerModelSpec): Promise<ModelInfo>;
  /**
   * n samples: a 2-D model's points (x0, y0, …; diffusion models take `sampler`, `steps`), or an
   * image model's n × C × H × W intensities in [0, 1] (image flows take `temperature`, flow
   * matching `sampler` 'euler' | 'heun' | 'rk4' and `steps`, a DDPM 'ddpm' | 'ddim'; a
   * class-conditional one `classes`, one label per image or one for all, and `guidance`).
   */
  sample(
    id: ModelId,
    n: number,
    options?: {
      seed?: number;
      temperature?: number;
      sampler?: string;
      steps?: number;
      classes?: readonly number[] | number;
      guidance?: number;
    },
  ): Promise<Float32Array>;
  logProb(id: ModelId, points: Float32Array): Promise<Float32Array>;
  /** Positions after every stage (flows; rejects for models without the trace capability). */
  trace(
    id: ModelId,
    points: Float32Array,
    direction?: 'forward' | 'inverse',
  ): Promise<Float32Array[]>;
  /** The parameters as a transferred ArrayBuffer of float32. */
  exportParams(id: ModelId): Promise<ArrayBuffer>;
  /** Takes parameters exported from a model of the same spec (transfer the buffer). */
  importParams(id: ModelId, params: ArrayBuffer, normalization?: Normalization): Promise<void>;
  /** The latest in-memory checkpoint, or null before the first. */
  checkpoint(id: ModelId): Promise<CheckpointInfo | null>;
  disposeModel(id: ModelId): Promise<void>;

  /**
   * Reflow pairs from a trained flow-matching teacher, kept on the GPU for a student with
   * pairing 'reflow' (pass the id to createRun). The worker keeps the teacher's sampling
   * weights as they are now, so the pairs are remade exactly after a device loss, even if the
   * teacher trains on or is disposed. Rejects, saying what to do, for a teacher that is not
   * flow matching, has not been trained, or is training right now.
   */
  createReflowPairs(teacher: ModelId, options: ReflowPairsOptions): Promise<ReflowPairsInfo>;
  /** The pairs, read back (model coordinates): x the teacher's samples, z their noise. */
  readReflowPairs(id: PairsId): Promise<{ x: Float32Array; z: Float32Array }>;
  disposeReflowPairs(id: PairsId): Promise<void>;

  /**
   * A run of a model on a dataset (or, for a reflow student, on reflow pairs), idle until
   * start() or step(n). One live run per model. With `dataset` null the run only holds
   * imported weights (importRunWeights; e.g. a reflow student opened without its teacher): it
   * reports and its model samples, but start() and step(n) reject, saying to create the run
   * with data.
   */
  createRun(
    model: ModelId,
    dataset: DatasetId | PairsId | ImageSetId | null,
    options: RunOptions,
    onProgress?: ProgressListener,
  ): Promise<RunId>;
  /**
   * Loads trained weights into the run's model (`params` as exportParams returned them, with the
   * data normalisation they were trained under) as `step` steps of training: the run is then
   * 'done' at that step (totalSteps = step, no losses, a fresh optimizer for any further
   * step(n)), and resolves with that report, which runStatus repeats. A link, a file or the
   * gallery opens weights through this, so the page shows the worker's state for them too.
   * Rejects while the run trains.
   */
  importRunWeights(
    id: RunId,
    params: ArrayBuffer,
    options: { step: number; normalization?: Normalization },
  ): Promise<RunProgress>;
  /** Starts (or continues after stop, failure or recovery) from the current step. */
  start(id: RunId): Promise<RunProgress>;
  /** Resolves once the chunk in flight finished and the run is paused. */
  pause(id: RunId): Promise<RunProgress>;
  resume(id: RunId): Promise<RunProgress>;
  /** Runs exactly n steps, then pauses; resolves when they are done. */
  step(id: RunId, n: number): Promise<RunProgress>;
  /** Ends training after the chunk in flight; the model keeps its parameters. */
  stop(id: RunId): Promise<RunProgress>;
  /** Back to step 0: the model gets its initial parameters again. */
  reset(id: RunId): Promise<RunProgress>;
  /** Applies from the next chunk, keeping the optimizer's moments. */
  setLearningRate(id: RunId, lr: number): Promise<RunProgress>;
  /**
   * Applies from the next chunk: a new trainer continues from the current step with the same
   * optimizer state (moments, EMA, schedule position), so the same size changes nothing.
   */
  setBatchSize(id: RunId, batch: number): Promise<RunProgress>;
  /** Caps the run at `stepsPerSecond` (null: full speed) from its next chunk, also mid-run. */
  setSpeedCap(id: RunId, stepsPerSecond: number | null): Promise<RunProgress>;
  runStatus(id: RunId): Promise<RunProgress>;
  /** Resolves when the run is not running (paused, done, stopped, failed or idle). */
  waitForRun(id: RunId): Promise<RunProgress>;
  disposeRun(id: RunId): Promise<void>;

  /** A view drawing into a canvas the page transferred (canvas.transferControlToOffscreen()). */
  createView(canvas: OffscreenCanvas, options: ViewOptions): Promise<ViewId>;
  setViewLayers(id: ViewId, layers: ViewLayer[]): Promise<void>;
  setViewBounds(id: ViewId, bounds: Bounds): Promise<void>;
  /** HiDPI and resizing: the canvas gets cssWidth·pixelRatio × cssHeight·pixelRatio pixels. */
  resizeView(id: ViewId, cssWidth: number, cssHeight: number, pixelRatio: number): Promise<void>;
  /** Scrubs the warp layer without recomputing the trace. */
  setWarpStage(id: ViewId, stage: number): Promise<RenderReport>;
  render(id: ViewId, options?: RenderOptions): Promise<RenderReport>;
  /** Draws at display rate while live and visible; stops when hidden. */
  setViewLive(id: ViewId, options: LiveOptions): Promise<void>;
  /** The view's current frame drawn offscreen and read back (tests, image export), transferred. */
  readPixels(id: ViewId): Promise<PixelImage>;
  /** Frames drawn and refreshes so far, and the live options. */
  viewStatus(id: ViewId): Promise<ViewStatus>;
  disposeView(id: ViewId): Promise<void>;

  /**
   * Test hook: writes NaN into the model's parameters (at the next chunk boundary if training).
   * All of them: a NaN in one first-layer weight can vanish in a clamped activation.
   */
  debugInjectNaN(id: ModelId): Promise<void>;
  /** Test hook: destroys the worker's GPU device, as a driver reset would lose it. */
  debugLoseDevice(): Promise<void>;
  /** Test hook: an uncaptured GPU error of this kind on the device (reaches the page as 'gpu-error'). */
  debugInjectGpuError(kind: 'out-of-memory' | 'validation', message: string): Promise<void>;
  /** Test hook: throws `message` outside any call (an uncaught worker error). */
  debugThrowUncaught(message: string): Promise<void>;
}

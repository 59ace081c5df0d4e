/**
 * What the playground needs from the GPU side, as one small interface. The app implements it
 * with the worker (worker-lab-client.ts); tests implement it in the page. Everything crossing it
 * is structured-clone friendly (plain objects, Float32Array), so comlink can carry it as is.
 */
import type { DataSource, ImageSource, ModelSettings, TrainSettings } from '../../notebook';
import type { ImageFilesResult } from '../../export';
import type {
  ImageTable,
  ImageViewRequest,
  LabEvent,
  RunProgress,
  RunState,
  WorkerGpuReport,
} from '../../worker/api';

export type { ImageTable, ImageViewRequest };
import type { SamplerChoice, ViewClient } from './view-client';

export type * from './view-client';

export type GpuReport = WorkerGpuReport;

/**
 * A run's progress and state are the worker's (src/worker/api.ts), used as they are: the run
 * state lives in the worker and the page shows it.
 */
export type { RunProgress, RunState };

/** Kernels the GPU side has compiled, of those requested so far (see LabClient.compileProgress). */
export interface CompileProgress {
  compiled: number;
  expected: number | null;
}

/** A reflow student's teacher: a trained run, and the pairs to make from it. */
export interface TeacherRequest {
  /** The Train cell whose trained model teaches. */
  trainId: string;
  /** (noise, sample) pairs to make. */
  pairs: number;
  /** RK4 steps of the teacher's ODE per pair. */
  steps: number;
  /** Seed of the pairs' noise. */
  seed: number;
}

/** A model's float32 parameters and the data normalisation they were trained under. */
export interface RunWeights {
  params: Float32Array;
  normalization: { shift: [number, number]; scale: [number, number] };
}

export interface ModelRequest {
  data: DataSource;
  model: ModelSettings;
  train: TrainSettings;
  /**
   * Reflow students (pairing 'reflow'): the teacher they learn from. Without it such a model
   * can be created (to load shared weights and sample) but not trained.
   */
  teacher?: TeacherRequest;
  /** An image model on a user's image set ('image-files'): the set's pixels. */
  pixels?: ImagePixels;
}

/** How an image model samples: NICE takes a temperature, flow matching an ODE solver. */
/** Flow matching's ODE solvers and a DDPM's samplers, as a View cell offers them. */
export type ImageSamplerName = 'euler' | 'heun' | 'rk4' | 'ddpm' | 'ddim';

/** A held-out evaluation: bits/dim, with how it was computed. */
export interface HeldOutEstimate {
  bits: number;
  /** Standard error of the mean (over the images; with the probes' noise for the ODE). */
  standardError: number;
  /** Images evaluated. */
  count: number;
  /** Flow matching: the probability-flow ODE's settings (absent: a flow's exact likelihood). */
  ode?: { probes: number; sampler: string; steps: number };
}

/** The Fréchet distance of an image model's samples to the test split (api imageFrechet). */
export interface FrechetFigure {
  distance: number;
  count: number;
  featureDims: number;
  set: string;
  classifierAccuracy: number;
}

export interface ImageSampleRequest {
  seed: number;
  temperature?: number;
  sampler?: ImageSamplerName;
  steps?: number;
  /** A class-conditional model: one label per image, or one for all (the library's `classes`). */
  classes?: number | number[];
  /** Its classifier-free guidance scale (with classes). */
  guidance?: number;
}

/** An image model's samples: `count` images of `shape`, intensities in [0, 1]. */
export interface ImageSamples {
  count: number;
  /** [channels, height, width]. */
  shape: readonly [number, number, number];
  /** count × channels × height × width values, image after image. */
  values: Float32Array;
}

export interface LabClient {
  /** Acquires WebGPU and describes the adapter; rejects with a readable message. */
  probe(): Promise<GpuReport>;
  /** `count` points drawn from a data source (data coordinates, x0, y0, x1, y1, …). */
  sampleData(source: DataSource, count: number, seed: number): Promise<Float32Array>;
  /**
   * Opens an image source (a user's set: with its `pixels`) and draws `count` sample images,
   * reporting the loading progress. Absent where the client has no image sets.
   */
  imagePreview?(
    source: ImageSource,
    pixels: ImagePixels | undefined,
    count: number,
    onProgress: (progress: ImageLoadState) => void,
  ): Promise<ImagePreview>;
  /** Creates (or re-creates) the model and dataset of run `runId`; compiles its kernels. */
  createRun(runId: string, request: ModelRequest): Promise<void>;
  /**
   * Trains run `runId` for `steps` more steps with the request's optimizer settings; resolves
   * with the worker's report once the run is not running: 'done' at the step target, 'paused',
   * 'stopped', or 'failed' with its notice (the page shows that state as it is).
   */
  train(
    runId: string,
    steps: number,
    onProgress: (progress: RunProgress) => void,
  ): Promise<RunProgress>;
  /**
   * Loads trained weights into run `runId`'s model as `steps` steps of training, and resolves
   * with the GPU side's report of the run afterwards (the worker's: 'done' at `steps`), which
   * the page shows as it shows every report. Absent where the client cannot import weights.
   */
  importWeights?(runId: string, weights: RunWeights, steps: number): Promise<RunProgress>;
  /** Pauses run `runId`; the train call in flight resolves with the worker's 'paused' report. */
  pause(runId: string): Promise<void>;
  stop(runId: string): Promise<void>;
  setLearningRate(runId: string, learningRate: number): Promise<void>;
  /**
   * Samples of the trained model (data coordinates); diffusion and flow-matching models use
   * `sampler` (flows ignore it).
   */
  sampleModel(
    runId: string,
    count: number,
    seed: number,
    sampler?: SamplerChoice,
  ): Promise<Float32Array>;
  /**
   * `count` images sampled by run `runId`'s image model in the GPU side (absent where the client
   * has no image models).
   */
  sampleImages?(runId: string, count: number, request: ImageSampleRequest): Promise<ImageSamples>;
  /** An image view of run `runId`'s image model (the View cell's film strip, …), drawn on the GPU side. */
  imageView?(runId: string, request: ImageViewRequest): Promise<ImageTable>;
  /**
   * An image model's held-out bits/dim on the Data cell's held-out test split (a shipped set):
   * an image flow's exact likelihood of the first `count` images, flow matching's through the
   * probability-flow ODE (HELD_OUT_ODE: fewer images, a few Hutchinson probes, ± its standard
   * error); undefined where the run has none (a user's set, a DDPM).
   */
  heldOutBits?(runId: string, count: number): Promise<HeldOutEstimate | undefined>;
  /**
   * Sample quality of an image model on a shipped set: the Fréchet distance between a small
   * classifier's features of `count` samples (drawn with `request`) and of `count` test images;
   * undefined where the run has no shipped set.
   */
  frechet?(
    runId: string,
    count: number,
    request: ImageSampleRequest,
  ): Promise<FrechetFigure | undefined>;
  /** Releases the run's model and dataset. */
  disposeRun(runId: string): Promise<void>;
  /**
   * Views drawn by the GPU side onto canvases the page transfers. Absent where the client has
   * none: the View cell then draws samples on the page.
   */
  views?: ViewClient;
  /** log p of run `runId`'s model at `points` (nats). Used by the Compare cell. */
  modelLogProb?(runId: string, points: Float32Array): Promise<Float32Array>;
  /** The exact log p of a data source at `points` (nats); rejects where none is known. */
  dataLogProb?(source: DataSource, points: Float32Array): Promise<Float32Array>;
  /** Trainable parameters of run `runId`'s model. */
  parameterCount?(runId: string): Promise<number>;
  /** Changes the batch size of a run from its next chunk (also while training). */
  setBatchSize?(runId: string, batch: number): Promise<void>;
  /**
   * Caps run `runId` at `stepsPerSecond` (null: full speed): the worker paces the run, from its
   * next chunk when training, or from its creation on.
   */
  setSpeedCap?(runId: string, stepsPerSecond: number | null): Promise<void>;
  /**
   * Kernels compiled so far of those requested (`expected` is null when no model is being
   * created), polled while createRun runs to show compile progress. Absent where the client
   * cannot tell.
   */
  compileProgress?(): Promise<CompileProgress>;
  /**
   * Events of the GPU side outside any call (a device lost, recovered, or given up on); the
   * listener is called for each. Absent where the client has no such events.
   */
  onLabEvent?(listener: (event: LabEvent) => void): Promise<void>;
  /**
   * Test hook: loses the GPU device as a driver reset would, so end-to-end tests can check the
   * recovery through the real page (test/e2e/first-run.mjs). Nothing in the UI calls it.
   */
  debugLoseDevice?(): Promise<void>;
}

/** The pixels of a user's image set (readImageFiles), which the notebook only references. */
export type ImagePixels = ImageFilesResult['images'];

/** How far an image set's opening has come (bytes of its asset; total unknown until told). */
export interface ImageLoadState {
  loaded: number;
  total: number | undefined;
}

/** Sample images of an image source, for the Data cell. */
export interface ImagePreview {
  /** [channels, height, width]. */
  shape: [number, number, number];
  /** Images in the set (after the class and split selection). */
  setCount: number;
  /** The sample images' bytes, image after image, and their labels. */
  pixels: Uint8Array;
  labels: Uint8Array;
}

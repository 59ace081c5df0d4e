/**
 * The notebook: an ordered list of cells, as a plain serialisable object (JSON-safe: no class
 * instances, no typed arrays, no functions), so that it can be saved, diffed and put in a URL.
 * What a run produced (losses, samples, GPU state) is not part of it: see the UI's run state.
 */

/**
 * Version history (src/notebook/migrate.ts upgrades every older version on load):
 * 1 — note, data, model, train, view cells; the view shows samples over data only.
 * 2 — diffusion settings on the model (noise schedule, prediction target); the view gains an
 *     overlay (density, warp, trajectories, field), a sampler with its step count and a
 *     layer/time scrubber; the Compare cell.
 *     Added within version 2 (optional: a notebook without them means the defaults, so every
 *     earlier v2 link and file opens unchanged): a flow-matching model's `coupling` and, for
 *     coupling 'reflow', its `reflow` teacher and pairs; the Data cell's image sources
 *     ('images': a shipped set; 'image-files': a reference to the user's own files).
 * 3 — a flow-matching model's `coupling` is called `pairing` (same values, same meaning): a flow
 *     coupling layer is something else. Version 2's `coupling` migrates to `pairing`.
 *     Added within version 3 (optional, absent in every earlier link): a Model cell's `image`
 *     model (issue #16: NICE or U-Net flow matching on the Data cell's image set).
 */
export const NOTEBOOK_VERSION = 3;

export const DATASET_NAMES = [
  'gaussian',
  'moons',
  'circles',
  'rings',
  '8gaussians',
  '25gaussians',
  'pinwheel',
  'swissroll',
  '2spirals',
  'checkerboard',
  'line',
  'sine',
  'smiley',
] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export const FLOW_KINDS = ['nice', 'realnvp', 'glow', 'spline'] as const;
export const DIFFUSION_KINDS = ['ddpm', 'flow-matching'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];
export type DiffusionKind = (typeof DIFFUSION_KINDS)[number];
export type ModelKind = FlowKind | DiffusionKind;
export type ModelFamily = 'flow' | 'diffusion';

export const ACTIVATIONS = ['relu', 'leaky-relu', 'tanh', 'silu', 'gelu', 'softplus'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
export const OPTIMIZERS = ['adam', 'adamw', 'sgd'] as const;
export type OptimizerKind = (typeof OPTIMIZERS)[number];
export const LR_SCHEDULES = ['constant', 'cosine'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];
/** DDPM noise schedules (mirrors src/models/diffusion/schedule.ts). */
export const NOISE_SCHEDULES = ['linear', 'cosine'] as const;
export type NoiseSchedule = (typeof NOISE_SCHEDULES)[number];
/** DDPM prediction targets: ε or v (mirrors src/models/diffusion/plan.ts). */
export const PREDICTIONS = ['eps', 'v'] as const;
export type PredictionTarget = (typeof PREDICTIONS)[number];
/** Samplers of DDPM models and of flow-matching models (mirrors the diffusion model). */
export const DDPM_SAMPLERS = ['ddpm', 'ddim', 'pf-euler', 'pf-heun'] as const;
export const FLOW_MATCHING_SAMPLERS = ['euler', 'midpoint', 'heun', 'rk4'] as const;
export type SamplerName = (typeof DDPM_SAMPLERS)[number] | (typeof FLOW_MATCHING_SAMPLERS)[number];
/**
 * How flow-matching training pairs data with noise (mirrors src/models/diffusion/spec.ts):
 * independent draws, the exact minimum-cost pairing within each batch, or a teacher's pairs.
 */
export const PAIRINGS = ['independent', 'minibatch-ot', 'reflow'] as const;
export type Pairing = (typeof PAIRINGS)[number];
/** @deprecated Renamed PAIRINGS (notebook version 3); kept so 0.2 code still compiles. */
export const COUPLINGS = PAIRINGS;
/** @deprecated Renamed Pairing (notebook version 3). */
export type Coupling = Pairing;
/** What a View cell draws over the points. */
export const VIEW_OVERLAYS = ['none', 'density', 'warp', 'trajectories', 'field'] as const;
export type ViewOverlay = (typeof VIEW_OVERLAYS)[number];
/**
 * What a View cell shows of an image model: the sample grid, or one of the image views
 * (src/ui/view-cell/image-views.ts; drawn in the worker's image-views.ts).
 */
export const IMAGE_VIEWS = ['grid', 'film-strip', 'nearest', 'interpolation', 'latents'] as const;
export type ImageViewName = (typeof IMAGE_VIEWS)[number];

/** The shipped image sets (mirrors src/data/images/assets.ts). */
export const IMAGE_SET_NAMES = ['mnist', 'fashion-mnist'] as const;
export type ImageSetName = (typeof IMAGE_SET_NAMES)[number];
/** Pixels a side of a shipped set: the originals or the 2×2 box-downsampled variant. */
export const IMAGE_SET_SIZES = [28, 14] as const;
export type ImageSetSize = (typeof IMAGE_SET_SIZES)[number];
/** Which images of a shipped set: its train split, its held-out test split, or all. */
export const IMAGE_SPLITS = ['train', 'test', 'all'] as const;
export type ImageSplit = (typeof IMAGE_SPLITS)[number];
/** The class names of each shipped set, by label (mirrors the library's IMAGE_CLASS_NAMES). */
export const IMAGE_SET_CLASSES: Record<ImageSetName, readonly string[]> = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ],
};

/** A shipped image set: small settings, so it travels in links like any other source. */
export interface ShippedImagesSource {
  kind: 'images';
  name: ImageSetName;
  size: ImageSetSize;
  /** Only these labels (distinct, ascending); absent: every class. */
  classes?: number[];
  /** Absent: 'train'. */
  split?: ImageSplit;
  seed: number;
}

/**
 * The user's own images (PNG/JPEG files or a .zip), by reference: their pixels are megabytes,
 * so the notebook holds what they are and a hash of them, and the page keeps the pixels beside
 * it (src/ui/controllers/image-files.ts). A link carries the reference only; the Data cell then
 * asks for the files again and checks them against `hash`.
 */
export interface ImageFilesSource {
  kind: 'image-files';
  /** What was dropped ("digits.zip", "12 files"), for the user. */
  label: string;
  count: number;
  channels: 1 | 3;
  /** Pixels a side (square images, 1…28). */
  size: number;
  /** Folder-per-class names, label i = classNames[i]; empty for an unlabelled set. */
  classNames: string[];
  /** SHA-256 (hex) of the pixels then the labels, as imageSetHash() computes it. */
  hash: string;
  seed: number;
}

/** Where a Data cell's points come from. Drawings and images are stored as a density grid. */
export type DataSource =
  | { kind: 'builtin'; name: DatasetName; seed: number }
  | { kind: 'points'; text: string; jitter: number; seed: number }
  | {
      kind: 'grid';
      width: number;
      height: number;
      /** Row-major, top row first, non-negative. */
      weights: number[];
      seed: number;
    }
  | ShippedImagesSource
  | ImageFilesSource;

/**
 * The image model kinds a Model cell offers when its Data cell holds an image set (their options
 * and limits: image-models.ts): the lab's image flows 'nice', 'realnvp', 'glow' and its U-Net
 * models 'flow-matching', 'ddpm'; a new lab image kind joins by an entry here and in IMAGE_MODEL_KINDS_INFO.
 */
export const IMAGE_MODEL_KINDS = ['nice', 'realnvp', 'glow', 'flow-matching', 'ddpm'] as const;
export type ImageModelKind = (typeof IMAGE_MODEL_KINDS)[number];

/** A Model cell's image model: its kind and that kind's options (shape: the Data cell's). */
export interface ImageModelSettings {
  kind: ImageModelKind;
  /** Every option of the kind (IMAGE_MODEL_KINDS_INFO[kind].options), by key. */
  options: Record<string, number | string>;
}

export interface ModelSettings {
  family: ModelFamily;
  kind: ModelKind;
  layers: number;
  hidden: number;
  hiddenLayers: number;
  activation: Activation;
  seed: number;
  /** Diffusion only: number of noise levels T. */
  timesteps: number;
  /** DDPM only: noise schedule. */
  noiseSchedule: NoiseSchedule;
  /** DDPM only: what the network predicts. */
  prediction: PredictionTarget;
  /** Flow matching only: how training pairs data with noise (absent: 'independent'). */
  pairing?: Pairing;
  /** Flow matching with pairing 'reflow': the teacher and the pairs it makes. */
  reflow?: ReflowSettings;
  /**
   * An image model (for a Data cell holding an image set): present, the cell's model is this one
   * and the 2-D settings above wait unused (seed excepted: it seeds the image model too).
   */
  image?: ImageModelSettings;
}

/**
 * Reflow (Liu et al. 2023): the student trains on (z, x = the teacher's RK4 ODE image of z)
 * pairs, z seeded with the student's seed.
 */
export interface ReflowSettings {
  /**
   * Id of the teacher's Model cell: a flow-matching model above the student, trained by a Train
   * cell below it. A reference only: reflowTeacher() (reflow.ts) says why it cannot be used, never the validator,
   * so a notebook whose cells were reordered still saves and shares.
   */
  teacher: string;
  /** How many pairs the teacher makes (REFLOW_LIMITS.pairs). */
  pairs: number;
  /** RK4 steps of the teacher's ODE per pair (REFLOW_LIMITS.teacherSteps). */
  teacherSteps: number;
}

export interface TrainSettings {
  optimizer: OptimizerKind;
  learningRate: number;
  schedule: LrSchedule;
  batch: number;
  steps: number;
}

interface CellBase {
  /** Unique within the notebook; stable across reorderings. */
  id: string;
  collapsed: boolean;
}

export interface NoteCell extends CellBase {
  kind: 'note';
  markdown: string;
}
export interface DataCell extends CellBase {
  kind: 'data';
  title: string;
  source: DataSource;
}
export interface ModelCell extends CellBase {
  kind: 'model';
  title: string;
  model: ModelSettings;
  train: TrainSettings;
}
/** Trains the nearest Model cell above it on the nearest Data cell above that model. */
export interface TrainCell extends CellBase {
  kind: 'train';
  /** Loss-curve smoothing in [0, 0.99] (exponential moving average factor). */
  smoothing: number;
  logScale: boolean;
  /**
   * What training produced when the notebook was shared: the step count and a SHA-256 hash (hex)
   * of the float32 parameters. A replay that reaches `steps` compares its own hash against it,
   * so the UI can say whether the replay is bit-identical (same browser and GPU) or diverged.
   */
  expected?: { steps: number; paramsHash: string };
}
/** Shows the nearest Train cell above it. */
export interface ViewCell extends CellBase {
  kind: 'view';
  showData: boolean;
  showSamples: boolean;
  sampleCount: number;
  sampleSeed: number;
  overlay: ViewOverlay;
  /** Diffusion / flow matching: the sampler and its step count (flows ignore both). */
  sampler: SamplerName;
  samplerSteps: number;
  /**
   * Scrubber position in [0, 1]: the layer of a flow's warp (0 = data side, 1 = latent side) or
   * the time of an ODE model's warp, trajectories and field (0 = data, 1 = noise).
   */
  position: number;
  /**
   * An image flow's sampling temperature: z = T·ε (absent: 1, the model itself; 0: the image of
   * z = 0). Added within version 3, optional.
   */
  temperature?: number;
  /** An image model's view (absent: 'grid'). Added within version 3, optional. */
  imageView?: ImageViewName;
  /**
   * A class-conditional image model (classes K > 0): the label every sample is drawn with
   * (absent: all classes in turn, image i of class i mod K, so the grid's columns repeat them in
   * order when K divides its width). Added within version 3, optional.
   */
  sampleClass?: number;
  /**
   * Its classifier-free guidance scale w (absent: 1, the conditional model; 0: the
   * unconditional one). Added within version 3, optional.
   */
  guidance?: number;
}
/** Compares the Train cells above it (all of them, or those listed) on the same metrics. */
export interface CompareCell extends CellBase {
  kind: 'compare';
  /** Train cell ids to compare; empty means every Train cell above this cell. */
  trainIds: string[];
  /** Samples per model for the sample-based metrics (energy distance, KL estimate). */
  sampleCount: number;
  seed: number;
}

export type Cell = NoteCell | DataCell | ModelCell | TrainCell | ViewCell | CompareCell;
export type CellKind = Cell['kind'];
export const CELL_KINDS: readonly CellKind[] = [
  'note',
  'data',
  'model',
  'train',
  'view',
  'compare',
];

export interface Notebook {
  version: typeof NOTEBOOK_VERSION;
  title: string;
  cells: Cell[];
}

export function familyOf(kind: ModelKind): ModelFamily {
  return (FLOW_KINDS as readonly string[]).includes(kind) ? 'flow' : 'diffusion';
}

// Over 400 lines on purpose: both U-Net kinds' lab classes, their shared base and the one options type they read.
/**
 * Image diffusion models behind lab.createModel({ family: 'image-diffusion', … }): flow matching
 * and DDPM with the small U-Net (src/models/image-diffusion/), trained by lab.train on an image
 * dataset of its shape (an EMA of the weights kept by optimizer.emaDecay is sampled with after
 * training) and sampled with Euler, Heun or RK4 (flow matching), DDPM or DDIM. Images leave as
 * intensities in [0, 1] (the models work on pixels scaled to [−1, 1]: z = 2 (x + ½) / 256 − 1).
 */
import type { GpuRuntime } from '../gpu';
import type { ImageDataset } from '../data/images';
import { resolvePreprocess } from '../data/images/preprocess';
import { ImageDdpmModel, type DdpmGpuSampleOptions } from '../models/image-diffusion/ddpm-model';
import {
  IMAGE_DDPM_SAMPLERS,
  resolveImageDdpmSpec,
  type ImageDdpmSampler,
  type ImageDdpmSpec,
  type ResolvedImageDdpmSpec,
} from '../models/image-diffusion/ddpm-spec';
import { evenColumns, ImageFlowMatchingModel } from '../models/image-diffusion/fm-model';
import { checkColumnCount, rowsOfStrip, type ImageFilmStrip } from './image-film-strip';
import {
  IMAGE_FM_SAMPLERS,
  resolveImageFlowMatchingSpec,
  type ImageFlowMatchingSpec,
  type ImageFmSampler,
  type ResolvedImageFlowMatchingSpec,
} from '../models/image-diffusion/fm-spec';
import {
  imageDiffusionBankBytesPerSample,
  ImageDiffusionTrainingTask,
  type ImageDiffusionObjective,
} from '../models/image-diffusion/training';
import type { ImageWeights } from '../models/image-diffusion/unet-model';
import { checkGuidance, type Guidance } from '../models/image-diffusion/guidance-reference';
import { ModelSpecError } from '../models/flows/flow-spec';
import type { Trainer, TrainingTask } from '../nn/trainer';
import { checkImageShape } from './image-models';
import {
  odeBitsPerDim,
  type OdeBitsPerDimEstimate,
  type OdeBitsPerDimOptions,
} from './ode-likelihood';
import type { TrainingTaskOptions } from './models';
import type { TrainableModel } from './training';

export type { OdeBitsPerDimEstimate, OdeBitsPerDimOptions };
export type {
  ImageDdpmSampler,
  ImageDdpmSpec,
  ImageFlowMatchingSpec,
  ImageFmSampler,
  ImageWeights,
  ResolvedImageDdpmSpec,
  ResolvedImageFlowMatchingSpec,
};

export { FILM_STRIP_COLUMNS, type ImageFilmStrip } from './image-film-strip';

export type ImageDiffusionSpec = ImageFlowMatchingSpec | ImageDdpmSpec;
export type ResolvedImageDiffusionSpec = ResolvedImageFlowMatchingSpec | ResolvedImageDdpmSpec;

export interface ImageDiffusionSampleOptions {
  /** Philox seed of the prior draws (and DDPM's step noise); default the model's seed. */
  seed?: number;
  /**
   * Flow matching: 'rk4' (default, 4 network evaluations a step), 'heun' (2) or 'euler' (1).
   * DDPM: 'ddpm' (ancestral, all T steps) or 'ddim' (default).
   */
  sampler?: ImageFmSampler | ImageDdpmSampler;
  /** Flow matching: uniform steps from t = 1 to 0 (default 20). DDIM: steps (default min(50, T)). */
  steps?: number;
  /** DDIM's η ∈ [0, 1] (default 0: deterministic; 1: DDPM's posterior variance). */
  eta?: number;
  /** 'ema' (default once training left one) or 'params'. */
  weights?: ImageWeights;
  /**
   * Class-conditional models (spec.classes K > 0): one label in [0, K − 1] per image, or one for
   * all. Without classes a conditional model samples its unconditional model (the null class).
   */
  classes?: readonly number[] | number;
  /**
   * Classifier-free guidance scale w (with classes; default 1): ε̂ = ε̂(x, ∅) + w (ε̂(x, c) −
   * ε̂(x, ∅)) (velocities alike for flow matching): w = 0 is the unconditional model, w = 1 the
   * conditional one; each step then evaluates the network twice.
   */
  guidance?: number;
}

/** What an image diffusion model of the lab provides. */
export interface LabImageDiffusionModel extends TrainableModel<ImageDataset> {
  readonly spec: Readonly<ResolvedImageDiffusionSpec>;
  /** [channels, height, width]. */
  readonly shape: readonly [number, number, number];
  readonly parameterCount: number;
  /** Network evaluations per image of the latest sample() or sampleFrom(). */
  readonly lastNfe: number;
  /** Whether an EMA of the weights is held (after training, or importParams(…, 'ema')). */
  readonly hasEma: boolean;
  /** n images as intensities in [0, 1] (n × C × H × W values), reproducible per seed. */
  sample(n: number, options?: ImageDiffusionSampleOptions): Promise<Float32Array>;
  /**
   * The deterministic images of given latents z (e.g. an interpolation between two): flow
   * matching's ODE from t = 1, a DDPM's DDIM with η = 0 from x_T.
   */
  sampleFrom(
    z: Float32Array,
    options?: Omit<ImageDiffusionSampleOptions, 'seed'>,
  ): Promise<Float32Array>;
  /**
   * The film strip of sample(n, options): `columns` (default 8, at least 2) evenly spaced states
   * from x_T to x₀; its last column is sample(n, options) bit for bit.
   */
  filmStrip(
    n: number,
    options?: ImageDiffusionSampleOptions & { columns?: number },
  ): Promise<ImageFilmStrip>;
  /** The parameters, or ('ema') the EMA samplers read (the parameters when none is held). */
  exportParams(which?: ImageWeights): Promise<Float32Array>;
  /** Replaces the parameters (and drops the EMA: samplers read them), or ('ema') the EMA. */
  importParams(values: Float32Array, which?: ImageWeights): void;
  readonly isDisposed: boolean;
  dispose(): void;
}

const FM_DEFAULTS = { sampler: 'rk4' as ImageFmSampler, steps: 20 };

/** Model space [−1, 1] → intensities, clamped to [0, 1]. */
function toIntensities(values: Float32Array): Float32Array {
  for (let i = 0; i < values.length; i++)
    values[i] = Math.min(1, Math.max(0, 0.5 * (values[i]! + 1)));
  return values;
}

function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`sample() seed must be an integer in [0, 2^53), got ${String(seed)}.`);
  }
  return seed;
}

/** What both kinds share: the weights, the EMA hand-over after training, the training task. */
abstract class LabImageUNetDiffusion<
  Model extends ImageFlowMatchingModel | ImageDdpmModel,
> implements LabImageDiffusionModel {
  readonly trainingBytesPerSample: number;
  /** Pixels at their bins' centres, scaled to [−1, 1] (no dequantization for diffusion). */
  private readonly preprocess = resolvePreprocess({ transform: 'scale', dequantize: false });

  protected constructor(protected readonly model: Model) {
    this.trainingBytesPerSample = imageDiffusionBankBytesPerSample(model.dims);
  }

  abstract sample(n: number, options?: ImageDiffusionSampleOptions): Promise<Float32Array>;
  abstract filmStrip(
    n: number,
    options?: ImageDiffusionSampleOptions & { columns?: number },
  ): Promise<ImageFilmStrip>;
  abstract sampleFrom(
    z: Float32Array,
    options?: Omit<ImageDiffusionSampleOptions, 'seed'>,
  ): Promise<Float32Array>;
  protected abstract objective(): ImageDiffusionObjective;

  get spec(): Model['spec'] {
    return this.model.spec;
  }

  get shape(): readonly [number, number, number] {
    return this.model.spec.shape;
  }

  get parameterCount(): number {
    return this.model.parameterCount;
  }

  get lastNfe(): number {
    return this.model.lastNfe;
  }

  get hasEma(): boolean {
    return this.model.hasEma;
  }

  get isDisposed(): boolean {
    return this.model.isDisposed;
  }

  exportParams(which: ImageWeights = 'params'): Promise<Float32Array> {
    return this.model.exportParams(which);
  }

  importParams(values: Float32Array, which: ImageWeights = 'params'): void {
    this.model.importParams(values, which);
    // New weights: an EMA left from earlier training would keep drawing the old model.
    if (which === 'params') this.model.clearEma();
  }

  /** The classes and guidance of sample options, checked against the model's classes. */
  protected guidance(n: number, options: ImageDiffusionSampleOptions): Guidance | undefined {
    return checkGuidance(this.model.unet.shape, n, options.classes, options.guidance);
  }

  async createTrainingTask(
    data: ImageDataset,
    options: TrainingTaskOptions,
    state: GPUBuffer,
  ): Promise<TrainingTask> {
    checkImageShape(this, data);
    const classes = this.model.spec.classes;
    if (classes > 0) {
      const set = await data.load();
      const top = set.labels ? set.labels.reduce((a, b) => Math.max(a, b), 0) : undefined;
      if (top === undefined || top >= classes) {
        throw new ModelSpecError(
          'classes',
          `A model of ${classes} classes trains on labels 0…${classes - 1}, but the dataset '${data.name}' ` +
            `${top === undefined ? 'has no labels' : `has label ${top}`}; create the model with classes: ` +
            `${top === undefined ? 0 : top + 1}${top === undefined ? ' (unconditional)' : ''}.`,
        );
      }
    }
    return ImageDiffusionTrainingTask.create(
      this.model.runtime,
      this.model,
      this.objective(),
      await data.sampler(),
      {
        ...options,
        preprocess: this.preprocess,
        flips: data.flips,
        pUncond: this.model.spec.pUncond,
      },
      state,
    );
  }

  /**
   * After training: sample with the trainer's EMA of the weights (optimizer.emaDecay; with
   * decay 0 the EMA slot holds the weights themselves).
   */
  async afterTraining(trainer: Trainer): Promise<void> {
    this.model.importParams(await trainer.readEmaParams(), 'ema');
  }

  dispose(): void {
    this.model.dispose();
  }
}

export class LabImageFlowMatching extends LabImageUNetDiffusion<ImageFlowMatchingModel> {
  static async create(
    runtime: GpuRuntime,
    spec: ImageFlowMatchingSpec,
  ): Promise<LabImageFlowMatching> {
    const resolved = resolveImageFlowMatchingSpec(spec);
    return new LabImageFlowMatching(await ImageFlowMatchingModel.create(runtime, resolved));
  }

  protected objective(): ImageDiffusionObjective {
    return { kind: 'flow-matching' };
  }

  private solver(options: ImageDiffusionSampleOptions) {
    const sampler = options.sampler ?? FM_DEFAULTS.sampler;
    if (!(IMAGE_FM_SAMPLERS as readonly string[]).includes(sampler)) {
      throw new RangeError(
        `A flow-matching model samples with ${IMAGE_FM_SAMPLERS.map((s) => `'${s}'`).join(', ')}, got ${JSON.stringify(sampler)}.`,
      );
    }
    return {
      sampler: sampler as ImageFmSampler,
      steps: options.steps ?? FM_DEFAULTS.steps,
      ...(options.weights ? { weights: options.weights } : {}),
    };
  }

  async sample(n: number, options: ImageDiffusionSampleOptions = {}): Promise<Float32Array> {
    const seed = checkSeed(options.seed ?? this.spec.seed);
    const guidance = this.guidance(n, options);
    return toIntensities(
      await this.model.sample(n, {
        seed,
        ...this.solver(options),
        ...(guidance ? { guidance } : {}),
      }),
    );
  }

  async filmStrip(
    n: number,
    options: ImageDiffusionSampleOptions & { columns?: number } = {},
  ): Promise<ImageFilmStrip> {
    const seed = checkSeed(options.seed ?? this.spec.seed);
    const guidance = this.guidance(n, options);
    const solver = this.solver(options);
    const columns = evenColumns(solver.steps, checkColumnCount(options.columns));
    const strip = await this.model.filmStrip(
      n,
      { seed, ...solver, ...(guidance ? { guidance } : {}) },
      columns,
    );
    return {
      columns,
      total: solver.steps,
      images: toIntensities(rowsOfStrip(strip, n, this.model.dims)),
    };
  }

  /**
   * The latents of images (intensities, n × C × H × W): the ODE integrated backwards from t = 0
   * to 1 with the sampler's solver and steps reversed; sampleFrom(encode(x)) ≈ x (the solver's
   * error, shrinking with the steps).
   */
  async encode(
    images: Float32Array,
    options: Omit<ImageDiffusionSampleOptions, 'seed'> = {},
  ): Promise<Float32Array> {
    const guidance = this.guidance(images.length / this.model.dims, options);
    const x = Float32Array.from(images, (y) => 2 * y - 1);
    return this.model.encode(x, { ...this.solver(options), ...(guidance ? { guidance } : {}) });
  }

  async sampleFrom(
    z: Float32Array,
    options: Omit<ImageDiffusionSampleOptions, 'seed'> = {},
  ): Promise<Float32Array> {
    const guidance = this.guidance(z.length / this.model.dims, options);
    return toIntensities(
      await this.model.sampleFrom(z, {
        ...this.solver(options),
        ...(guidance ? { guidance } : {}),
      }),
    );
  }

  /**
   * Held-out negative log-likelihood in bits/dim through the probability-flow ODE with
   * Hutchinson's trace estimator, on the image flows' scale (ode-likelihood.ts).
   */
  bitsPerDim(
    data: ImageDataset | Uint8Array,
    options: OdeBitsPerDimOptions = {},
  ): Promise<OdeBitsPerDimEstimate> {
    return odeBitsPerDim(this.model, this.shape, data, options);
  }
}

export class LabImageDdpm extends LabImageUNetDiffusion<ImageDdpmModel> {
  static async create(runtime: GpuRuntime, spec: ImageDdpmSpec): Promise<LabImageDdpm> {
    const resolved = resolveImageDdpmSpec(spec);
    return new LabImageDdpm(await ImageDdpmModel.create(runtime, resolved));
  }

  protected objective(): ImageDiffusionObjective {
    return { kind: 'ddpm', schedule: this.model.schedule };
  }

  async sample(n: number, options: ImageDiffusionSampleOptions = {}): Promise<Float32Array> {
    return toIntensities(await this.model.sample(n, this.sampleOptions(n, options)));
  }

  async filmStrip(
    n: number,
    options: ImageDiffusionSampleOptions & { columns?: number } = {},
  ): Promise<ImageFilmStrip> {
    const resolved = this.sampleOptions(n, options);
    const total = this.model.stageCount(resolved);
    const columns = evenColumns(total, checkColumnCount(options.columns));
    const strip = await this.model.filmStrip(n, resolved, columns);
    return { columns, total, images: toIntensities(rowsOfStrip(strip, n, this.model.dims)) };
  }

  /** sample()'s options checked and resolved for the model. */
  private sampleOptions(n: number, options: ImageDiffusionSampleOptions): DdpmGpuSampleOptions {
    const seed = checkSeed(options.seed ?? this.spec.seed);
    const guidance = this.guidance(n, options);
    const sampler = options.sampler ?? 'ddim';
    if (!(IMAGE_DDPM_SAMPLERS as readonly string[]).includes(sampler)) {
      throw new RangeError(
        `A DDPM samples with ${IMAGE_DDPM_SAMPLERS.map((s) => `'${s}'`).join(' or ')}, got ${JSON.stringify(sampler)}.`,
      );
    }
    if (sampler === 'ddpm' && (options.steps !== undefined || options.eta !== undefined)) {
      throw new RangeError(
        `The 'ddpm' sampler always takes all T = ${this.spec.timesteps} steps with η = 1; for fewer steps or another η use sampler: 'ddim'.`,
      );
    }
    return {
      seed,
      sampler: sampler as ImageDdpmSampler,
      ...(options.steps !== undefined ? { steps: options.steps } : {}),
      ...(options.eta !== undefined ? { eta: options.eta } : {}),
      ...(options.weights ? { weights: options.weights } : {}),
      ...(guidance ? { guidance } : {}),
    };
  }

  /** DDIM with η = 0 from given x_T (the deterministic map; `steps` default min(50, T)). */
  async sampleFrom(
    z: Float32Array,
    options: Omit<ImageDiffusionSampleOptions, 'seed'> = {},
  ): Promise<Float32Array> {
    if ((options.sampler ?? 'ddim') !== 'ddim' || (options.eta ?? 0) !== 0) {
      throw new RangeError(
        "A DDPM's sampleFrom() is DDIM with η = 0 (the deterministic map of x_T); pass sampler 'ddim' and no eta, or use sample() for stochastic sampling.",
      );
    }
    const guidance = this.guidance(z.length / this.model.dims, options);
    return toIntensities(
      await this.model.sampleFrom(z, {
        ...(options.steps !== undefined ? { steps: options.steps } : {}),
        ...(options.weights ? { weights: options.weights } : {}),
        ...(guidance ? { guidance } : {}),
      }),
    );
  }
}

/** The image diffusion model of a spec (ModelSpecError names a bad kind or field). */
export async function createImageDiffusionModel(
  runtime: GpuRuntime,
  spec: ImageDiffusionSpec,
): Promise<LabImageFlowMatching | LabImageDdpm> {
  const kind = (spec as { kind?: unknown }).kind;
  if (kind === 'ddpm') return LabImageDdpm.create(runtime, spec as ImageDdpmSpec);
  if (kind === 'flow-matching') {
    return LabImageFlowMatching.create(runtime, spec as ImageFlowMatchingSpec);
  }
  throw new ModelSpecError(
    'kind',
    `model.kind of an image-diffusion model must be 'flow-matching' or 'ddpm', got ${JSON.stringify(kind)}.`,
  );
}

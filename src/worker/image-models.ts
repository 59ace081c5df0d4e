/**
 * Image models in the worker (issue #16): the lab's image models (NICE, U-Net flow matching, and
 * whatever image kind the lab adds) behind the same model records, runs, checkpoints and
 * device-loss rebuilds as the 2-D models. A WorkerImageModel wraps one as a LabModel: what every
 * model does (sample, export/import, checkpoints, training) passes through; the 2-D point views
 * (warp, trace, field, heatmaps) refuse with a TypeError saying so. Images have no data
 * normalisation: their pre-processing is the model's own, so the record keeps the identity.
 */
import type { ImageDataset, Lab } from '../lab/lab';
import { checkImageShape, type LabImageModel } from '../lab/image-models';
import type { LabImageDiffusionModel } from '../lab/image-diffusion';
import type { ImageModelSpec } from '../lab/image-models';
import type { ImageDiffusionSpec } from '../lab/image-diffusion';
import type {
  LabModel,
  ModelSpec,
  Normalization,
  TrainingData,
  TrainingTaskOptions,
} from '../lab/models';
import type { TrainingRun, TrainOptions } from '../lab/training';
import type { ModelState } from '../lab/model-views';

/** The lab spec of an image model (image-flow or image-diffusion family). */
export type ImageSpec = ImageModelSpec | ImageDiffusionSpec;
/** Every spec the worker's createModel takes. */
export type WorkerModelSpec = ModelSpec | ImageSpec;

type ImageModel = LabImageModel | LabImageDiffusionModel;

const IMAGE_FAMILIES: readonly string[] = ['image-flow', 'image-diffusion'];

export function isImageSpec(spec: { family?: unknown }): spec is ImageSpec {
  return IMAGE_FAMILIES.includes(spec.family as string);
}

/** The identity: image models scale their pixels themselves. */
const IDENTITY: Normalization = { shift: [0, 0], scale: [1, 1] };

/**
 * Sampling options an image model takes (image flows: temperature; FM and DDPM: sampler, steps,
 * and for a class-conditional one its classes and classifier-free guidance scale).
 */
export interface ImageSampleOptions {
  seed?: number;
  temperature?: number;
  /** Flow matching: 'euler', 'heun' or 'rk4'; DDPM: 'ddpm' or 'ddim'. */
  sampler?: 'euler' | 'heun' | 'rk4' | 'ddpm' | 'ddim';
  steps?: number;
  /** One label per image, or one for all (spec.classes K > 0). */
  classes?: readonly number[] | number;
  /** Guidance scale w (with classes): 0 the unconditional model, 1 the conditional one. */
  guidance?: number;
}

export class WorkerImageModel implements LabModel {
  readonly normalization: Normalization = IDENTITY;
  readonly capabilities = { trace: false, field: null, inverseWarp: false } as const;

  constructor(readonly image: ImageModel) {}

  /** The image spec, typed as the records' spec (its family tells them apart). */
  get spec(): LabModel['spec'] {
    return this.image.spec as unknown as LabModel['spec'];
  }

  get imageSpec(): ImageSpec {
    return this.image.spec;
  }

  get shape(): readonly [number, number, number] {
    return this.image.shape;
  }

  get parameterCount(): number {
    return this.image.parameterCount;
  }

  get trainingBytesPerSample(): number {
    return this.image.trainingBytesPerSample ?? 8;
  }

  get isDisposed(): boolean {
    return this.image.isDisposed;
  }

  /** n images as intensities in [0, 1] (n × C × H × W values). */
  sample(n: number, options: ImageSampleOptions = {}): Promise<Float32Array> {
    if (this.image.spec.family === 'image-flow') {
      const { seed, temperature } = options;
      return (this.image as LabImageModel).sample(n, { seed, temperature });
    }
    const { seed, sampler, steps, classes, guidance } = options;
    return (this.image as LabImageDiffusionModel).sample(n, {
      seed,
      sampler,
      steps,
      ...(classes === undefined ? {} : { classes }),
      ...(guidance === undefined ? {} : { guidance }),
    });
  }

  exportParams(): Promise<Float32Array> {
    return this.image.exportParams();
  }

  importParams(values: Float32Array): void {
    this.image.importParams(values);
  }

  samplingWeights(): Promise<Float32Array> {
    return this.image.exportParams();
  }

  /** The parameters only: the run carries the optimizer's state itself. */
  restore(state: ModelState): void {
    this.image.importParams(state.params.slice());
  }

  /** Trains on an image set (lab.train hands image models their image dataset). */
  createTrainingTask(
    data: unknown,
    options: TrainingTaskOptions,
    state: GPUBuffer,
  ): ReturnType<LabModel['createTrainingTask']> {
    return this.image.createTrainingTask(data as ImageDataset, options, state);
  }

  logProb(): Promise<Float32Array> {
    return this.refuse('logProb of 2-D points');
  }
  sampleToBuffer(): never {
    return this.refuse('point samples for the 2-D views');
  }
  logProbToBuffer(): never {
    return this.refuse('a density heatmap');
  }
  planSampling(): never {
    return this.refuse('a 2-D sampling plan');
  }
  paths(): never {
    return this.refuse('sample trajectories');
  }
  warpStages(): never {
    return this.refuse('a warp grid');
  }
  trace(): never {
    return this.refuse('a layer-by-layer trace');
  }
  field(): never {
    return this.refuse('a vector field');
  }

  dispose(): void {
    this.image.dispose();
  }

  private refuse(what: string): never {
    throw new TypeError(
      `${this.image.spec.family} '${this.image.spec.kind}' is an image model of ` +
        `${this.image.shape.join('×')} images: it has no ${what} (a 2-D model's view). ` +
        'Sample it (images in [0, 1]) or train it on an image set instead.',
    );
  }
}

/**
 * A worker model from any spec: an image spec gives a WorkerImageModel, a 2-D spec the lab's
 * model. Every place that builds a model (createModel, reset, a device-loss rebuild) comes here.
 */
export async function createWorkerModel(lab: Lab, spec: WorkerModelSpec): Promise<LabModel> {
  if (isImageSpec(spec)) {
    const image =
      spec.family === 'image-flow' ? await lab.createModel(spec) : await lab.createModel(spec);
    return new WorkerImageModel(image);
  }
  return lab.createModel(spec);
}

/**
 * lab.train for a worker model: an image model trains as itself on its image set (createRun
 * paired them, checkRunData), a 2-D model on its dataset or reflow pairs. Both runs are driven
 * alike (the run's data type is the only difference), so the worker holds them as one type.
 */
export function trainRun(
  lab: Lab,
  model: LabModel,
  data: TrainingData | ImageDataset,
  options: TrainOptions,
): TrainingRun {
  if (model instanceof WorkerImageModel) {
    return lab.train(model.image, data as ImageDataset, options) as unknown as TrainingRun;
  }
  return lab.train(model, data as TrainingData, options);
}

/**
 * Refuses, before any GPU work, a run whose model and data do not go together: an image model
 * trains on an image set of its shape, and a 2-D model never on an image set.
 */
export function checkRunData(
  model: LabModel,
  datasetId: string | null,
  images: ImageDataset | undefined,
): void {
  if (datasetId === null) return;
  if (model instanceof WorkerImageModel) {
    const { family, kind } = model.imageSpec;
    if (!images) {
      throw new TypeError(
        `This ${family} '${kind}' model learns ${model.shape.join('×')} images, so it trains on an ` +
          `image set (openImageSet), not on ${datasetId}.`,
      );
    }
    checkImageShape(model, images);
  } else if (images) {
    throw new TypeError(
      `${datasetId} is an image set, and this is a 2-D '${model.spec.kind}' model; image sets ` +
        "train image models: createModel({ family: 'image-flow', kind: 'nice', shape }).",
    );
  }
}

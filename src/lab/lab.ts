/**
 * The public entry of Flowfield's library: `const lab = await openLab()`. A lab owns (or borrows)
 * a GpuRuntime and everything created through it (datasets, models, training runs);
 * lab.dispose() releases all of it.
 */
import { GpuRuntime, type GpuOptions } from '../gpu';
import { BUILTIN_NAMES, type BuiltinName } from '../data/builtins';
import { Dataset } from '../data/dataset';
import type { DatasetSpec } from '../data/spec';
import {
  ImageDataset,
  isImageDatasetSpec,
  type ImageDatasetSpec,
  type ImageLoadOptions,
} from '../data/images';
import type { ReflowPairOptions, ReflowPairs } from '../models/diffusion/reflow';
import { LabDiffusion } from './diffusion';
import { createLabModel } from './create-model';
import {
  checkImageShape,
  createImageModel,
  LabNice,
  type ImageModelSpec,
  type LabImageModel,
} from './image-models';
import {
  createImageDiffusionModel,
  LabImageDdpm,
  LabImageFlowMatching,
  type ImageDdpmSpec,
  type ImageDiffusionSpec,
  type ImageFlowMatchingSpec,
  type LabImageDiffusionModel,
} from './image-diffusion';
import type { LabModel, ModelSpec, TrainingData } from './models';
import { TrainingRun, type TrainOptions } from './training';

export type { ImageDataset, ImageDatasetSpec, ImageLoadOptions };

export interface LabOptions extends GpuOptions {
  /** Use this runtime instead of opening one; the lab then does not destroy it on dispose(). */
  runtime?: GpuRuntime;
}

/** Something the lab created and releases on dispose(). */
interface Owned {
  readonly isDisposed: boolean;
  dispose(): void;
}

export class Lab {
  private readonly owned = new Set<Owned>();
  private disposed = false;

  private constructor(
    readonly runtime: GpuRuntime,
    private readonly ownsRuntime: boolean,
  ) {}

  static async open(options: LabOptions = {}): Promise<Lab> {
    const { runtime, ...gpuOptions } = options;
    if (runtime) return new Lab(runtime, false);
    return new Lab(await GpuRuntime.open(gpuOptions), true);
  }

  /** The built-in dataset names, in their documented order. */
  datasetNames(): BuiltinName[] {
    return [...BUILTIN_NAMES];
  }

  /**
   * A dataset from a spec: { name, params?, seed? }, { points, jitter? } or { grid } (2-D), or
   * an image dataset: { name: 'mnist' | 'fashion-mnist', size?, classes?, split? } or
   * { images }. Throws DatasetSpecError naming the bad field. A shipped image set is downloaded
   * when first needed, reporting to `options.onProgress`. The dataset lives until its dispose()
   * or the lab's.
   */
  dataset(spec: ImageDatasetSpec, options?: ImageLoadOptions): ImageDataset;
  dataset(spec: DatasetSpec): Dataset;
  dataset(
    spec: DatasetSpec | ImageDatasetSpec,
    options?: ImageLoadOptions,
  ): Dataset | ImageDataset {
    this.ensureOpen();
    if (isImageDatasetSpec(spec)) return this.track(new ImageDataset(this.runtime, spec, options));
    return this.track(new Dataset(this.runtime, spec));
  }

  /**
   * A model from a spec, e.g. { family: 'flow', kind: 'realnvp', layers: 8, hidden: 64, seed: 1 }.
   * Every field is validated before any GPU work (ModelSpecError names the field and range);
   * then the kernels the model needs are compiled.
   */
  async createModel(spec: ImageModelSpec): Promise<LabImageModel>;
  async createModel(spec: ImageFlowMatchingSpec): Promise<LabImageFlowMatching>;
  async createModel(spec: ImageDdpmSpec): Promise<LabImageDdpm>;
  async createModel(spec: ImageDiffusionSpec): Promise<LabImageDiffusionModel>;
  async createModel(spec: ModelSpec): Promise<LabModel>;
  async createModel(
    spec: ModelSpec | ImageModelSpec | ImageDiffusionSpec,
  ): Promise<LabModel | LabImageModel | LabImageDiffusionModel> {
    this.ensureOpen();
    const family = (spec as { family?: unknown }).family;
    if (family === 'image-flow') {
      return this.track(await createImageModel(this.runtime, spec as ImageModelSpec));
    }
    if (family === 'image-diffusion') {
      return this.track(await createImageDiffusionModel(this.runtime, spec as ImageDiffusionSpec));
    }
    return this.track(await createLabModel(this.runtime, spec as ModelSpec));
  }

  /**
   * Trains `model` on `data`: lab.train(model, data, { steps, batch, optimizer, onProgress }).
   * Returns at once; `run.done` resolves when training ends (pause/resume/stop/setLearningRate).
   * An image model trains on an image dataset of its shape (ModelSpecError naming both shapes
   * otherwise); its loss is the negative log-likelihood in bits/dim.
   */
  train(
    model: LabImageModel | LabImageDiffusionModel,
    data: ImageDataset,
    options: TrainOptions,
  ): TrainingRun<ImageDataset>;
  train(model: LabModel, data: TrainingData, options: TrainOptions): TrainingRun;
  train(
    model: LabModel | LabImageModel | LabImageDiffusionModel,
    data: TrainingData | ImageDataset,
    options: TrainOptions,
  ): TrainingRun<TrainingData> | TrainingRun<ImageDataset> {
    this.ensureOpen();
    if (model.isDisposed || data.isDisposed) {
      throw new Error('lab.train() got a disposed model or dataset; create a new one.');
    }
    if (
      model instanceof LabNice ||
      model instanceof LabImageFlowMatching ||
      model instanceof LabImageDdpm
    ) {
      if (!(data instanceof ImageDataset)) {
        throw new TypeError(
          'lab.train() trains an image model on an image dataset (lab.dataset({ name: ' +
            "'mnist', size: 14 }) or lab.dataset({ images })), got a 2-D dataset.",
        );
      }
      checkImageShape(model, data);
      return new TrainingRun<ImageDataset>(this.runtime, model, data, options);
    }
    if (data instanceof ImageDataset) {
      throw new TypeError(
        `lab.train() got an image dataset for a 2-D model; image datasets train image models: ` +
          `lab.createModel({ family: 'image-flow', kind: 'nice', shape: [${data.shape.join(', ')}] }).`,
      );
    }
    return new TrainingRun(this.runtime, model as LabModel, data, options);
  }

  /**
   * Reflow (rectified flow): `count` pairs (z, x = the teacher's ODE image of z, with its
   * `sampler` and `steps`, noise `seed`), kept on the GPU. Train a student created with
   * { kind: 'flow-matching', pairing: 'reflow' } on them: lab.train(student, pairs, …).
   */
  async reflowPairs(teacher: LabModel, options: ReflowPairOptions): Promise<ReflowPairs> {
    this.ensureOpen();
    if (!(teacher instanceof LabDiffusion) || teacher.isDisposed) {
      throw new TypeError(
        'lab.reflowPairs() needs a live flow-matching model (kind: "flow-matching") as the teacher.',
      );
    }
    return this.track(await teacher.reflowPairs(options));
  }

  /** Releases everything the lab created, and the runtime if the lab opened it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const item of this.owned) item.dispose();
    this.owned.clear();
    if (this.ownsRuntime) this.runtime.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private track<T extends Owned>(item: T): T {
    for (const old of this.owned) if (old.isDisposed) this.owned.delete(old);
    this.owned.add(item);
    return item;
  }

  private ensureOpen(): void {
    if (this.disposed) throw new Error('This lab was disposed; open a new one with openLab().');
  }
}

/** Opens a lab: acquires WebGPU (page or worker) unless options.runtime is given. */
export function openLab(options: LabOptions = {}): Promise<Lab> {
  return Lab.open(options);
}

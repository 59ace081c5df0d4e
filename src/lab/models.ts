/**
 * lab.createModel(): the models behind the public API. Every model offers the same methods, so
 * the UI and other pages can treat flows and diffusion models alike.
 */
import type { Dataset } from '../data/dataset';
import type { GpuRuntime, PooledBuffer } from '../gpu';
import type { Trainer, TrainingTask } from '../nn/trainer';
import { DiffusionSpecError, type DiffusionModelSpec } from '../models/diffusion/spec';
import { LabDiffusion } from './diffusion';
import { FlowModel, type Normalization } from '../models/flows/flow-model';
import { ModelSpecError, type FlowModelSpec } from '../models/flows/flow-spec';
import { FlowTrainingTask } from '../models/flows/flow-training';
import { ReflowPairs } from '../models/diffusion/reflow';

export type ModelSpec = FlowModelSpec | DiffusionModelSpec;
/** What lab.train() trains on: a dataset, or a teacher's reflow pairs (coupling 'reflow'). */
export type TrainingData = Dataset | ReflowPairs;
export type { Normalization };

export interface TrainingTaskOptions {
  batch: number;
  seed: number;
  maxStepsPerSubmit: number;
}

/** What every model of the lab provides. Points are Float32Array rows (x, y) in data coordinates. */
export interface LabModel {
  /** The spec with every default filled in. */
  readonly spec: Readonly<ModelSpec & { seed: number }>;
  readonly parameterCount: number;
  /**
   * Data ↔ model coordinates, set from the dataset when training starts. A checkpoint keeps it
   * with the parameters, so a model rebuilt elsewhere (a new device) samples in the same place.
   */
  normalization: Normalization;
  /** n samples (Float32Array of 2n). */
  sample(n: number, options?: { seed?: number }): Promise<Float32Array>;
  /** log p(x) in nats. */
  logProb(points: ArrayLike<number>): Promise<Float32Array>;
  /** n samples into a new GPU buffer (2n floats, data coordinates; VERTEX usage) the caller owns. */
  sampleToBuffer(n: number, options?: { seed?: number }): Promise<PooledBuffer>;
  /** log p of points into a new GPU buffer (n floats) the caller owns: heatmaps without readback. */
  logProbToBuffer(points: ArrayLike<number>): Promise<PooledBuffer>;
  exportParams(): Promise<Float32Array>;
  importParams(values: Float32Array): void;
  createTrainingTask(
    dataset: TrainingData,
    options: TrainingTaskOptions,
    state: GPUBuffer,
  ): Promise<TrainingTask>;
  /** Called when a training run ends, before its trainer is released. */
  afterTraining?(trainer: Trainer): Promise<void>;
  readonly isDisposed: boolean;
  dispose(): void;
}

/** A normalizing flow as a lab model: also forward, inverse and trace (the warp view). */
export class LabFlow implements LabModel {
  private disposed = false;

  constructor(readonly flow: FlowModel) {}

  get spec() {
    return this.flow.spec;
  }

  get parameterCount(): number {
    return this.flow.parameterCount;
  }

  get normalization(): Normalization {
    return this.flow.normalization;
  }

  set normalization(value: Normalization) {
    this.flow.normalization = { shift: [...value.shift], scale: [...value.scale] };
  }

  sample(n: number, options: { seed?: number } = {}): Promise<Float32Array> {
    return this.flow.sample(n, options);
  }

  logProb(points: ArrayLike<number>): Promise<Float32Array> {
    return this.flow.logProb(points);
  }

  /** z = f(x) and log|det ∂z/∂x|. */
  forward(points: ArrayLike<number>): Promise<{ z: Float32Array; logDet: Float32Array }> {
    return this.flow.forward(points);
  }

  /** x = f⁻¹(z). */
  inverse(z: ArrayLike<number>): Promise<Float32Array> {
    return this.flow.inverse(z);
  }

  /** Positions after every layer (see FlowModel.trace). */
  trace(
    points: ArrayLike<number>,
    direction: 'forward' | 'inverse' = 'forward',
  ): Promise<Float32Array[]> {
    return this.flow.trace(points, direction);
  }

  /** log|det J_k| of every layer at every point (the per-layer volume-change view). */
  layerLogDets(points: ArrayLike<number>): Promise<Float32Array[]> {
    return this.flow.layerLogDets(points);
  }

  sampleToBuffer(n: number, options: { seed?: number } = {}): Promise<PooledBuffer> {
    return this.flow.sampleToBuffer(n, options);
  }

  logProbToBuffer(points: ArrayLike<number>): Promise<PooledBuffer> {
    return this.flow.logProbToBuffer(points);
  }

  exportParams(): Promise<Float32Array> {
    return this.flow.exportParams();
  }

  importParams(values: Float32Array): void {
    this.flow.importParams(values);
  }

  async createTrainingTask(
    dataset: TrainingData,
    options: TrainingTaskOptions,
    state: GPUBuffer,
  ): Promise<TrainingTask> {
    if (dataset instanceof ReflowPairs) {
      throw new TypeError(
        "Reflow pairs train a flow-matching model with coupling 'reflow'; a normalizing flow trains on a dataset.",
      );
    }
    const normalizer = dataset.normalizer;
    this.flow.normalization = { shift: [...normalizer.shift], scale: [...normalizer.scale] };
    await this.flow.initializeFromData(dataset.sampleCpu(512, { seed: options.seed }));
    return FlowTrainingTask.create(
      this.flow.runtime,
      this.flow,
      await dataset.sampler(),
      options,
      state,
    );
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    this.disposed = true;
    this.flow.dispose();
  }
}

export async function createLabModel(runtime: GpuRuntime, spec: ModelSpec): Promise<LabModel> {
  switch (spec.family) {
    case 'flow':
      return new LabFlow(await FlowModel.create(runtime, spec));
    case 'diffusion':
      try {
        return await LabDiffusion.create(runtime, spec);
      } catch (error) {
        // One error type for every bad spec field, whatever the family.
        if (error instanceof DiffusionSpecError)
          throw new ModelSpecError(error.field, error.message);
        throw error;
      }
    default:
      throw new ModelSpecError(
        'family',
        `model.family must be 'flow' or 'diffusion', got "${String((spec as { family: unknown }).family)}".`,
      );
  }
}

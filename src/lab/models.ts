/**
 * lab.createModel(): the models behind the public API. Every model offers the same methods, so
 * the UI and other pages can treat flows and diffusion models alike.
 */
import type { Dataset } from '../data/dataset';
import type { GpuRuntime, PooledBuffer } from '../gpu';
import type { Trainer, TrainingTask } from '../nn/trainer';
import { DiffusionSpecError, type DiffusionModelSpec } from '../models/diffusion/spec';
import { LabDiffusion } from './diffusion';
import { FlowModel, INFERENCE_CHUNK, type Normalization } from '../models/flows/flow-model';
import { ModelSpecError, type FlowModelSpec } from '../models/flows/flow-spec';
import { FlowTrainingTask } from '../models/flows/flow-training';
import { ReflowPairs } from '../models/diffusion/reflow';
import type { FieldValues } from '../models/diffusion/model';
import type {
  ModelCapabilities,
  ModelSampleOptions,
  ModelState,
  PathOptions,
  SamplePaths,
  SamplingPlan,
} from './model-views';

export type ModelSpec = FlowModelSpec | DiffusionModelSpec;
/** What lab.train() trains on: a dataset, or a teacher's reflow pairs (pairing 'reflow'). */
export type TrainingData = Dataset | ReflowPairs;
export type { Normalization, FieldValues };
export type { Dataset, ReflowPairs };
export type { DatasetSpec } from '../data/spec';
export type * from './model-views';
export { ODE_WARP_STEPS } from './model-views';

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
  /** Optional views of this kind of model (trace, field, inverse warp). */
  readonly capabilities: ModelCapabilities;
  /** What sampling with `options` costs; throws RangeError naming a sampler option it refuses. */
  planSampling(options: ModelSampleOptions): SamplingPlan;
  /**
   * `count` generating paths: the paths of `options.seed` end at the samples sampleToBuffer()
   * draws with the same options.
   */
  paths(count: number, options: PathOptions): Promise<SamplePaths>;
  /**
   * The positions of `points` at every stage of the model: a flow's layers ('forward': data to
   * latent; 'inverse': latent to data), or the ODE from data (t = 0) to noise for diffusion and
   * flow matching, which go 'forward' only (see capabilities.inverseWarp).
   */
  warpStages(points: ArrayLike<number>, direction: 'forward' | 'inverse'): Promise<Float32Array[]>;
  /** Positions after every layer (flows; see capabilities.trace; others throw TypeError). */
  trace(points: ArrayLike<number>, direction?: 'forward' | 'inverse'): Promise<Float32Array[]>;
  /** dx/dt at time t (see capabilities.field; flows throw TypeError). */
  field(points: ArrayLike<number>, t: number): Promise<FieldValues>;
  /** The weights sample() uses: a diffusion model's EMA after training, else the parameters. */
  samplingWeights(): Promise<Float32Array>;
  /** Puts a checkpoint back (copies; the state stays intact), with its EMA where it has one. */
  restore(state: ModelState): void;
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

  readonly capabilities: ModelCapabilities = { trace: true, field: null, inverseWarp: true };

  /** A flow samples in one pass through its layers: no sampler to choose. */
  planSampling(): SamplingPlan {
    return { nfe: null, steps: this.flow.spec.layers };
  }

  /**
   * The samples of `seed` traced forward through the layers and reversed: the flow is
   * invertible, so this is the generating path, and it ends exactly at those samples.
   */
  async paths(count: number, options: PathOptions): Promise<SamplePaths> {
    const samples = await this.sample(count, { seed: options.seed ?? 0 });
    let frames: Float32Array[] | undefined;
    for (let start = 0; start < count; start += INFERENCE_CHUNK) {
      const end = Math.min(count, start + INFERENCE_CHUNK);
      const stages = await this.trace(samples.subarray(2 * start, 2 * end), 'forward');
      frames ??= stages.map(() => new Float32Array(2 * count));
      stages.forEach((stage, i) => frames![i]!.set(stage, 2 * start));
    }
    const reversed = frames!.reverse();
    const times = reversed.map((_, i) => 1 - i / Math.max(1, reversed.length - 1));
    return { frames: reversed, times, nfe: null };
  }

  warpStages(points: ArrayLike<number>, direction: 'forward' | 'inverse'): Promise<Float32Array[]> {
    return this.trace(points, direction);
  }

  field(): Promise<FieldValues> {
    return Promise.reject(
      new TypeError(
        'A normalizing flow has no velocity field; field() works for diffusion and flow-matching models.',
      ),
    );
  }

  samplingWeights(): Promise<Float32Array> {
    return this.exportParams();
  }

  restore(state: ModelState): void {
    this.normalization = state.normalization;
    this.importParams(state.params.slice());
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
        "Reflow pairs train a flow-matching model with pairing 'reflow'; a normalizing flow trains on a dataset.",
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
        `model.family must be 'flow', 'diffusion', 'image-flow' or 'image-diffusion', got "${String((spec as { family: unknown }).family)}".`,
      );
  }
}

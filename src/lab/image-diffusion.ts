/**
 * Image diffusion models behind lab.createModel({ family: 'image-diffusion', … }): flow matching
 * with the small U-Net (src/models/image-diffusion/), trained by lab.train on an image dataset
 * of its shape and sampled with Euler or RK4. Images leave as intensities in [0, 1] (the model
 * works on pixels scaled to [−1, 1]: z = 2 (x + ½) / 256 − 1).
 */
import type { GpuRuntime } from '../gpu';
import type { ImageDataset } from '../data/images';
import { resolvePreprocess } from '../data/images/preprocess';
import { ImageFlowMatchingModel } from '../models/image-diffusion/fm-model';
import { fmBankBytesPerSample, FmTrainingTask } from '../models/image-diffusion/fm-training';
import {
  resolveImageFlowMatchingSpec,
  type ImageFlowMatchingSpec,
  type ImageFmSampler,
  type ResolvedImageFlowMatchingSpec,
} from '../models/image-diffusion/fm-spec';
import type { TrainingTask } from '../nn/trainer';
import { checkImageShape } from './image-models';
import type { TrainingTaskOptions } from './models';
import type { TrainableModel } from './training';

export type { ImageFlowMatchingSpec, ImageFmSampler, ResolvedImageFlowMatchingSpec };

export interface ImageDiffusionSampleOptions {
  /** Philox seed of the prior draws; default the model's seed. */
  seed?: number;
  /** ODE solver: 'rk4' (default, 4 network evaluations a step) or 'euler'. */
  sampler?: ImageFmSampler;
  /** Uniform steps from t = 1 to t = 0 (default 20). */
  steps?: number;
}

/** What an image diffusion model of the lab provides. */
export interface LabImageDiffusionModel extends TrainableModel<ImageDataset> {
  readonly spec: Readonly<ResolvedImageFlowMatchingSpec>;
  /** [channels, height, width]. */
  readonly shape: readonly [number, number, number];
  readonly parameterCount: number;
  /** n images as intensities in [0, 1] (n × C × H × W values), reproducible per seed. */
  sample(n: number, options?: ImageDiffusionSampleOptions): Promise<Float32Array>;
  /** The ODE's images of given latents z at t = 1 (e.g. an interpolation between two). */
  sampleFrom(
    z: Float32Array,
    options?: Omit<ImageDiffusionSampleOptions, 'seed'>,
  ): Promise<Float32Array>;
  exportParams(): Promise<Float32Array>;
  importParams(values: Float32Array): void;
  readonly isDisposed: boolean;
  dispose(): void;
}

const DEFAULT_SAMPLER: ImageFmSampler = 'rk4';
const DEFAULT_STEPS = 20;

/** Model space [−1, 1] → intensities, clamped to [0, 1]. */
function toIntensities(values: Float32Array): Float32Array {
  for (let i = 0; i < values.length; i++)
    values[i] = Math.min(1, Math.max(0, 0.5 * (values[i]! + 1)));
  return values;
}

export class LabImageFlowMatching implements LabImageDiffusionModel {
  readonly trainingBytesPerSample: number;
  /** Pixels at their bins' centres, scaled to [−1, 1] (no dequantization for diffusion). */
  private readonly preprocess = resolvePreprocess({ transform: 'scale', dequantize: false });

  private constructor(private readonly model: ImageFlowMatchingModel) {
    this.trainingBytesPerSample = fmBankBytesPerSample(model.dims);
  }

  static async create(
    runtime: GpuRuntime,
    spec: ImageFlowMatchingSpec,
  ): Promise<LabImageFlowMatching> {
    const resolved = resolveImageFlowMatchingSpec(spec);
    return new LabImageFlowMatching(await ImageFlowMatchingModel.create(runtime, resolved));
  }

  get spec(): Readonly<ResolvedImageFlowMatchingSpec> {
    return this.model.spec;
  }

  get shape(): readonly [number, number, number] {
    return this.model.spec.shape;
  }

  get parameterCount(): number {
    return this.model.parameterCount;
  }

  get isDisposed(): boolean {
    return this.model.isDisposed;
  }

  async sample(n: number, options: ImageDiffusionSampleOptions = {}): Promise<Float32Array> {
    const seed = options.seed ?? this.spec.seed;
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`sample() seed must be an integer in [0, 2^53), got ${String(seed)}.`);
    }
    return toIntensities(
      await this.model.sample(n, {
        seed,
        sampler: options.sampler ?? DEFAULT_SAMPLER,
        steps: options.steps ?? DEFAULT_STEPS,
      }),
    );
  }

  async sampleFrom(
    z: Float32Array,
    options: Omit<ImageDiffusionSampleOptions, 'seed'> = {},
  ): Promise<Float32Array> {
    return toIntensities(
      await this.model.sampleFrom(z, {
        sampler: options.sampler ?? DEFAULT_SAMPLER,
        steps: options.steps ?? DEFAULT_STEPS,
      }),
    );
  }

  exportParams(): Promise<Float32Array> {
    return this.model.exportParams();
  }

  importParams(values: Float32Array): void {
    this.model.importParams(values);
  }

  async createTrainingTask(
    data: ImageDataset,
    options: TrainingTaskOptions,
    state: GPUBuffer,
  ): Promise<TrainingTask> {
    checkImageShape(this, data);
    return FmTrainingTask.create(
      this.model.runtime,
      this.model,
      await data.sampler(),
      { ...options, preprocess: this.preprocess, flips: data.flips },
      state,
    );
  }

  dispose(): void {
    this.model.dispose();
  }
}

/**
 * A DDPM or flow-matching model as a lab model (src/models/diffusion/model.ts does the work):
 * the same sample/logProb/params methods as the flows, plus the diffusion views —
 * trajectories, the velocity/score field, the noised data at t and the terminal-KL gauge.
 */
import type { GpuRuntime, PooledBuffer } from '../gpu';
import type { Trainer, TrainingTask } from '../nn/trainer';
import {
  DiffusionModel,
  type FieldValues,
  type LogProbOptions,
  type Normalization,
  type SampleOptions,
  type TrajectoryOptions,
  type Trajectories,
} from '../models/diffusion/model';
import { ReflowPairs, type ReflowPairOptions } from '../models/diffusion/reflow';
import type { DiffusionModelSpec, ResolvedDiffusionSpec } from '../models/diffusion/spec';
import type { TrainingData, TrainingTaskOptions } from './models';

export class LabDiffusion {
  private disposed = false;

  constructor(
    private readonly runtime: GpuRuntime,
    readonly diffusion: DiffusionModel,
  ) {}

  static async create(runtime: GpuRuntime, spec: DiffusionModelSpec): Promise<LabDiffusion> {
    return new LabDiffusion(runtime, await DiffusionModel.create(runtime, spec));
  }

  get spec(): ResolvedDiffusionSpec {
    return this.diffusion.spec;
  }

  get parameterCount(): number {
    return this.diffusion.parameterCount;
  }

  get normalization(): Normalization {
    return this.diffusion.normalization;
  }

  set normalization(value: Normalization) {
    this.diffusion.normalization = { shift: [...value.shift], scale: [...value.scale] };
  }

  /** n samples with `sampler` ('ddpm' | 'ddim' | 'pf-euler' | 'pf-heun' | 'euler' | 'midpoint' | 'heun' | 'rk4'), `steps`, `eta`, `seed`. */
  sample(n: number, options: SampleOptions = {}): Promise<Float32Array> {
    return this.diffusion.sample(n, options);
  }

  /** log p(x) through the probability-flow ODE with the exact 2-D divergence (RK4, `steps`). */
  logProb(points: ArrayLike<number>, options: LogProbOptions = {}): Promise<Float32Array> {
    return this.diffusion.logProb(points, options);
  }

  trajectories(
    start: number | ArrayLike<number>,
    options: TrajectoryOptions = {},
  ): Promise<Trajectories> {
    return this.diffusion.trajectories(start, options);
  }

  field(points: ArrayLike<number>, t: number): Promise<FieldValues> {
    return this.diffusion.field(points, t);
  }

  noised(points: ArrayLike<number>, t: number, seed = 0): Promise<Float32Array> {
    return this.diffusion.noised(points, t, seed);
  }

  /** KL of the terminal marginal to N(0, I): "is x_T close to the prior?". */
  terminalKl(): number {
    return this.diffusion.terminalKl();
  }

  /** Network evaluations per point of the latest sample/logProb/trajectories call. */
  get lastNfe(): number {
    return this.diffusion.lastRun?.nfe ?? 0;
  }

  /** n samples into a new GPU buffer (2n floats, data coordinates) the caller owns; no readback. */
  sampleToBuffer(n: number, options: SampleOptions = {}): Promise<PooledBuffer> {
    return this.diffusion.sampleToBuffer(n, options);
  }

  /** log p of points into a new GPU buffer (n floats) the caller owns; no readback. */
  logProbToBuffer(points: ArrayLike<number>, options: LogProbOptions = {}): Promise<PooledBuffer> {
    return this.diffusion.logProbToBuffer(points, options);
  }

  exportParams(): Promise<Float32Array> {
    return this.diffusion.exportParams();
  }

  /** Imported weights are also the sampling weights: an EMA left from earlier training would
   * otherwise keep drawing the old model. */
  importParams(values: Float32Array): void {
    this.diffusion.importParams(values);
    this.diffusion.importParams(values, 'ema');
  }

  /**
   * Reflow pairs (z, x = this model's ODE image of z) for a student with coupling 'reflow'
   * (lab.reflowPairs wraps this). The caller owns the pairs and disposes them.
   */
  reflowPairs(options: ReflowPairOptions): Promise<ReflowPairs> {
    return ReflowPairs.create(this.runtime, this.diffusion, options);
  }

  async createTrainingTask(
    dataset: TrainingData,
    options: TrainingTaskOptions,
    state: GPUBuffer,
  ): Promise<TrainingTask> {
    if (dataset instanceof ReflowPairs) {
      // The student lives in the teacher's coordinates, where the pairs are.
      this.normalization = dataset.normalization;
      return this.diffusion.createTrainingTask(state, dataset, options);
    }
    this.normalization = {
      shift: [...dataset.normalizer.shift],
      scale: [...dataset.normalizer.scale],
    };
    return this.diffusion.createTrainingTask(state, await dataset.sampler(), options);
  }

  /** After training: sample with the EMA of the weights. */
  async afterTraining(trainer: Trainer): Promise<void> {
    await this.diffusion.useEma(trainer);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    this.disposed = true;
    this.diffusion.dispose();
  }
}

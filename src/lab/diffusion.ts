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
  type SamplerName,
  type TrajectoryOptions,
  type Trajectories,
} from '../models/diffusion/model';
import { ReflowPairs, type ReflowPairOptions } from '../models/diffusion/reflow';
import type { DiffusionModelSpec, ResolvedDiffusionSpec } from '../models/diffusion/spec';
import { emaOf } from '../nn/trainer';
import {
  frameStride,
  ODE_WARP_STEPS,
  type ModelCapabilities,
  type ModelSampleOptions,
  type ModelState,
  type PathOptions,
  type SamplePaths,
  type SamplingPlan,
} from './model-views';
import type { LabModel, TrainingData, TrainingTaskOptions } from './models';

/** The model's sample options from the vocabulary every lab model takes (names checked later). */
function samplerOptions(options: ModelSampleOptions): SampleOptions {
  return {
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.sampler !== undefined ? { sampler: options.sampler as SamplerName } : {}),
    ...(options.steps !== undefined ? { steps: options.steps } : {}),
    ...(options.eta !== undefined ? { eta: options.eta } : {}),
  };
}

export class LabDiffusion implements LabModel {
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

  get capabilities(): ModelCapabilities {
    const field = this.spec.kind === 'flow-matching' ? 'velocity' : 'pf-drift';
    return { trace: false, field, inverseWarp: false };
  }

  /** The sampler's plan for `options` (RangeError naming a refused option), and its cost. */
  planSampling(options: ModelSampleOptions): SamplingPlan {
    const plan = this.diffusion.samplePlan(samplerOptions(options));
    return { nfe: plan.nfe, steps: plan.stages.filter((stage) => stage.last).length };
  }

  /** The same sampler, seed and noise as sample(): the paths end at its samples. */
  async paths(count: number, options: PathOptions): Promise<SamplePaths> {
    const sampling = samplerOptions(options);
    const { nfe, steps } = this.planSampling(options);
    const every = frameStride(steps, options.maxFrames);
    const { frames, times } = await this.trajectories(count, { ...sampling, every });
    return { frames, times, nfe };
  }

  /** The grid carried along the ODE from data (t = 0) to noise, one stage per time step. */
  async warpStages(
    points: ArrayLike<number>,
    direction: 'forward' | 'inverse',
  ): Promise<Float32Array[]> {
    if (direction !== 'forward') {
      throw new RangeError(
        `The warp view of a ${this.spec.kind} model carries a data grid along its ODE towards ` +
          "the noise: use direction 'forward' (it cannot pull a latent grid back).",
      );
    }
    return (await this.trajectories(points, { steps: ODE_WARP_STEPS, every: 1 })).frames;
  }

  trace(): Promise<Float32Array[]> {
    return Promise.reject(
      new TypeError(
        `A ${this.spec.kind} model cannot trace points layer by layer; trace() works for flows.`,
      ),
    );
  }

  /** The EMA where training left one, else the parameters: what sample() uses. */
  samplingWeights(): Promise<Float32Array> {
    return this.diffusion.exportParams('ema');
  }

  /** The parameters, and the EMA of the checkpoint's optimizer (sampled with, as after training). */
  restore(state: ModelState): void {
    this.normalization = state.normalization;
    this.importParams(state.params.slice());
    if (state.trainerState) {
      this.diffusion.importParams(emaOf(state.trainerState).slice(), 'ema');
    }
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
   * Reflow pairs (z, x = this model's ODE image of z) for a student with pairing 'reflow'
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

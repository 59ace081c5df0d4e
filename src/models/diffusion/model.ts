// Over 400 lines on purpose: one class: the denoiser, its EMA, training and sampling share buffers.
/**
 * DiffusionModel: a DDPM or flow-matching model on 2-D data, with GPU training, samplers,
 * exact likelihoods and visual hooks. Public API of src/lab wraps it.
 *
 *   const model = await DiffusionModel.create(runtime, { family: 'diffusion', kind: 'ddpm' });
 *   // Training (the lab owns the Trainer; sampler = await dataset.sampler()):
 *   const trainer = await Trainer.create(runtime,
 *     (state) => model.createTrainingTask(state, sampler, { batch, seed, maxStepsPerSubmit }), …);
 *   await model.useEma(trainer);                         // sample with the EMA weights
 *   await model.sample(n, { sampler: 'ddim', steps: 50, eta: 0, seed });
 *   await model.logProb(points, { steps: 50 });          // nats, exact divergence, RK4
 *   await model.trajectories(n | points, { sampler, steps, every });
 *   await model.field(points, t);                        // velocity (and score for DDPM) at t
 *   await model.noised(points, t, seed);                 // the forward process at t
 *   model.terminalKl();                                  // "is x_T close to N(0, I)?"
 *   await model.sampleIntoModelSpace(buffer, n, options); // model coordinates (reflow's pairs)
 *   exportParams() / importParams(values) / dispose()
 *
 * Coordinates: every method takes and returns data coordinates; `normalization` (set by the
 * lab from the dataset) maps them to the model's x = (data − shift)/scale, and log-densities
 * get −log(scale_x·scale_y). Time: t ∈ [0, 1], 0 = data, 1 = noise, for both kinds (DDPM's
 * continuous index is t·T − 1). Samplers: DDPM 'ddpm' | 'ddim' | 'pf-euler' | 'pf-heun';
 * flow matching 'euler' | 'midpoint' | 'heun' | 'rk4'. Every call records its network
 * evaluations per point in `lastRun.nfe`. Flow matching's `pairing` picks the training pairs:
 * independent, minibatch-OT (training.ts, ot-pairing.wgsl) or reflow (reflow.ts).
 */
import type { Normalization } from '../../data/normalize';
import { type GpuRuntime, type PooledBuffer, STORAGE_USAGE } from '../../gpu';
import { EmbedConcat } from '../../nn/layers';
import type { MlpShape } from '../../nn/mlp-shape';
import { ParameterLayout } from '../../nn/parameters';
import type { EmbeddingShape } from '../../nn/reference/embedding';
import type { Trainer } from '../../nn/trainer';
import { seedKey } from '../../rng/philox';
import { addDenoiserParameters, createDenoiserNet, type DenoiserNet } from './denoiser';
import { forwardProcessKernel } from './kernels';
import {
  architectureOf,
  embeddingOf,
  fieldFromOutput,
  fieldPlanFor,
  likelihoodPlanFor,
  pathPlanFor,
  samplePlanFor,
  type SamplerChoice,
} from './model-plans';
import type { DiffusionSampler, FlowSampler, Plan } from './plan';
import {
  PlanRunner,
  type DataTransform,
  type PlanRunOptions,
  type PlanTargets,
} from './plan-runner';
import {
  alphaBarOfSigmaBar,
  makeSchedule,
  sigmaBarAt,
  terminalKl,
  type ScheduleTable,
} from './schedule';
import type { OdeSolverName } from './solvers';
import { resolveDiffusionSpec, type DiffusionModelSpec, type ResolvedDiffusionSpec } from './spec';
import {
  DiffusionTrainingTask,
  type DiffusionTrainingOptions,
  type PairSampler,
  type X0Sampler,
} from './training';

const STORAGE = STORAGE_USAGE;

export type { Normalization };

export type SamplerName = DiffusionSampler | FlowSampler;

export interface SampleOptions extends SamplerChoice {
  seed?: number;
  /**
   * true: the fused sampler (many stages per dispatch, fused-sampler.ts) instead of the staged
   * one (two dispatches per network evaluation); the same samples. Opt-in (see PlanRunOptions).
   */
  fused?: boolean;
  /** Which weights: the EMA (default once useEma/importParams(…, 'ema') ran) or the trained ones. */
  weights?: 'ema' | 'params';
}

export interface LogProbOptions {
  /** ODE steps (default 50); the network runs 4× per step with RK4. */
  steps?: number;
  solver?: OdeSolverName;
  weights?: 'ema' | 'params';
}

export interface TrajectoryOptions extends SampleOptions {
  /** Record every `every` steps (default: about 20 frames). */
  every?: number;
}

export interface Trajectories {
  /** The time of each frame (1 = noise, 0 = data). */
  times: number[];
  /** One flat (x0, y0, …) array per frame, data coordinates. */
  frames: Float32Array[];
}

export interface FieldValues {
  /** dx/dt at the points (data coordinates per unit of t; sampling moves along −velocity). */
  velocity: Float32Array;
  /** DDPM: the score ∇ log p_t (data coordinates). */
  score?: Float32Array;
}

interface PlanInput {
  count?: number;
  points?: Float64Array;
  output?: DataTransform;
}

interface WeightOptions {
  seed?: number;
  fused?: boolean;
  weights?: 'ema' | 'params';
}

export interface RunStats {
  /** Network evaluations per point. */
  nfe: number;
  /** Points processed. */
  points: number;
  ms: number;
}

export class DiffusionModel {
  readonly spec: ResolvedDiffusionSpec;
  readonly schedule: ScheduleTable | undefined;
  readonly layout: ParameterLayout;
  readonly shape: MlpShape;
  readonly embedding: EmbeddingShape;
  normalization: Normalization = { shift: [0, 0], scale: [1, 1] };
  lastRun: RunStats | undefined;
  private readonly params: PooledBuffer;
  private ema: PooledBuffer | undefined;
  private training: Promise<{ net: DenoiserNet; embed: EmbedConcat }> | undefined;
  private disposed = false;

  private constructor(
    private readonly runtime: GpuRuntime,
    spec: ResolvedDiffusionSpec,
    private readonly runner: PlanRunner,
  ) {
    this.spec = spec;
    this.shape = runner.shape;
    this.embedding = runner.embedding;
    this.schedule =
      spec.kind === 'ddpm'
        ? makeSchedule({ kind: spec.schedule, timesteps: spec.timesteps })
        : undefined;
    this.layout = new ParameterLayout();
    addDenoiserParameters(this.layout, 'denoiser', architectureOf(spec));
    this.params = runtime.pool.upload(
      this.layout.initialize(spec.seed),
      STORAGE,
      `${spec.kind} denoiser params`,
    );
  }

  /** Validates the spec (DiffusionSpecError names the field) and compiles the sampling MLP. */
  static async create(runtime: GpuRuntime, spec: DiffusionModelSpec): Promise<DiffusionModel> {
    const resolved = resolveDiffusionSpec(spec);
    const embedding = embeddingOf(resolved);
    const net = await createDenoiserNet(runtime, architectureOf(resolved), { training: false });
    return new DiffusionModel(runtime, resolved, new PlanRunner(runtime, net, embedding));
  }

  get parameterCount(): number {
    return this.layout.total;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The trained weights' buffer (the training task updates it in place). */
  get paramsBuffer(): GPUBuffer {
    return this.params.buffer;
  }

  /**
   * A TrainingTask for src/nn/trainer.ts; x₀ batches come from `sampler` (model coordinates), or
   * (x₀, ε) pairs from a PairSampler for pairing 'reflow'.
   */
  async createTrainingTask(
    state: GPUBuffer,
    sampler: X0Sampler | PairSampler,
    options: DiffusionTrainingOptions,
  ): Promise<DiffusionTrainingTask> {
    this.ensureOpen();
    this.training ??= Promise.all([
      createDenoiserNet(this.runtime, architectureOf(this.spec), { training: true }),
      EmbedConcat.create(this.runtime, this.embedding),
    ]).then(([net, embed]) => ({ net, embed }));
    const { net, embed } = await this.training;
    const kind = this.spec.kind === 'flow-matching' ? 'flow' : `ddpm-${this.spec.prediction}`;
    return DiffusionTrainingTask.create(
      this.runtime,
      {
        kind: kind as 'flow' | 'ddpm-eps' | 'ddpm-v',
        table: this.schedule,
        net,
        embed,
        params: this.params,
        parameterCount: this.parameterCount,
        pairing: this.spec.pairing,
      },
      sampler,
      options,
      state,
    );
  }

  /** Samples with the trainer's exponential moving average of the weights from now on. */
  async useEma(trainer: Trainer): Promise<void> {
    this.importParams(await trainer.readEmaParams(), 'ema');
  }

  /** The plan a sampler call would run (its `nfe` is the cost per point). */
  samplePlan(options: SampleOptions = {}, every?: number): Plan {
    return samplePlanFor(this.spec, this.schedule, options, every);
  }

  /** n samples, flat (x0, y0, …), data coordinates. */
  async sample(n: number, options: SampleOptions = {}): Promise<Float32Array> {
    checkCount(n);
    const plan = this.samplePlan(options);
    const result = await this.runPlan(plan, { count: n, output: this.normalization }, options);
    return result.x;
  }

  /**
   * n samples written into a new GPU buffer (2n floats, data coordinates; STORAGE | VERTEX) that
   * the caller owns and disposes: for renderers that draw from GPU memory. Nothing is read
   * back; the promise resolves once the work is submitted.
   */
  async sampleToBuffer(n: number, options: SampleOptions = {}): Promise<PooledBuffer> {
    checkCount(n);
    const plan = this.samplePlan(options);
    const target = this.runtime.pool.acquire(
      n * 8,
      STORAGE | GPUBufferUsage.VERTEX,
      `${this.spec.kind} samples`,
    );
    try {
      await this.runPlanInto(plan, { count: n, output: this.normalization }, options, {
        points: target.buffer,
      });
      return target;
    } catch (error) {
      target.dispose();
      throw error;
    }
  }

  /**
   * n samples in MODEL coordinates written into `target` (2n floats from offset 0), nothing read
   * back; resolves once the work is submitted. Reflow's pair bank is made this way.
   */
  async sampleIntoModelSpace(
    target: GPUBuffer,
    n: number,
    options: SampleOptions = {},
  ): Promise<void> {
    checkCount(n);
    await this.runPlanInto(this.samplePlan(options), { count: n }, options, { points: target });
  }

  /** log p(x) in nats (data coordinates) by the instantaneous change of variables. */
  async logProb(points: ArrayLike<number>, options: LogProbOptions = {}): Promise<Float32Array> {
    checkPoints(points);
    const input = { points: this.toModel(points), output: this.normalization };
    return (await this.runPlan(this.likelihoodPlan(options), input, options)).logProb!;
  }

  /**
   * log p of points (data coordinates) into a new GPU buffer (n floats) the caller owns: heatmaps
   * without a readback (the points themselves are uploaded).
   */
  async logProbToBuffer(
    points: ArrayLike<number>,
    options: LogProbOptions = {},
  ): Promise<PooledBuffer> {
    checkPoints(points);
    const plan = this.likelihoodPlan(options);
    const n = points.length / 2;
    const target = this.runtime.pool.acquire(n * 4, STORAGE, `${this.spec.kind} log p`);
    try {
      const input = { points: this.toModel(points), output: this.normalization };
      await this.runPlanInto(plan, input, options, { logProb: target.buffer });
      return target;
    } catch (error) {
      target.dispose();
      throw error;
    }
  }

  private likelihoodPlan(options: LogProbOptions): Plan {
    return likelihoodPlanFor(this.spec, this.schedule, options);
  }

  /**
   * Paths through time: from n noise draws to samples (a number), or from data points to noise
   * (points, along the probability-flow / flow ODE; stochastic samplers need a number).
   */
  async trajectories(
    start: number | ArrayLike<number>,
    options: TrajectoryOptions = {},
  ): Promise<Trajectories> {
    let plan: Plan;
    let input: { count?: number; points?: Float64Array };
    if (typeof start === 'number') {
      checkCount(start);
      const steps = this.samplePlan(options).stages.filter((s) => s.last).length;
      plan = this.samplePlan(options, options.every ?? Math.max(1, Math.round(steps / 20)));
      input = { count: start };
    } else {
      checkPoints(start);
      plan = pathPlanFor(this.spec, this.schedule, options); // no divergence needed
      input = { points: this.toModel(start) };
    }
    const result = await this.runPlan(plan, input, options);
    return { times: [...plan.snapshotTimes], frames: result.trajectory.map((f) => this.toData(f)) };
  }

  /** The model's velocity field (and DDPM's score) at the points at time t ∈ [0, 1]. */
  async field(points: ArrayLike<number>, t: number): Promise<FieldValues> {
    checkPoints(points);
    checkTime(t);
    if (this.schedule && t === 0) {
      throw new RangeError(
        'The score of a DDPM model is undefined at t = 0 (no noise): ask for t in (0, 1].',
      );
    }
    const field = fieldPlanFor(this.spec, this.schedule, t);
    const x = this.toModel(points);
    const out = (await this.runPlan(field.plan, { points: x }, {})).x;
    return fieldFromOutput(field, !!this.schedule, this.normalization.scale, out, x);
  }

  /** The forward process at time t: data noised with fresh Philox noise (data coordinates). */
  async noised(points: ArrayLike<number>, t: number, seed = 0): Promise<Float32Array> {
    checkPoints(points);
    checkTime(t);
    const [signal, noise] = this.schedule
      ? (() => {
          const alphaBar = alphaBarOfSigmaBar(
            sigmaBarAt(this.schedule!, t * this.schedule!.timesteps - 1),
          );
          return [Math.sqrt(alphaBar), Math.sqrt(1 - alphaBar)];
        })()
      : [1 - t, t];
    const n = points.length / 2;
    const { pool, device, readback, pipelines } = this.runtime;
    const kernel = await pipelines.get(forwardProcessKernel);
    const [lo, hi] = seedKey(seed);
    const words = new Uint32Array([n, lo, hi, 0, 0, 0, 0, 0]);
    new Float32Array(words.buffer).set([signal, noise], 4);
    const uniforms = pool.upload(words, GPUBufferUsage.UNIFORM, 'forward process uniforms');
    const clean = pool.upload(Float32Array.from(this.toModel(points)), STORAGE, 'clean points');
    const out = pool.acquire(n * 8, STORAGE, 'noised points');
    try {
      const encoder = device.createCommandEncoder({ label: 'forward process' });
      const pass = encoder.beginComputePass({ label: 'forward process' });
      kernel.encode(pass, kernel.bind(device, [uniforms.binding, clean.binding, out.binding]), n);
      pass.end();
      device.queue.submit([encoder.finish()]);
      return this.toData(await readback.readFloat32(out.buffer, 0, 2 * n));
    } finally {
      uniforms.dispose();
      clean.dispose();
      out.dispose();
    }
  }

  /**
   * The "is x_T close to N(0, I)?" gauge: an upper bound on KL(q(x_T) ‖ N(0, I)) in nats for
   * data with E‖x₀‖² = secondMoment in model coordinates (2 for normalised data). Flow matching
   * reaches N(0, I) exactly at t = 1: 0.
   */
  terminalKl(secondMoment = 2): number {
    return this.schedule ? terminalKl(this.schedule, secondMoment) : 0;
  }

  async exportParams(which: 'params' | 'ema' = 'params'): Promise<Float32Array> {
    this.ensureOpen();
    const buffer = which === 'ema' && this.ema ? this.ema : this.params;
    return this.runtime.readback.readFloat32(buffer.buffer, 0, this.parameterCount);
  }

  /** Replaces the trained weights ('params') or the sampling weights ('ema'). */
  importParams(values: Float32Array, which: 'params' | 'ema' = 'params'): void {
    this.ensureOpen();
    if (values.length !== this.parameterCount) {
      throw new RangeError(
        `This model has ${this.parameterCount} parameters; got ${values.length} values. ` +
          'Export from a model with the same spec.',
      );
    }
    if (which === 'ema') {
      this.ema ??= this.runtime.pool.acquire(this.parameterCount * 4, STORAGE, 'denoiser EMA');
    }
    const target = which === 'ema' ? this.ema! : this.params;
    this.runtime.device.queue.writeBuffer(
      target.buffer,
      0,
      values.buffer,
      values.byteOffset,
      values.byteLength,
    );
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.params.dispose();
    this.ema?.dispose();
  }

  private async runPlan(plan: Plan, input: PlanInput, options: WeightOptions) {
    const started = performance.now();
    const result = await this.runner.run(plan, this.runOptions(input, options));
    this.record(result.nfe, input, started);
    return result;
  }

  private async runPlanInto(
    plan: Plan,
    input: PlanInput,
    options: WeightOptions,
    targets: PlanTargets,
  ): Promise<void> {
    const started = performance.now();
    const result = await this.runner.runInto(plan, this.runOptions(input, options), targets);
    this.record(result.nfe, input, started);
  }

  private runOptions(input: PlanInput, options: WeightOptions): PlanRunOptions {
    this.ensureOpen();
    const weights = options.weights ?? (this.ema ? 'ema' : 'params');
    if (weights === 'ema' && !this.ema) {
      throw new Error('No EMA weights yet: call useEma(trainer) or importParams(values, "ema").');
    }
    return {
      ...input,
      seed: options.seed ?? this.spec.seed,
      ...(options.fused === true ? { fused: true } : {}),
      params: (weights === 'ema' ? this.ema! : this.params).binding,
      paramOffset: 0,
    };
  }

  /** lastRun; `ms` is wall time to the results (to submission for the ToBuffer calls). */
  private record(nfe: number, input: PlanInput, started: number): void {
    const points = input.count ?? input.points!.length / 2;
    this.lastRun = { nfe, points, ms: performance.now() - started };
  }

  private toModel(points: ArrayLike<number>): Float64Array {
    const { shift, scale } = this.normalization;
    return Float64Array.from(points, (v, i) => (v - shift[i % 2]!) / scale[i % 2]!);
  }

  private toData(points: ArrayLike<number>): Float32Array {
    const { shift, scale } = this.normalization;
    return Float32Array.from(points, (v, i) => v * scale[i % 2]! + shift[i % 2]!);
  }

  private ensureOpen(): void {
    if (this.disposed) throw new Error('This diffusion model was disposed; create a new one.');
  }
}

export const MAX_POINTS = 1 << 22;

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_POINTS) {
    throw new RangeError(
      `The number of samples must be an integer in [1, ${MAX_POINTS}], got ${n}.`,
    );
  }
}

function checkPoints(points: ArrayLike<number>): void {
  if (points.length === 0 || points.length % 2 !== 0 || points.length / 2 > MAX_POINTS) {
    throw new RangeError(
      `Points are flat (x0, y0, x1, y1, …): expected an even length in [2, ${2 * MAX_POINTS}], got ${points.length}.`,
    );
  }
}

function checkTime(t: number): void {
  if (!(t >= 0 && t <= 1)) throw new RangeError(`t must be in [0, 1] (0 data, 1 noise), got ${t}.`);
}

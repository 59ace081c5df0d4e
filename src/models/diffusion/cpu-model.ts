/**
 * A DDPM or flow-matching model on the CPU, for browsers without WebGPU: the GPU model's plans
 * (model-plans.ts) run by the float64 plan twin (reference/plan-runner.ts runPlan) with a batch-wise MLP
 * twin (cpu-denoiser.ts) over imported float32 weights. It samples, traces paths, evaluates the
 * field and log p exactly as DiffusionModel does, with the same Philox noise, and cannot train.
 */
import type { Normalization } from '../../data/normalize';
import { ParameterLayout } from '../../nn/parameters';
import type { EmbeddingShape } from '../../nn/reference/embedding';
import type { MlpShape } from '../../nn/mlp-shape';
import { fastMlpDenoiser } from './cpu-denoiser';
import { addDenoiserParameters, denoiserShape } from './denoiser';
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
import type { Plan } from './plan';
import { initialNoise, runPlan, type CpuDenoiser } from './reference/plan-runner';
import { makeSchedule, type ScheduleTable } from './schedule';
import { resolveDiffusionSpec, type DiffusionModelSpec, type ResolvedDiffusionSpec } from './spec';

/** Most points one CPU call takes (the worker would stall for minutes beyond this). */
export const MAX_CPU_POINTS = 1 << 18;

export class CpuDiffusionModel {
  readonly spec: ResolvedDiffusionSpec;
  readonly schedule: ScheduleTable | undefined;
  readonly layout = new ParameterLayout();
  readonly shape: MlpShape;
  readonly embedding: EmbeddingShape;
  normalization: Normalization = { shift: [0, 0], scale: [1, 1] };
  /** The sampling weights (float32, as exported from the GPU model). */
  private params: Float32Array;
  private net: CpuDenoiser;

  constructor(spec: DiffusionModelSpec) {
    this.spec = resolveDiffusionSpec(spec);
    this.schedule =
      this.spec.kind === 'ddpm'
        ? makeSchedule({ kind: this.spec.schedule, timesteps: this.spec.timesteps })
        : undefined;
    const architecture = architectureOf(this.spec);
    addDenoiserParameters(this.layout, 'denoiser', architecture);
    this.shape = denoiserShape(architecture);
    this.embedding = embeddingOf(this.spec);
    this.params = Float32Array.from(this.layout.initialize(this.spec.seed));
    this.net = this.denoiser();
  }

  get parameterCount(): number {
    return this.layout.total;
  }

  samplePlan(options: SamplerChoice = {}, every?: number): Plan {
    return samplePlanFor(this.spec, this.schedule, options, every);
  }

  /** n samples (data coordinates) from the noise of `seed`: the GPU sampler's points. */
  sample(n: number, options: SamplerChoice & { seed?: number } = {}): Float32Array {
    checkCount(n);
    const seed = options.seed ?? this.spec.seed;
    const result = runPlan(this.samplePlan(options), this.net, initialNoise(seed, n), n, seed);
    return this.toData(result.x);
  }

  /** log p (nats, data coordinates) through the ODE with the exact divergence. */
  logProb(points: ArrayLike<number>, options: { steps?: number } = {}): Float32Array {
    const n = checkPoints(points);
    const plan = likelihoodPlanFor(this.spec, this.schedule, options);
    const { logProb } = runPlan(plan, this.net, this.toModel(points), n);
    const correction = Math.log(this.normalization.scale[0] * this.normalization.scale[1]);
    return Float32Array.from(logProb!, (v) => v - correction);
  }

  /** Paths from the noise of `seed` to samples (a count), or from data points towards the noise. */
  trajectories(
    start: number | ArrayLike<number>,
    options: SamplerChoice & { seed?: number; every?: number } = {},
  ): { times: number[]; frames: Float32Array[] } {
    const seed = options.seed ?? this.spec.seed;
    let plan: Plan;
    let result;
    if (typeof start === 'number') {
      checkCount(start);
      const steps = this.samplePlan(options).stages.filter((s) => s.last).length;
      plan = this.samplePlan(options, options.every ?? Math.max(1, Math.round(steps / 20)));
      result = runPlan(plan, this.net, initialNoise(seed, start), start, seed);
    } else {
      const n = checkPoints(start);
      plan = pathPlanFor(this.spec, this.schedule, options);
      result = runPlan(plan, this.net, this.toModel(start), n, seed);
    }
    return { times: [...plan.snapshotTimes], frames: result.trajectory.map((f) => this.toData(f)) };
  }

  /** The velocity (and DDPM's score) at time t ∈ [0, 1], data coordinates. */
  field(points: ArrayLike<number>, t: number): { velocity: Float32Array; score?: Float32Array } {
    const n = checkPoints(points);
    if (!(t >= 0 && t <= 1) || (this.schedule && t === 0)) {
      throw new RangeError(
        `t must be in ${this.schedule ? '(0, 1] (a DDPM model has no score without noise)' : '[0, 1]'}, got ${t}.`,
      );
    }
    const field = fieldPlanFor(this.spec, this.schedule, t);
    const x = this.toModel(points);
    const out = runPlan(field.plan, this.net, x, n).x;
    return fieldFromOutput(field, !!this.schedule, this.normalization.scale, out, x);
  }

  exportParams(): Float32Array {
    return this.params.slice();
  }

  /** The sampling weights (what the GPU model samples with after an import). */
  importParams(values: Float32Array): void {
    if (values.length !== this.parameterCount) {
      throw new RangeError(
        `This model has ${this.parameterCount} parameters; got ${values.length} values. ` +
          'Export from a model with the same spec.',
      );
    }
    this.params = values.slice();
    this.net = this.denoiser();
  }

  private denoiser(): CpuDenoiser {
    return fastMlpDenoiser(
      this.params,
      0,
      this.shape,
      this.embedding,
      this.spec.architecture === 'resmlp',
    );
  }

  private toModel(points: ArrayLike<number>): Float64Array {
    const { shift, scale } = this.normalization;
    return Float64Array.from(points, (v, i) => (v - shift[i % 2]!) / scale[i % 2]!);
  }

  private toData(points: ArrayLike<number>): Float32Array {
    const { shift, scale } = this.normalization;
    return Float32Array.from(points, (v, i) => v * scale[i % 2]! + shift[i % 2]!);
  }
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_CPU_POINTS) {
    throw new RangeError(
      `The number of samples must be an integer in [1, ${MAX_CPU_POINTS}] on the CPU, got ${n}.`,
    );
  }
}

function checkPoints(points: ArrayLike<number>): number {
  if (points.length === 0 || points.length % 2 !== 0 || points.length / 2 > MAX_CPU_POINTS) {
    throw new RangeError(
      `Points are flat (x0, y0, x1, y1, …): expected an even length in [2, ${2 * MAX_CPU_POINTS}], got ${points.length}.`,
    );
  }
  return points.length / 2;
}

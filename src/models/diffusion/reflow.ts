/**
 * Reflow (Liu et al. 2023, "2-rectified flow"): a trained flow-matching teacher carries N noise
 * draws z to x = ODE_teacher(z) with one of its samplers on the GPU; a student with pairing
 * 'reflow' then regresses the straight velocity z − x on minibatches of these fixed pairs
 * instead of independent (x₀, ε) draws, so its paths are straighter and few-step sampling
 * improves. The pairs stay on the GPU (model coordinates of the teacher) and feed the training
 * chunks through reflow-gather.wgsl.
 */
import { type CompiledKernel, type GpuRuntime, type PooledBuffer, STORAGE_USAGE } from '../../gpu';
import { philox4x32_10, seedKey } from '../../rng/philox';
import { noiseFillKernel, reflowGatherKernel } from './kernels';
import type { DiffusionModel, Normalization } from './model';
import { SAMPLER_STREAM } from './reference/plan-runner';
import { ODE_SOLVERS, type OdeSolverName } from './solvers';
import type { PairSampler } from './training';

const STORAGE = STORAGE_USAGE;

/** Philox stream of the pair indices of reflow batches ('RFLW'). */
export const REFLOW_STREAM = 0x52464c57;
/** Most pairs one bank holds (16 MiB of points). */
export const MAX_REFLOW_PAIRS = 1 << 20;

export interface ReflowPairOptions {
  /** How many (z, x) pairs (1 … MAX_REFLOW_PAIRS). */
  count: number;
  /** The teacher's ODE sampler (default 'rk4'). */
  sampler?: OdeSolverName;
  /** Its steps (default 20 for RK4, else 50). */
  steps?: number;
  /** Seed of z, as in teacher.sample(count, { seed }) (default: the teacher's seed). */
  seed?: number;
}

/** How a bank was made: enough to remake it with teacher.sample(count, { sampler, steps, seed }). */
export interface ReflowSource {
  sampler: OdeSolverName;
  steps: number;
  seed: number;
  /** Network evaluations per pair it took. */
  nfe: number;
}

export class ReflowPairs implements PairSampler {
  readonly kind = 'pairs';
  private disposed = false;

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly count: number,
    /** The teacher's data ↔ model coordinates: the student trains and samples in the same. */
    readonly normalization: Normalization,
    readonly source: ReflowSource,
    private readonly x: PooledBuffer,
    private readonly z: PooledBuffer,
    private readonly gather: CompiledKernel,
  ) {}

  /** Runs the teacher's sampler from `count` noise draws and keeps both ends on the GPU. */
  static async create(
    runtime: GpuRuntime,
    teacher: DiffusionModel,
    options: ReflowPairOptions,
  ): Promise<ReflowPairs> {
    if (teacher.spec.kind !== 'flow-matching') {
      throw new TypeError(
        `Reflow needs a flow-matching teacher (an ODE from noise to data); got a ${teacher.spec.kind} model.`,
      );
    }
    const { count } = options;
    if (!Number.isInteger(count) || count < 1 || count > MAX_REFLOW_PAIRS) {
      throw new RangeError(
        `reflow count must be an integer in [1, ${MAX_REFLOW_PAIRS}], got ${String(count)}.`,
      );
    }
    const sampler = options.sampler ?? 'rk4';
    if (!ODE_SOLVERS.includes(sampler)) {
      throw new RangeError(
        `reflow sampler must be one of ${ODE_SOLVERS.join(', ')}, got ${JSON.stringify(sampler)}.`,
      );
    }
    const steps = options.steps ?? (sampler === 'rk4' ? 20 : 50);
    const seed = options.seed ?? teacher.spec.seed;
    const plan = teacher.samplePlan({ sampler, steps });
    const [fill, gather] = await Promise.all([
      runtime.pipelines.get(noiseFillKernel),
      runtime.pipelines.get(reflowGatherKernel),
    ]);
    const x = runtime.pool.acquire(count * 8, STORAGE, 'reflow pairs x');
    const z = runtime.pool.acquire(count * 8, STORAGE, 'reflow pairs z');
    try {
      await teacher.sampleIntoModelSpace(x.buffer, count, { sampler, steps, seed });
      // z: the sampler's own initial noise (solver-stage.wgsl init_noise; flows start at 1·z).
      const [lo, hi] = seedKey(seed);
      const uniforms = runtime.pool.upload(
        new Uint32Array([count, 1, 0, lo, hi, SAMPLER_STREAM, 0, 0]),
        GPUBufferUsage.UNIFORM,
        'reflow noise uniforms',
      );
      const encoder = runtime.device.createCommandEncoder({ label: 'reflow noise' });
      const pass = encoder.beginComputePass({ label: 'reflow noise' });
      fill.encode(pass, fill.bind(runtime.device, [uniforms.binding, z.binding]), count);
      pass.end();
      runtime.device.queue.submit([encoder.finish()]);
      uniforms.dispose();
    } catch (error) {
      x.dispose();
      z.dispose();
      throw error;
    }
    const { shift, scale } = teacher.normalization;
    const normalization: Normalization = {
      shift: [shift[0], shift[1]],
      scale: [scale[0], scale[1]],
    };
    return new ReflowPairs(
      runtime,
      count,
      normalization,
      { sampler, steps, seed, nfe: plan.nfe },
      x,
      z,
      gather,
    );
  }

  /** One dispatch: `count·batches` pairs drawn with replacement (Philox, REFLOW_STREAM). */
  encodePairs(
    pass: GPUComputePassEncoder,
    x0Target: PooledBuffer,
    noiseTarget: PooledBuffer,
    request: { count: number; batches: number; seed: number; step: number },
  ): PooledBuffer {
    this.ensureOpen();
    const [lo, hi] = seedKey(request.seed);
    const uniforms = this.runtime.pool.upload(
      new Uint32Array([request.count, request.batches, request.step, lo, hi, this.count, 0, 0]),
      GPUBufferUsage.UNIFORM,
      'reflow gather uniforms',
    );
    const group = this.gather.bind(
      this.runtime.device,
      [uniforms.binding, this.x.binding, this.z.binding, x0Target.binding, noiseTarget.binding],
      'reflow gather',
    );
    this.gather.encode(pass, group, request.count * request.batches);
    return uniforms;
  }

  /** The pairs, read back: x (the teacher's samples) and z (their noise), model coordinates. */
  async read(): Promise<{ x: Float32Array; z: Float32Array }> {
    this.ensureOpen();
    const { readback } = this.runtime;
    const [x, z] = await Promise.all([
      readback.readFloat32(this.x.buffer, 0, 2 * this.count),
      readback.readFloat32(this.z.buffer, 0, 2 * this.count),
    ]);
    return { x, z };
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.x.dispose();
    this.z.dispose();
  }

  private ensureOpen(): void {
    if (this.disposed) throw new Error('These reflow pairs were disposed; make new ones.');
  }
}

/** Twin of reflow-gather.wgsl: the pair index of each point of step `step`'s batch. */
export function reflowBatchIndices(
  seed: number,
  step: number,
  batch: number,
  pairs: number,
): Int32Array {
  const key = seedKey(seed);
  return Int32Array.from({ length: batch }, (_, b) => {
    const bits = philox4x32_10([b, step, REFLOW_STREAM, 0], key)[0]!;
    return Math.floor((bits * pairs) / 2 ** 32);
  });
}

/**
 * Sampling plans run with many solver stages per dispatch (shaders/diffusion/fused-sampler.wgsl,
 * issue #19): solver-stage.wgsl's init_noise draws the start, the fused kernel evaluates the
 * denoiser and applies every stage's update in place (Philox noise drawn in the kernel), and
 * solver-stage.wgsl's finish writes the points in data coordinates — 2 + ⌈stages / per
 * dispatch⌉ dispatches instead of 2·NFE + 2, no network buffers in between. The same plan, NFE
 * and noise as the staged path (plan-runner.ts), which remains for likelihoods and trajectories.
 */
import type { CompiledKernel, GpuRuntime, PooledBuffer } from '../../gpu';
import { STORAGE_USAGE } from '../../gpu';
import { seedKey } from '../../rng/philox';
import type { DenoiserNet } from './denoiser';
import type { Plan } from './plan';

/** What a fused run needs from its PlanRunner (its compiled kernels and the plan's records). */
export interface FusedKernels {
  init: CompiledKernel;
  fused: CompiledKernel;
  finish: CompiledKernel;
  /** Samples per invocation of the fused kernel. */
  samples: number;
}

/** Whether a plan can run fused: sampling from noise, no trajectory, a network of ≥ 1 hidden layer. */
export function fusedEligible(plan: Plan, net: DenoiserNet, fromPoints: boolean): boolean {
  return (
    plan.mode === 'sample' &&
    plan.snapshots === 0 &&
    !fromPoints &&
    net.shape.hiddenLayers >= 1 &&
    net.shape.outputs === 2
  );
}

export class FusedRun {
  private readonly owned: PooledBuffer[] = [];
  private readonly uniforms: PooledBuffer;
  private readonly points: PooledBuffer;
  private readonly initGroup: GPUBindGroup;
  private readonly finishGroup: GPUBindGroup;
  /** One bind group (and uniform block) per dispatch: its first stage and stage count. */
  private readonly segments: { group: GPUBindGroup; uniforms: PooledBuffer }[] = [];
  dispatches = 0;

  constructor(
    private readonly runtime: GpuRuntime,
    net: DenoiserNet,
    private readonly plan: Plan,
    records: Uint32Array,
    recordFloats: number,
    private readonly kernels: FusedKernels,
    private readonly chunk: number,
    private readonly seed: number,
    params: GPUBuffer | GPUBufferBinding,
    private readonly paramOffset: number,
  ) {
    const { pool, device } = runtime;
    const own = (buffer: PooledBuffer) => (this.owned.push(buffer), buffer);
    const label = 'fused sampler';
    const storage = STORAGE_USAGE;
    const planBuffer = own(pool.upload(records, GPUBufferUsage.STORAGE, `${label} plan records`));
    const [seedLo, seedHi] = seedKey(seed);
    this.uniforms = own(
      pool.upload(
        new Uint32Array([chunk, 0, seedLo, seedHi]),
        GPUBufferUsage.UNIFORM,
        `${label} uniforms`,
      ),
    );
    const state = own(pool.acquire(chunk * 8 * 4, storage, `${label} state`));
    // init_noise also writes the staged path's network input: it gets a buffer, never read.
    const netIn = own(
      pool.acquire(chunk * net.shape.inputs * 4, storage, `${label} unused network input`),
    );
    // Slots the staged path uses and this one does not (net_out, log_prob, trajectory): each
    // its own small buffer (writable bindings must not alias).
    const spare = [0, 1, 2].map((i) => own(pool.acquire(16, storage, `${label} unused slot ${i}`)));
    this.points = own(pool.acquire(chunk * 8, storage, `${label} points`));
    const header = { buffer: planBuffer.buffer, offset: 0, size: 2 * recordFloats * 4 };
    const stageGroup = (kernel: CompiledKernel, name: string) =>
      kernel.bind(
        device,
        [
          this.uniforms.binding,
          header,
          state.binding,
          spare[0]!.binding,
          netIn.binding,
          this.points.binding,
          spare[1]!.binding,
          spare[2]!.binding,
        ],
        `${label} ${name}`,
      );
    this.initGroup = stageGroup(kernels.init, 'init');
    this.finishGroup = stageGroup(kernels.finish, 'finish');
    // ~2·10⁸ multiply-adds per dispatch on CPU adapters (≈ 0.1 s), far more on GPUs.
    const shape = net.shape;
    const macs =
      2 * shape.hidden + (shape.hiddenLayers - 1) * shape.hidden * shape.hidden + shape.hidden * 2;
    const budget = runtime.context.adapterInfo.isFallback ? 2e8 : 4e9;
    const perDispatch = Math.max(1, Math.floor(budget / (macs * chunk)));
    for (let first = 0; first < plan.stages.length; first += perDispatch) {
      const count = Math.min(perDispatch, plan.stages.length - first);
      const uniforms = own(
        pool.upload(
          new Uint32Array([chunk, 0, seedLo, seedHi, first, count, paramOffset, 0]),
          GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
          `${label} stages ${first}…${first + count - 1}`,
        ),
      );
      const group = kernels.fused.bind(
        device,
        [uniforms.binding, { buffer: planBuffer.buffer }, params, state.binding],
        `${label} stages ${first}…${first + count - 1}`,
      );
      this.segments.push({ group, uniforms });
    }
  }

  /** Samples first … first + n − 1: into `target` (from float 2·first) or read back. */
  async runChunk(
    first: number,
    n: number,
    target: GPUBuffer | undefined,
  ): Promise<Float32Array | undefined> {
    const { device, readback } = this.runtime;
    device.queue.writeBuffer(this.uniforms.buffer, 0, new Uint32Array([n, first]));
    for (const segment of this.segments) {
      device.queue.writeBuffer(segment.uniforms.buffer, 0, new Uint32Array([n, first]));
    }
    const problem = n;
    let encoder = device.createCommandEncoder({ label: 'fused sampler' });
    let pass = encoder.beginComputePass({ label: 'fused sampler' });
    this.kernels.init.encode(pass, this.initGroup, problem);
    this.segments.forEach((segment, i) => {
      if (i > 0) {
        // One budget-sized dispatch per submit keeps a CPU adapter responsive.
        pass.end();
        device.queue.submit([encoder.finish()]);
        encoder = device.createCommandEncoder({ label: 'fused sampler' });
        pass = encoder.beginComputePass({ label: 'fused sampler' });
      }
      this.kernels.fused.encode(pass, segment.group, problem);
    });
    this.kernels.finish.encode(pass, this.finishGroup, problem);
    pass.end();
    if (target) encoder.copyBufferToBuffer(this.points.buffer, 0, target, first * 8, n * 8);
    device.queue.submit([encoder.finish()]);
    this.dispatches = 2 + this.segments.length;
    return target ? undefined : readback.readFloat32(this.points.buffer, 0, 2 * n);
  }

  dispose(): void {
    for (const buffer of this.owned) buffer.dispose();
    this.owned.length = 0;
  }
}

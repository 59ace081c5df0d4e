/**
 * The optimizer on the GPU: clipping, schedule, SGD/Adam/AdamW and EMA over the flat parameter
 * buffer, 2–3 dispatches per step. Twin: src/nn/reference/optimizer.ts.
 */
import optimizerSource from '../../shaders/nn/optimizer.wgsl';
import {
  defineKernel,
  workgroupsFor,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../gpu';
import type { ResolvedOptimizer } from './optimizer-config';
import { TRAIN_STATE_LIBRARY } from './train-state';

const WORKGROUP = 64;
/** Parameters per workgroup of grad_norm_partial (WG × PER_INVOCATION in the WGSL). */
const NORM_SPAN = WORKGROUP * 4;

const spec = (entryPoint: string) =>
  defineKernel<number>({
    name: `nn/optimizer-${entryPoint}`,
    file: 'nn/optimizer.wgsl',
    source: optimizerSource,
    libraries: [TRAIN_STATE_LIBRARY],
    entryPoint,
    bindings: ['uniform', 'storage', 'storage', 'read-only-storage', 'storage', 'storage'],
    workgroupSize: WORKGROUP,
    dispatch: (items, workgroupSize) => workgroupsFor(items, workgroupSize),
  });

const KINDS = { sgd: 0, adam: 1, adamw: 2 } as const;
const SCHEDULES = { constant: 0, cosine: 1, 'robbins-monro': 2 } as const;

/** The 20-word OptimizerConfig uniform. */
export function encodeOptimizerConfig(
  opt: ResolvedOptimizer,
  paramCount: number,
  chunks: number,
  gradStride: number,
): ArrayBuffer {
  const bytes = new ArrayBuffer(20 * 4);
  const u = new Uint32Array(bytes);
  const f = new Float32Array(bytes);
  u[0] = KINDS[opt.kind];
  u[1] = SCHEDULES[opt.schedule.kind];
  u[2] = opt.schedule.warmup;
  u[3] = opt.schedule.totalSteps;
  f[4] = opt.lr;
  f[5] = opt.schedule.lrMin;
  f[6] = opt.schedule.tau;
  f[7] = opt.momentum;
  f[8] = opt.beta1;
  f[9] = opt.beta2;
  f[10] = opt.eps;
  f[11] = opt.weightDecay;
  f[12] = opt.clipNorm;
  f[13] = opt.emaDecay;
  u[14] = paramCount;
  u[15] = chunks;
  u[16] = gradStride;
  u[17] = Math.ceil(paramCount / NORM_SPAN);
  return bytes;
}

export interface OptimizerBuffers {
  params: GPUBuffer;
  grads: GPUBuffer;
  /** 3 × paramCount floats: m, v, EMA. */
  moments: GPUBuffer;
  state: GPUBuffer;
}

export class GpuOptimizer {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly normKernel: CompiledKernel,
    private readonly beginKernel: CompiledKernel,
    private readonly applyKernel: CompiledKernel,
  ) {}

  static async create(runtime: GpuRuntime): Promise<GpuOptimizer> {
    const [norm, begin, apply] = await Promise.all([
      runtime.pipelines.get(spec('grad_norm_partial')),
      runtime.pipelines.get(spec('begin_step')),
      runtime.pipelines.get(spec('apply')),
    ]);
    return new GpuOptimizer(runtime, norm, begin, apply);
  }

  bind(
    buffers: OptimizerBuffers,
    opt: ResolvedOptimizer,
    paramCount: number,
    chunks: number,
    label = 'optimizer',
  ): OptimizerBinding {
    return new OptimizerBinding(this.runtime, buffers, opt, paramCount, chunks, label, {
      norm: this.normKernel,
      begin: this.beginKernel,
      apply: this.applyKernel,
    });
  }
}

export class OptimizerBinding {
  private readonly config: PooledBuffer;
  private readonly normPartials: PooledBuffer;
  private readonly group: GPUBindGroup;

  constructor(
    private readonly runtime: GpuRuntime,
    buffers: OptimizerBuffers,
    private opt: ResolvedOptimizer,
    readonly paramCount: number,
    private chunks: number,
    label: string,
    private readonly kernels: {
      norm: CompiledKernel;
      begin: CompiledKernel;
      apply: CompiledKernel;
    },
  ) {
    this.config = runtime.pool.upload(
      new Uint8Array(encodeOptimizerConfig(opt, paramCount, chunks, paramCount)),
      GPUBufferUsage.UNIFORM,
      `${label} config`,
    );
    this.normPartials = runtime.pool.acquire(
      Math.ceil(paramCount / NORM_SPAN) * 4,
      GPUBufferUsage.STORAGE,
      `${label} norm partials`,
    );
    this.group = kernels.apply.bind(
      runtime.device,
      [
        this.config.binding,
        buffers.state,
        buffers.params,
        buffers.grads,
        buffers.moments,
        this.normPartials.binding,
      ],
      `${label} bind group`,
    );
  }

  get settings(): ResolvedOptimizer {
    return this.opt;
  }

  /** Live change (learning rate, schedule, batch chunks) without touching the training state. */
  update(opt: ResolvedOptimizer, chunks = this.chunks): void {
    this.opt = opt;
    this.chunks = chunks;
    this.runtime.device.queue.writeBuffer(
      this.config.buffer,
      0,
      encodeOptimizerConfig(opt, this.paramCount, chunks, this.paramCount),
    );
  }

  get dispatches(): number {
    return this.opt.clipNorm > 0 ? 3 : 2;
  }

  encode(pass: GPUComputePassEncoder): void {
    if (this.opt.clipNorm > 0) {
      this.kernels.norm.encode(pass, this.group, Math.ceil(this.paramCount / 4));
    }
    this.kernels.begin.encode(pass, this.group, 1);
    this.kernels.apply.encode(pass, this.group, this.paramCount);
  }

  dispose(): void {
    this.config.dispose();
    this.normPartials.dispose();
  }
}

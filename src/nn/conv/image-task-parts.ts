/**
 * What the image training tasks (ConvRegressionTask, UNetDenoiserTask) share: the buffers a task
 * owns and releases together, and the binding of the MSE loss (src/nn/losses.ts) on a batch.
 */
import {
  STORAGE_USAGE,
  type BufferPool,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../../gpu';

type Binding = GPUBuffer | GPUBufferBinding;

/** Philox stream of the synthetic training images (both tasks draw them alike). */
export const IMAGE_STREAM = 0x494d4147;

/** Buffers owned by one task, labelled `${prefix} ${name}`, released by dispose(). */
export class TaskBuffers {
  private readonly owned: PooledBuffer[] = [];

  constructor(
    private readonly pool: BufferPool,
    readonly prefix: string,
  ) {}

  /** `n` floats of storage. */
  floats(n: number, name: string): PooledBuffer {
    return this.keep(this.pool.acquire(4 * n, STORAGE_USAGE, `${this.prefix} ${name}`));
  }

  /** Storage holding `values`. */
  upload(values: Float32Array, name: string): PooledBuffer {
    return this.keep(this.pool.upload(values, STORAGE_USAGE, `${this.prefix} ${name}`));
  }

  /** A uniform buffer of u32 words. */
  uniforms(words: readonly number[], name: string): PooledBuffer {
    const data = new Uint32Array(words);
    return this.keep(this.pool.upload(data, GPUBufferUsage.UNIFORM, `${this.prefix} ${name}`));
  }

  dispose(): void {
    this.owned.forEach((buffer) => buffer.dispose());
    this.owned.length = 0;
  }

  private keep(buffer: PooledBuffer): PooledBuffer {
    this.owned.push(buffer);
    return buffer;
  }
}

/**
 * The MSE kernel's bind group over a batch of `batch` samples of `perSample` values: per-sample
 * loss terms and dL/d(prediction).
 */
export function bindMse(
  runtime: GpuRuntime,
  mse: CompiledKernel,
  buffers: TaskBuffers,
  spec: {
    batch: number;
    perSample: number;
    prediction: Binding;
    target: Binding;
    gradPrediction: Binding;
    terms: Binding;
  },
): GPUBindGroup {
  const uniforms = buffers.uniforms([spec.batch, spec.perSample, 0, 0], 'loss uniforms');
  return mse.bind(
    runtime.device,
    [uniforms.binding, spec.prediction, spec.target, spec.gradPrediction, spec.terms],
    `${buffers.prefix} mse`,
  );
}

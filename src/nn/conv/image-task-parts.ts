/**
 * What the image training tasks (ConvRegressionTask, UNetDenoiserTask, the image models' tasks)
 * share: the buffers a task owns and releases together (zeroed gradient chunks, the batch bank
 * of an image set), and the binding of the MSE loss (src/nn/losses.ts) on a batch.
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

  /** `n` floats of storage (at least 4: an empty binding is invalid). */
  floats(n: number, name: string): PooledBuffer {
    const bytes = 4 * Math.max(4, n);
    return this.keep(this.pool.acquire(bytes, STORAGE_USAGE, `${this.prefix} ${name}`));
  }

  /**
   * `chunks` gradient chunks of `count` floats, zeroed once: layers other than the dense ones
   * write only the first chunk, so the others must hold 0 for the optimizer's sum.
   */
  gradients(chunks: number, count: number): PooledBuffer {
    return this.upload(new Float32Array(Math.max(4, chunks * count)), 'gradients');
  }

  /**
   * The batch bank an image sampler fills at a chunk's start (src/data/images/kernels.ts):
   * `steps` batches of `batch` images of `dims` values, and their 16-byte items.
   */
  batchBank(
    steps: number,
    batch: number,
    dims: number,
  ): { bank: PooledBuffer; items: PooledBuffer } {
    return {
      bank: this.floats(steps * batch * dims, 'batch bank'),
      items: this.floats(steps * batch * 4, 'batch bank items'),
    };
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

/**
 * The nearest training image of each sample (issue #16's "is it memorising?" view): squared L2
 * distance in intensity space between a query image (intensities in [0, 1], as samples leave
 * the models) and every training image at its pixels' bins' centres (v + ½) / 256, searched on
 * the GPU over the whole set (shaders/images/nearest.wgsl; ties go to the lower index). A
 * NearestImageSearch owns the set's packed pixels on the GPU, uploaded once; dispose() frees them.
 * Twin: nearestImagesCpu (float64 brute force).
 */
import nearestSource from '../../shaders/images/nearest.wgsl';
import {
  defineKernel,
  GpuLimitError,
  STORAGE_USAGE,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../gpu';
import type { ImageSet } from '../data/images/image-set';

const nearestKernel = defineKernel<number>({
  name: 'images/nearest',
  file: 'images/nearest.wgsl',
  source: nearestSource,
  entryPoint: 'nearest',
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
  workgroupSize: 64,
  // One workgroup per query image.
  dispatch: (queries) => [queries, 1, 1],
});

/** Most query images of one search (one workgroup each). */
export const MAX_NEAREST_QUERIES = 1024;

/** Per query image: the index of its nearest training image and the L2 distance to it. */
export interface NearestImages {
  index: Uint32Array;
  /** √(Σ (query − training)²) over C·H·W intensities. */
  distance: Float32Array;
}

export class NearestImageSearch {
  private disposed = false;

  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly kernel: CompiledKernel,
    private readonly pixels: PooledBuffer,
    readonly count: number,
    readonly dims: number,
  ) {}

  /** Uploads the set's pixels (packed four to a word) and compiles the kernel (cached). */
  static async create(runtime: GpuRuntime, set: ImageSet): Promise<NearestImageSearch> {
    const dims = set.channels * set.height * set.width;
    const bytes = Math.ceil((set.count * dims) / 4) * 4;
    if (bytes > runtime.device.limits.maxStorageBufferBindingSize) {
      throw new GpuLimitError(
        `The nearest-image search binds the whole set: ${bytes} bytes, more than this device's ` +
          `${runtime.device.limits.maxStorageBufferBindingSize}; search a smaller set.`,
      );
    }
    const padded = new Uint8Array(bytes);
    padded.set(set.pixels.subarray(0, set.count * dims));
    const kernel = await runtime.pipelines.get(nearestKernel);
    const pixels = runtime.pool.upload(padded, STORAGE_USAGE, 'nearest-image training pixels');
    return new NearestImageSearch(runtime, kernel, pixels, set.count, dims);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The nearest training image of each of the query images (n × C·H·W intensities). */
  async search(queries: Float32Array): Promise<NearestImages> {
    if (this.disposed) throw new Error('This nearest-image search was disposed; create another.');
    const n = queries.length / this.dims;
    if (!Number.isInteger(n) || n < 1 || n > MAX_NEAREST_QUERIES) {
      throw new RangeError(
        `search() takes 1 to ${MAX_NEAREST_QUERIES} whole images of ${this.dims} values, got ${queries.length} values.`,
      );
    }
    const { pool, device, readback } = this.runtime;
    const owned: PooledBuffer[] = [];
    try {
      const uniforms = pool.upload(
        new Uint32Array([this.dims, this.count, n, 0]),
        GPUBufferUsage.UNIFORM,
        'nearest-image uniforms',
      );
      owned.push(uniforms);
      const query = pool.upload(queries, STORAGE_USAGE, 'nearest-image queries');
      owned.push(query);
      const result = pool.acquire(
        2 * n * 4,
        STORAGE_USAGE | GPUBufferUsage.COPY_SRC,
        'nearest-image result',
      );
      owned.push(result);
      const group = this.kernel.bind(
        device,
        [uniforms.binding, query.binding, this.pixels.binding, result.binding],
        'nearest image',
      );
      const encoder = device.createCommandEncoder({ label: 'nearest image' });
      const pass = encoder.beginComputePass({ label: 'nearest image' });
      this.kernel.encode(pass, group, n);
      pass.end();
      device.queue.submit([encoder.finish()]);
      const words = new Uint32Array((await readback.readFloat32(result.buffer, 0, 2 * n)).buffer);
      const index = new Uint32Array(n);
      const distance = new Float32Array(n);
      const squared = new Float32Array(words.buffer);
      for (let q = 0; q < n; q++) {
        index[q] = words[2 * q]!;
        distance[q] = Math.sqrt(squared[2 * q + 1]!);
      }
      return { index, distance };
    } finally {
      for (const buffer of owned) buffer.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pixels.dispose();
  }
}

/** Float64 twin: brute force over the set, the lower index on a tie. */
export function nearestImagesCpu(queries: ArrayLike<number>, set: ImageSet) {
  const dims = set.channels * set.height * set.width;
  const n = queries.length / dims;
  const index: number[] = [];
  const distance: number[] = [];
  for (let q = 0; q < n; q++) {
    let best = Infinity;
    let at = -1;
    for (let i = 0; i < set.count; i++) {
      let sum = 0;
      for (let d = 0; d < dims; d++) {
        const e = queries[q * dims + d]! - (set.pixels[i * dims + d]! + 0.5) / 256;
        sum += e * e;
      }
      if (sum < best) {
        best = sum;
        at = i;
      }
    }
    index.push(at);
    distance.push(Math.sqrt(best));
  }
  return { index, distance };
}

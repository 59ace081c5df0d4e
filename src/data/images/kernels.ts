/**
 * The image kernels and their encoders: draw pre-processed training batches from an image set in
 * GPU memory (shaders/data/image-draw.wgsl: draw_pixels writes z, draw_items writes what each
 * item is and its log-det), and map z back to 8-bit pixels (image-inverse.wgsl). A trainer
 * encodes them into its own compute pass; nothing is uploaded per step but a small uniform.
 */
import drawSource from '../../../shaders/data/image-draw.wgsl';
import inverseSource from '../../../shaders/data/image-inverse.wgsl';
import preprocessSource from '../../../shaders/data/image-preprocess.wgsl';
import {
  GpuLimitError,
  defineKernel,
  workgroupsFor,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../../gpu';
import { bindingBytes, bindingOf, u32, type BindingTarget as Target } from '../bindings';
import { PHILOX_LIBRARY } from '../../rng/random-fill';
import { seedKey } from '../../rng/philox';
import { DATA_STREAM } from '../draws';
import type { ImageDrawRequest } from './draw';
import { transformId, type ImagePreprocess } from './preprocess';

const PREPROCESS_LIBRARY = {
  file: 'data/image-preprocess.wgsl',
  source: preprocessSource,
} as const;

const DRAW_BINDINGS = [
  'uniform',
  'read-only-storage',
  'read-only-storage',
  'storage',
  'storage',
] as const;

export const IMAGE_DRAW_PIXELS_KERNEL = defineKernel<number>({
  name: 'data/image-draw-pixels',
  file: 'data/image-draw.wgsl',
  source: drawSource,
  libraries: [PHILOX_LIBRARY, PREPROCESS_LIBRARY],
  entryPoint: 'draw_pixels',
  bindings: DRAW_BINDINGS,
  workgroupSize: 64,
  dispatch: (values, workgroupSize) => workgroupsFor(values, workgroupSize),
});

export const IMAGE_DRAW_ITEMS_KERNEL = defineKernel<number>({
  name: 'data/image-draw-items',
  file: 'data/image-draw.wgsl',
  source: drawSource,
  libraries: [PHILOX_LIBRARY, PREPROCESS_LIBRARY],
  entryPoint: 'draw_items',
  bindings: DRAW_BINDINGS,
  workgroupSize: 64,
  dispatch: (items, workgroupSize) => workgroupsFor(items, workgroupSize),
});

export const IMAGE_INVERSE_KERNEL = defineKernel<number>({
  name: 'data/image-inverse',
  file: 'data/image-inverse.wgsl',
  source: inverseSource,
  libraries: [PREPROCESS_LIBRARY],
  entryPoint: 'to_bytes',
  bindings: ['uniform', 'read-only-storage', 'storage'],
  workgroupSize: 64,
  // One invocation per word of 4 pixels.
  dispatch: (pixels, workgroupSize) => workgroupsFor(Math.ceil(pixels / 4), workgroupSize),
});

/** Bytes of the draw kernels' uniform block: 5 vec4. */
const DRAW_PARAMS_BYTES = 80;

/** The shape of the set on the GPU that a sampler draws from. */
export interface ImageSetLayout {
  count: number;
  channels: number;
  height: number;
  width: number;
}

/**
 * Encodes batch draws from one image set in GPU memory; owned by an ImageDataset (dispose the
 * dataset). `pixels` and `labels` are the set's bytes packed 4 per word.
 */
export class ImageSampler {
  constructor(
    private readonly runtime: GpuRuntime,
    private readonly pixelsKernel: CompiledKernel<number>,
    private readonly itemsKernel: CompiledKernel<number>,
    readonly layout: ImageSetLayout,
    private readonly pixels: PooledBuffer,
    private readonly labels: PooledBuffer,
  ) {}

  /** Values per image (channels × height × width). */
  get dims(): number {
    return this.layout.channels * this.layout.height * this.layout.width;
  }

  /**
   * Records two dispatches: z (f32, count·batches·D values from item `offset` on) into `z` and
   * (image, flip, label, log|det| as f32 bits) per item into `items` (vec4<u32>). Returns the
   * uniform buffer: dispose it after submitting the pass.
   */
  encode(
    pass: GPUComputePassEncoder,
    z: Target,
    items: Target,
    preprocess: ImagePreprocess,
    request: ImageDrawRequest,
  ): PooledBuffer {
    if (this.pixels.disposed) {
      throw new Error(
        'This image sampler belongs to a disposed dataset; get a new one from a live dataset.',
      );
    }
    const count = u32(request.count, 'count');
    const batches = u32(request.batches ?? 1, 'batches');
    const offset = u32(request.offset ?? 0, 'offset');
    const total = count * batches;
    if (total < 1) throw new RangeError('An image draw needs count ≥ 1 and batches ≥ 1.');
    const dims = this.dims;
    const zBinding = bindingOf(z);
    const itemsBinding = bindingOf(items);
    const zNeeded = (offset + total) * dims * 4;
    const itemsNeeded = (offset + total) * 16;
    if (bindingBytes(zBinding) < zNeeded || bindingBytes(itemsBinding) < itemsNeeded) {
      throw new GpuLimitError(
        `Drawing ${total} images of ${dims} values from item ${offset} needs ${zNeeded} bytes of z ` +
          `and ${itemsNeeded} of items; the targets hold ${bindingBytes(zBinding)} and ${bindingBytes(itemsBinding)}.`,
      );
    }
    const sequential = request.order === 'sequential';
    const [seedLo, seedHi] = seedKey(request.seed);
    const words = new Uint32Array(DRAW_PARAMS_BYTES / 4);
    words.set([
      seedLo,
      seedHi,
      u32(request.stream ?? DATA_STREAM, 'stream'),
      u32(request.step ?? 0, 'step'),
      count,
      batches,
      this.layout.count,
      dims,
      this.layout.width,
      transformId(preprocess.transform),
      preprocess.dequantize ? 1 : 0,
      request.flips === true ? 1 : 0,
      sequential ? 1 : 0,
      u32(request.first ?? 0, 'first'),
      offset,
      0,
    ]);
    new Float32Array(words.buffer).set([preprocess.alpha], 16);
    const params = this.runtime.pool.upload(
      words,
      GPUBufferUsage.UNIFORM,
      'data/image-draw params',
    );
    const resources = [
      params.binding,
      this.pixels.binding,
      this.labels.binding,
      zBinding,
      itemsBinding,
    ];
    const device = this.runtime.device;
    this.pixelsKernel.encode(pass, this.pixelsKernel.bind(device, resources), total * dims);
    this.itemsKernel.encode(pass, this.itemsKernel.bind(device, resources), total);
    return params;
  }
}

/** Encodes z → 8-bit pixels (the inverse of pre-processing). */
export class ImageInverse {
  constructor(
    private readonly runtime: GpuRuntime,
    readonly kernel: CompiledKernel<number>,
  ) {}

  /**
   * Records out = the 8-bit pixels (packed 4 per u32) of `values` f32 values of z. Returns the
   * uniform buffer: dispose it after submitting.
   */
  encode(
    pass: GPUComputePassEncoder,
    z: Target,
    out: Target,
    values: number,
    preprocess: ImagePreprocess,
  ): PooledBuffer {
    u32(values, 'values');
    const input = bindingOf(z);
    const output = bindingOf(out);
    if (bindingBytes(input) < values * 4 || bindingBytes(output) < Math.ceil(values / 4) * 4) {
      throw new GpuLimitError(
        `The inverse of ${values} values needs ${values * 4} input and ${Math.ceil(values / 4) * 4} ` +
          `output bytes, got ${bindingBytes(input)} and ${bindingBytes(output)}.`,
      );
    }
    const words = new Uint32Array(8);
    words.set([values, transformId(preprocess.transform)]);
    new Float32Array(words.buffer).set([preprocess.alpha], 4);
    const params = this.runtime.pool.upload(
      words,
      GPUBufferUsage.UNIFORM,
      'data/image-inverse params',
    );
    this.kernel.encode(
      pass,
      this.kernel.bind(this.runtime.device, [params.binding, input, output]),
      values,
    );
    return params;
  }
}

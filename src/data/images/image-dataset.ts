// Over 400 lines on purpose: one image dataset: assets, pre-processing and GPU draws share one layout.
/**
 * An image dataset bound to a GPU runtime: lab.dataset({ name: 'mnist' | 'fashion-mnist', size,
 * classes?, split? }) or lab.dataset({ images }). A shipped set's pixels are fetched the first
 * time they are needed (load(), sample(), sampler()), with progress; then the set lives in GPU
 * memory, where trainers draw pre-processed batches with Philox (ImageSampler) and never upload
 * per step.
 */
import { GpuLimitError, type GpuRuntime, type PooledBuffer } from '../../gpu';
import { DatasetSpecError } from '../errors';
import { checkSeed } from '../spec';
import {
  IMAGE_CLASS_NAMES,
  IMAGE_DATASET_NAMES,
  IMAGE_DATASET_SIZES,
  loadImageAsset,
  type ImageDatasetName,
  type ImageDatasetSize,
  type ImageLoadOptions,
} from './assets';
import { drawImagesCpu, type ImageDrawRequest } from './draw';
import { checkImageSet, selectImages, type ImageSet } from './image-set';
import {
  IMAGE_DRAW_ITEMS_KERNEL,
  IMAGE_DRAW_PIXELS_KERNEL,
  IMAGE_INVERSE_KERNEL,
  ImageInverse,
  ImageSampler,
} from './kernels';
import { preprocessInverse, resolvePreprocess } from './preprocess';

export const IMAGE_SPLITS = ['train', 'test', 'all'] as const;
export type ImageSplit = (typeof IMAGE_SPLITS)[number];

interface CommonImageSpec {
  /** Default Philox seed of sample() and of trainers: an integer in [0, 2^53). Default 0. */
  seed?: number;
  /** Mirror drawn images left–right with probability ½ (for clothing, not digits). Default false. */
  flips?: boolean;
}

export interface ShippedImageDatasetSpec extends CommonImageSpec {
  name: ImageDatasetName;
  /** 28 (the originals) or 14 (2×2 box-downsampled). Default 28. */
  size?: ImageDatasetSize;
  /** Keep only these class labels (0…9). Default all ten. */
  classes?: readonly number[];
  /** 'train' (default), the held-out 'test' split, or 'all'. */
  split?: ImageSplit;
}

export interface CustomImageDatasetSpec extends CommonImageSpec {
  images: ImageSet;
}

export type ImageDatasetSpec = ShippedImageDatasetSpec | CustomImageDatasetSpec;

/** Images drawn by sample(): pixels (n × C × H × W bytes) and what each one is. */
export interface ImageBatch {
  count: number;
  /** [channels, height, width] of each image. */
  shape: [number, number, number];
  pixels: Uint8Array;
  /** The image of the set each item is (its index after the class and split selection). */
  images: Uint32Array;
  /** 1 where the item was mirrored. */
  flips: Uint8Array;
  /** Class labels (0 for a set without labels). */
  labels: Uint8Array;
}

export interface ImageSampleOptions {
  /** Philox seed; default the spec's seed. */
  seed?: number;
  /** Counter step. Default 0. */
  step?: number;
  /** Default the spec's flips. */
  flips?: boolean;
}

const SHIPPED_FIELDS = ['name', 'size', 'classes', 'split', 'seed', 'flips'];
const CUSTOM_FIELDS = ['images', 'seed', 'flips'];

/** Whether a spec describes an image dataset (a shipped image set's name, or images). */
export function isImageDatasetSpec(spec: unknown): spec is ImageDatasetSpec {
  if (spec === null || typeof spec !== 'object') return false;
  const s = spec as Record<string, unknown>;
  return s.images !== undefined || IMAGE_DATASET_NAMES.includes(s.name as ImageDatasetName);
}

interface ResolvedImageSpec {
  seed: number;
  flips: boolean;
  shape: [number, number, number];
  /** The label of the set (for messages and buffer labels). */
  title: string;
}

function resolveImageSpec(spec: ImageDatasetSpec): ResolvedImageSpec {
  const s = spec as unknown as Record<string, unknown>;
  const custom = s.images !== undefined;
  const allowed = custom ? CUSTOM_FIELDS : SHIPPED_FIELDS;
  for (const key of Object.keys(s)) {
    if (!allowed.includes(key) && s[key] !== undefined) {
      throw new DatasetSpecError(
        key,
        `Unknown field '${key}' in an image dataset spec; allowed fields: ${allowed.join(', ')}.`,
      );
    }
  }
  const seed = s.seed === undefined ? 0 : checkSeed(s.seed);
  if (s.flips !== undefined && typeof s.flips !== 'boolean') {
    throw new DatasetSpecError(
      'flips',
      `flips must be true or false, got ${JSON.stringify(s.flips)}.`,
    );
  }
  const flips = s.flips === true;
  if (custom) {
    const set = checkImageSet(s.images);
    return { seed, flips, shape: [set.channels, set.height, set.width], title: 'images' };
  }
  const size = s.size ?? 28;
  if (!IMAGE_DATASET_SIZES.includes(size as ImageDatasetSize)) {
    throw new DatasetSpecError(
      'size',
      `size must be ${IMAGE_DATASET_SIZES.join(' or ')} (pixels a side), got ${JSON.stringify(size)}.`,
    );
  }
  const split = s.split ?? 'train';
  if (!IMAGE_SPLITS.includes(split as ImageSplit)) {
    throw new DatasetSpecError(
      'split',
      `split must be one of ${IMAGE_SPLITS.map((x) => `'${x}'`).join(', ')}, got ${JSON.stringify(split)}.`,
    );
  }
  if (s.classes !== undefined) {
    const classes = s.classes;
    const names = IMAGE_CLASS_NAMES[s.name as ImageDatasetName];
    if (
      !Array.isArray(classes) ||
      classes.length === 0 ||
      classes.some((c) => !Number.isInteger(c) || c < 0 || c >= names.length) ||
      new Set(classes).size !== classes.length
    ) {
      throw new DatasetSpecError(
        'classes',
        `classes must be a non-empty list of distinct labels 0…${names.length - 1} ` +
          `(${names.map((n, i) => `${i}: ${n}`).join(', ')}), got ${JSON.stringify(classes)}.`,
      );
    }
  }
  return {
    seed,
    flips,
    shape: [1, size as number, size as number],
    title: `${s.name as string}-${size as number}`,
  };
}

interface GpuParts {
  sampler: ImageSampler;
  inverse: ImageInverse;
  buffers: PooledBuffer[];
}

/** Bytes packed 4 per u32 word (zero-padded), as the kernels read them. */
function packed(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(16, Math.ceil(bytes.length / 4) * 4));
  out.set(bytes);
  return out;
}

function checkCount(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 1 << 20) {
    throw new RangeError(`The sample size must be an integer in [1, ${1 << 20}], got ${n}.`);
  }
  return n;
}

export class ImageDataset {
  readonly spec: ImageDatasetSpec;
  /** [channels, height, width] of every image. */
  readonly shape: [number, number, number];
  /** The default Philox seed. */
  readonly seed: number;
  /** Whether draws mirror images left–right at random by default. */
  readonly flips: boolean;
  private images: Promise<ImageSet> | undefined;
  private loadedSet: ImageSet | undefined;
  private gpu: Promise<GpuParts> | undefined;
  private ready: GpuParts | undefined;
  private disposed = false;

  constructor(
    private readonly runtime: GpuRuntime,
    spec: ImageDatasetSpec,
    private readonly loadOptions: ImageLoadOptions = {},
  ) {
    const resolved = resolveImageSpec(spec);
    this.spec = spec;
    this.shape = resolved.shape;
    this.seed = resolved.seed;
    this.flips = resolved.flips;
    this.name = resolved.title;
  }

  /** 'mnist-28', 'fashion-mnist-14', … or 'images' for a user's set. */
  readonly name: string;

  /** Values per image: channels × height × width. */
  get dims(): number {
    return this.shape[0] * this.shape[1] * this.shape[2];
  }

  /** The number of images, once loaded (undefined before). */
  get count(): number | undefined {
    return this.loadedSet?.count;
  }

  /**
   * The set in memory (after the class and split selection). A shipped set is downloaded on the
   * first call (progress through the onProgress given to lab.dataset); later calls share it.
   */
  load(): Promise<ImageSet> {
    if (this.disposed) return Promise.reject(new Error(`Dataset '${this.name}' was disposed.`));
    this.images ??= this.fetchImages().then(
      (set) => (this.loadedSet = set),
      (error: unknown) => {
        this.images = undefined;
        throw error;
      },
    );
    return this.images;
  }

  /** The sampler for trainers: encode pre-processed batches into your own pass. */
  async sampler(): Promise<ImageSampler> {
    return (await this.parts()).sampler;
  }

  /** The encoder of z → 8-bit pixels. */
  async inverse(): Promise<ImageInverse> {
    return (await this.parts()).inverse;
  }

  /**
   * n images drawn uniformly with replacement on the GPU (Philox; flips as the spec says unless
   * options.flips), read back as 8-bit pixels with what each item is.
   */
  async sample(n: number, options: ImageSampleOptions = {}): Promise<ImageBatch> {
    checkCount(n);
    const seed = checkSeed(options.seed ?? this.seed, 'seed');
    const { sampler, inverse } = await this.parts();
    const { device, pool, readback } = this.runtime;
    const dims = this.dims;
    const maxBinding = device.limits.maxStorageBufferBindingSize;
    if (n * dims * 4 > maxBinding) {
      throw new GpuLimitError(
        `sample(${n}) of ${this.shape.join('×')} images needs ${n * dims * 4} bytes of GPU memory in ` +
          `one binding; this GPU binds at most ${maxBinding}. Sample at most ` +
          `${Math.floor(maxBinding / (dims * 4))} images per call.`,
      );
    }
    const preprocess = resolvePreprocess({ transform: 'pixels', dequantize: false });
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
    const z = pool.acquire(n * dims * 4, GPUBufferUsage.STORAGE, `${this.name} sample z`);
    const items = pool.acquire(n * 16, usage, `${this.name} sample items`);
    const bytes = pool.acquire(Math.ceil((n * dims) / 4) * 4, usage, `${this.name} sample pixels`);
    try {
      const encoder = device.createCommandEncoder({ label: `sample ${this.name}` });
      const pass = encoder.beginComputePass({ label: `sample ${this.name}` });
      const p1 = sampler.encode(pass, z, items, preprocess, {
        count: n,
        seed,
        step: options.step ?? 0,
        flips: options.flips ?? this.flips,
      });
      const p2 = inverse.encode(pass, z, bytes, n * dims, preprocess);
      pass.end();
      device.queue.submit([encoder.finish()]);
      p1.dispose();
      p2.dispose();
      const [pixelWords, itemWords] = await Promise.all([
        readback.readUint32(bytes.buffer, 0, Math.ceil((n * dims) / 4)),
        readback.readUint32(items.buffer, 0, 4 * n),
      ]);
      const batch = this.emptyBatch(n);
      batch.pixels.set(new Uint8Array(pixelWords.buffer, pixelWords.byteOffset, n * dims));
      for (let i = 0; i < n; i++) {
        batch.images[i] = itemWords[4 * i]!;
        batch.flips[i] = itemWords[4 * i + 1]!;
        batch.labels[i] = itemWords[4 * i + 2]!;
      }
      return batch;
    } finally {
      z.dispose();
      items.dispose();
      bytes.dispose();
    }
  }

  /** The CPU twin of sample(): the same images, flips and pixels. */
  async sampleCpu(n: number, options: ImageSampleOptions = {}): Promise<ImageBatch> {
    checkCount(n);
    const seed = checkSeed(options.seed ?? this.seed, 'seed');
    const set = await this.load();
    const preprocess = resolvePreprocess({ transform: 'pixels', dequantize: false });
    const request: ImageDrawRequest = {
      count: n,
      seed,
      step: options.step ?? 0,
      flips: options.flips ?? this.flips,
    };
    const { z, items } = drawImagesCpu(set, preprocess, request);
    const batch = this.emptyBatch(n);
    for (let i = 0; i < z.length; i++) batch.pixels[i] = preprocessInverse(z[i]!, preprocess);
    batch.images.set(items.images);
    batch.flips.set(items.flips);
    batch.labels.set(items.labels);
    return batch;
  }

  /** Releases the GPU copy of the set. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.gpu = undefined;
    this.ready?.buffers.forEach((buffer) => buffer.dispose());
    this.ready = undefined;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private emptyBatch(n: number): ImageBatch {
    return {
      count: n,
      shape: [...this.shape],
      pixels: new Uint8Array(n * this.dims),
      images: new Uint32Array(n),
      flips: new Uint8Array(n),
      labels: new Uint8Array(n),
    };
  }

  private async fetchImages(): Promise<ImageSet> {
    const s = this.spec;
    if ('images' in s) return s.images;
    const asset = await loadImageAsset(s.name, s.size ?? 28, this.loadOptions);
    const split = s.split ?? 'train';
    const classes = s.classes ? new Set(s.classes) : undefined;
    const labels = asset.set.labels;
    const set = selectImages(
      asset.set,
      (i) =>
        (split === 'all' || (split === 'train') === i < asset.train) &&
        (!classes || classes.has(labels[i]!)),
    );
    if (set.count < 2) {
      throw new DatasetSpecError(
        'classes',
        `The ${split} split of ${this.name} has ${set.count} image(s) of classes ${JSON.stringify(s.classes)}; ` +
          'a dataset needs at least 2.',
      );
    }
    return set;
  }

  private parts(): Promise<GpuParts> {
    if (this.disposed) return Promise.reject(new Error(`Dataset '${this.name}' was disposed.`));
    this.gpu ??= this.createParts().catch((error: unknown) => {
      this.gpu = undefined;
      throw error;
    });
    return this.gpu;
  }

  private async createParts(): Promise<GpuParts> {
    const { pipelines, pool } = this.runtime;
    const [set, pixelsKernel, itemsKernel, inverseKernel] = await Promise.all([
      this.load(),
      pipelines.get(IMAGE_DRAW_PIXELS_KERNEL),
      pipelines.get(IMAGE_DRAW_ITEMS_KERNEL),
      pipelines.get(IMAGE_INVERSE_KERNEL),
    ]);
    if (this.disposed) throw new Error(`Dataset '${this.name}' was disposed.`);
    const maxBinding = this.runtime.device.limits.maxStorageBufferBindingSize;
    if (set.pixels.length > maxBinding) {
      throw new GpuLimitError(
        `The ${this.name} pixels need ${set.pixels.length} bytes; this GPU binds at most ${maxBinding}. ` +
          'Use size 14, fewer classes or a smaller split.',
      );
    }
    const pixels = pool.upload(packed(set.pixels), GPUBufferUsage.STORAGE, `${this.name} pixels`);
    const labels = pool.upload(
      packed(set.labels ?? new Uint8Array(set.count)),
      GPUBufferUsage.STORAGE,
      `${this.name} labels`,
    );
    const layout = {
      count: set.count,
      channels: set.channels,
      height: set.height,
      width: set.width,
    };
    this.ready = {
      sampler: new ImageSampler(this.runtime, pixelsKernel, itemsKernel, layout, pixels, labels),
      inverse: new ImageInverse(this.runtime, inverseKernel),
      buffers: [pixels, labels],
    };
    return this.ready;
  }
}

/**
 * Image models behind lab.createModel({ family: 'image-flow', … }): LabImageModel, the public
 * face of a model of [channels, height, width] images, and NICE (Dinh et al. 2014) as its
 * first kind. Images cross the API as Float32Array intensities y ∈ [0, 1] (y = v / 256 for the
 * dequantized 8-bit pixel v, the 'unit' pre-processing) or as 8-bit pixels (Uint8Array);
 * likelihoods are on the 8-bit pixel scale, comparable with the literature.
 */
import type { GpuRuntime } from '../gpu';
import { ImageDataset } from '../data/images';
import { imageNoise, resolvePreprocess } from '../data/images/preprocess';
import { ModelSpecError } from '../models/flows/flow-spec';
import { INFERENCE_ROWS, NiceModel } from '../models/image-flows/nice-model';
import { niceBankBytesPerSample, NiceTrainingTask } from '../models/image-flows/nice-training';
import {
  multiscalePlan,
  resolveMultiscaleSpec,
  type MultiscaleImageSpec,
  type ResolvedMultiscaleSpec,
} from '../models/image-flows/multiscale-spec';
import {
  resolveNiceSpec,
  type NiceModelSpec,
  type ResolvedNiceSpec,
} from '../models/image-flows/nice-spec';
import type { TrainingTask } from '../nn/trainer';
import { philox4x32_10, seedKey } from '../rng/philox';
import type { TrainingTaskOptions } from './models';
import type { TrainableModel } from './training';

/** An image-flow spec: NICE, RealNVP (multi-scale) or Glow. */
export type ImageModelSpec = NiceModelSpec | MultiscaleImageSpec;
/** An image-flow spec with every default filled in. */
export type ResolvedImageModelSpec = ResolvedNiceSpec | ResolvedMultiscaleSpec;
const IMAGE_FLOW_KINDS = ['nice', 'realnvp', 'glow'];

export interface ImageModelSampleOptions {
  /** Philox seed of the prior draws; default the model's seed. */
  seed?: number;
  /** z = temperature · ε, ε from the prior (default 1; 0 gives the image of z = 0). */
  temperature?: number;
}

export interface BitsPerDimOptions {
  /** Images to evaluate (default: all of a dataset up to 1,000, or every given image). */
  count?: number;
  /** Seed of the dequantization noise (default 0). */
  seed?: number;
}

export interface BitsPerDimEstimate {
  /** Mean negative log-likelihood in bits per dimension on the 8-bit pixels. */
  mean: number;
  /** Standard error of the mean over the images (sample standard deviation / √count). */
  standardError: number;
  count: number;
}

/** What every image model of the lab provides. */
export interface LabImageModel extends TrainableModel<ImageDataset> {
  readonly spec: Readonly<ResolvedImageModelSpec>;
  /** [channels, height, width]. */
  readonly shape: readonly [number, number, number];
  readonly parameterCount: number;
  /**
   * [channels, height, width] of each latent, in the order forward() concatenates them per image:
   * NICE has one (the image's shape); RealNVP and Glow one per factored-out half, then the last
   * map (the per-scale latents a view shows).
   */
  readonly latentShapes: readonly (readonly [number, number, number])[];
  /** n images as intensities in [0, 1] (n × C × H × W values). */
  sample(n: number, options?: ImageModelSampleOptions): Promise<Float32Array>;
  /** z = f(y) of images given as intensities y (n × C × H × W values). */
  forward(images: Float32Array): Promise<Float32Array>;
  /** y = f⁻¹(z): the exact inverse of forward (not clamped). */
  inverse(z: Float32Array): Promise<Float32Array>;
  /**
   * log p of each image in nats on the 8-bit pixel scale (the density of v = 256 y): intensities
   * y, or 8-bit pixels (taken at their bins' centres, v = pixel + ½).
   */
  logProb(images: Float32Array | Uint8Array): Promise<Float64Array>;
  /** Held-out negative log-likelihood in bits/dim with uniform dequantization noise. */
  bitsPerDim(
    data: ImageDataset | Uint8Array,
    options?: BitsPerDimOptions,
  ): Promise<BitsPerDimEstimate>;
  exportParams(): Promise<Float32Array>;
  importParams(values: Float32Array): void;
  readonly isDisposed: boolean;
  dispose(): void;
}

/** Philox stream of bitsPerDim's dequantization noise on given pixels ("DEQU"). */
const DEQUANTIZE_STREAM = 0x44455155;
const DEFAULT_EVALUATION_COUNT = 1000;
const LN_256 = Math.log(256);

export function checkSeed(seed: unknown, field: string): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`${field} must be an integer in [0, 2^53), got ${String(seed)}.`);
  }
  return seed;
}

/** Throws ModelSpecError unless the dataset's images have the model's shape. */
export function checkImageShape(
  model: { readonly shape: readonly [number, number, number] },
  data: ImageDataset,
): void {
  const [c, h, w] = model.shape;
  const [dc, dh, dw] = data.shape;
  if (c !== dc || h !== dh || w !== dw) {
    throw new ModelSpecError(
      'shape',
      `The model's shape [${model.shape.join(', ')}] (channels, height, width) does not match ` +
        `the dataset '${data.name}' of shape [${data.shape.join(', ')}]; create the model with ` +
        'shape: dataset.shape.',
    );
  }
}

function meanAndError(bits: ArrayLike<number>): BitsPerDimEstimate {
  const n = bits.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += bits[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (bits[i]! - mean) ** 2;
  const standardError = n > 1 ? Math.sqrt(squares / (n - 1) / n) : NaN;
  return { mean, standardError, count: n };
}

/** An image flow (NICE, RealNVP or Glow) as a lab image model. */
export class LabNice implements LabImageModel {
  readonly trainingBytesPerSample: number;
  /** The data pipeline of the paper: uniform dequantization, then scaling to [0, 1). */
  private readonly preprocess = resolvePreprocess({ transform: 'unit', dequantize: true });

  private constructor(private readonly model: NiceModel) {
    this.trainingBytesPerSample = niceBankBytesPerSample(model.dims);
  }

  static async create(runtime: GpuRuntime, spec: ImageModelSpec): Promise<LabNice> {
    const kind = (spec as { kind?: unknown }).kind;
    if (kind === 'realnvp' || kind === 'glow') {
      return new LabNice(
        await NiceModel.createMultiscale(
          runtime,
          resolveMultiscaleSpec(spec as MultiscaleImageSpec),
        ),
      );
    }
    if (kind !== 'nice') {
      throw new ModelSpecError(
        'kind',
        `model.kind of an image flow must be one of ${IMAGE_FLOW_KINDS.map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(kind)}.`,
      );
    }
    return new LabNice(await NiceModel.create(runtime, resolveNiceSpec(spec as NiceModelSpec)));
  }

  get spec(): Readonly<ResolvedImageModelSpec> {
    return this.model.spec;
  }

  get shape(): readonly [number, number, number] {
    return this.model.spec.shape;
  }

  get parameterCount(): number {
    return this.model.parameterCount;
  }

  get latentShapes(): readonly (readonly [number, number, number])[] {
    const spec = this.model.spec;
    if (spec.kind === 'nice') return [spec.shape];
    return multiscalePlan(spec).latents.map((s) => [s.channels, s.height, s.width] as const);
  }

  get isDisposed(): boolean {
    return this.model.isDisposed;
  }

  async sample(n: number, options: ImageModelSampleOptions = {}): Promise<Float32Array> {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`sample(n) needs a positive integer number of images, got ${n}.`);
    }
    const seed = checkSeed(options.seed ?? this.spec.seed, 'seed');
    const temperature = options.temperature ?? 1;
    if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) {
      throw new RangeError(
        `sample() temperature must be a finite number ≥ 0 (1: the model; 0: the image of z = 0), got ${String(temperature)}.`,
      );
    }
    const rows = await this.model.sample(n, seed, temperature);
    // The inverse of 'unit' pre-processing is y itself; the pixel range is [0, 1].
    for (let i = 0; i < rows.length; i++) rows[i] = Math.min(1, Math.max(0, rows[i]!));
    return rows;
  }

  async forward(images: Float32Array): Promise<Float32Array> {
    return (await this.model.forward(images)).z;
  }

  inverse(z: Float32Array): Promise<Float32Array> {
    return this.model.inverse(z);
  }

  async logProb(images: Float32Array | Uint8Array): Promise<Float64Array> {
    const rows = images instanceof Uint8Array ? binCentres(images) : images;
    return (await this.model.forward(rows, -this.model.dims * LN_256)).logProb;
  }

  async bitsPerDim(
    data: ImageDataset | Uint8Array,
    options: BitsPerDimOptions = {},
  ): Promise<BitsPerDimEstimate> {
    const seed = checkSeed(options.seed ?? 0, 'seed');
    const dims = this.model.dims;
    const toBits = (logProb: number) => -logProb / (dims * Math.LN2);
    if (data instanceof ImageDataset) {
      checkImageShape(this, data);
      const set = await data.load();
      const count = evaluationCount(options.count, set.count);
      const sampler = await data.sampler();
      const bits = new Float64Array(count);
      for (let start = 0, step = 0; start < count; start += INFERENCE_ROWS, step++) {
        const logProb = await this.model.logProbOfDraws(sampler, this.preprocess, {
          first: start,
          count: Math.min(INFERENCE_ROWS, count - start),
          seed,
          step,
        });
        logProb.forEach((lp, i) => (bits[start + i] = toBits(lp)));
      }
      return meanAndError(bits);
    }
    checkPixelImages(this.shape, data);
    const count = evaluationCount(options.count, data.length / dims);
    const rows = dequantize(data.subarray(0, count * dims), seed);
    const { logProb } = await this.model.forward(rows, -dims * LN_256);
    return meanAndError(Array.from(logProb, toBits));
  }

  exportParams(): Promise<Float32Array> {
    return this.model.exportParams();
  }

  importParams(values: Float32Array): void {
    this.model.importParams(values);
  }

  async createTrainingTask(
    data: ImageDataset,
    options: TrainingTaskOptions,
    state: GPUBuffer,
  ): Promise<TrainingTask> {
    checkImageShape(this, data);
    return NiceTrainingTask.create(
      this.model.runtime,
      this.model,
      await data.sampler(),
      { ...options, preprocess: this.preprocess, flips: data.flips },
      state,
    );
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** The images bitsPerDim() evaluates: `requested`, by default up to `most`, of those available. */
export function evaluationCount(
  requested: number | undefined,
  available: number,
  most = DEFAULT_EVALUATION_COUNT,
): number {
  const count = requested ?? Math.min(available, most);
  if (!Number.isInteger(count) || count < 1 || count > available) {
    throw new RangeError(
      `bitsPerDim() count must be an integer in [1, ${available}] (the images available), got ${String(requested)}.`,
    );
  }
  return count;
}

/** Refuses bitsPerDim() pixels that are not whole images of `shape` (8-bit, at least one). */
export function checkPixelImages(
  shape: readonly [number, number, number],
  data: unknown,
): asserts data is Uint8Array {
  const dims = shape[0] * shape[1] * shape[2];
  if (!(data instanceof Uint8Array) || data.length % dims !== 0 || data.length === 0) {
    throw new RangeError(
      `bitsPerDim() takes an ImageDataset or a Uint8Array of whole ${shape.join('×')} images ` +
        `(a multiple of ${dims} 8-bit pixels), got ${data instanceof Uint8Array ? `${data.length} pixels` : typeof data}.`,
    );
  }
}

/** 8-bit pixels as intensities at their bins' centres, y = (v + ½) / 256 (no dequantization). */
export function binCentres(pixels: Uint8Array): Float32Array {
  return Float32Array.from(pixels, (v) => (v + 0.5) / 256);
}

/** y = (pixel + u) / 256 with u from Philox (stream DEQU, one block per four pixels). */
export function dequantize(pixels: Uint8Array, seed: number): Float32Array {
  const key = seedKey(seed);
  const rows = new Float32Array(pixels.length);
  const bits = new Uint32Array(4);
  for (let i = 0; i < pixels.length; i++) {
    if (i % 4 === 0) philox4x32_10([i / 4, 0, DEQUANTIZE_STREAM, 0], key, bits);
    rows[i] = (pixels[i]! + imageNoise(bits[i % 4]!)) / 256;
  }
  return rows;
}

/** An image model from its spec (ModelSpecError names a bad field before any GPU work). */
export async function createImageModel(
  runtime: GpuRuntime,
  spec: ImageModelSpec,
): Promise<LabImageModel> {
  return LabNice.create(runtime, spec);
}

/**
 * A dataset bound to a GPU runtime: GPU sampling and exact log-densities, their float64 CPU
 * twins, Monte-Carlo entropy, and the encoders trainers use. Created by lab.dataset(spec).
 */
import { GpuLimitError, STORAGE_USAGE, type GpuRuntime, type PooledBuffer } from '../gpu';
import type { Bounds } from './builtins';
import { DATA_STREAM, PointDraws } from './draws';
import { DensityUnavailableError } from './errors';
import { EXACT_DENSITY_NAMES } from './builtins';
import {
  DatasetLogProb,
  DatasetSampler,
  LOG_PROB_KERNEL,
  SAMPLE_KERNEL,
  type Space,
} from './kernels';
import type { AffineNormalizer } from './normalize';
import { checkSeed, type DatasetSpec, type ResolvedSpec } from './spec';
import { resolveDataset, type DensitySource } from './source';
import { seedKey } from '../rng/philox';

/** Most points one sample(), logProb() or entropy() call handles (16 Mi: 128 MiB of points). */
export const MAX_POINTS_PER_CALL = 1 << 24;

export interface SampleOptions {
  /** Philox seed; default the spec's seed. */
  seed?: number;
  /** Counter step (a trainer's step number). Default 0. */
  step?: number;
  /** Philox stream. Default DATA_STREAM. */
  stream?: number;
  /** 'data' (default) or 'model' (normalised) coordinates. */
  space?: Space;
}

export interface LogProbOptions {
  /** The coordinates of the given points, and of the density returned. Default 'data'. */
  space?: Space;
}

export interface EntropyOptions {
  /** Monte-Carlo sample size. Default 100 000. */
  samples?: number;
  /** Seed of the Monte-Carlo sample; default the spec's seed. */
  seed?: number;
  /** Counter step of the Monte-Carlo sample. Default 0. */
  step?: number;
}

/** H(p) = −E log p(x) in nats, in data coordinates. */
export interface EntropyEstimate {
  /** The Monte-Carlo estimate −(1/n) Σ log p(x_i). */
  value: number;
  /** Its standard error, sd(log p)/√n. */
  stderr: number;
  samples: number;
  /** The closed form, where one exists (gaussian, checkerboard, grids). */
  exact?: number;
}

function checkCount(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_POINTS_PER_CALL) {
    throw new RangeError(`${what} must be an integer in [1, ${MAX_POINTS_PER_CALL}], got ${n}.`);
  }
  return n;
}

function checkPoints(points: ArrayLike<number>): number {
  if (points.length === 0 || points.length % 2 !== 0) {
    throw new RangeError(
      `Points are flat (x0, y0, x1, y1, …): expected an even, non-zero length, got ${points.length}.`,
    );
  }
  return checkCount(points.length / 2, 'The number of points');
}

interface GpuParts {
  sampler: DatasetSampler;
  logProb: DatasetLogProb | undefined;
  buffers: PooledBuffer[];
}

export class Dataset {
  /** The spec as given (for URLs use specToJSON). */
  readonly spec: DatasetSpec;
  /** The validated spec with defaults filled in. */
  readonly resolved: ResolvedSpec;
  readonly source: DensitySource;
  /** Data ↔ model coordinates (normalisation for training). */
  readonly normalizer: AffineNormalizer;
  private gpu: Promise<GpuParts> | undefined;
  /** The parts once created (set synchronously with the last check of `disposed`). */
  private ready: GpuParts | undefined;
  private disposed = false;

  constructor(
    private readonly runtime: GpuRuntime,
    spec: DatasetSpec,
  ) {
    const { spec: resolved, source, normalizer } = resolveDataset(spec);
    this.spec = spec;
    this.resolved = resolved;
    this.source = source;
    this.normalizer = normalizer;
  }

  /** A built-in name, 'grid' or 'points'. */
  get name(): string {
    return this.source.name;
  }

  get seed(): number {
    return this.resolved.seed;
  }

  /** A rectangle that shows the data well, [xMin, yMin, xMax, yMax]. */
  get view(): Bounds {
    return this.source.view;
  }

  /** Whether logProb() and entropy() are available (the density is closed-form). */
  get hasLogProb(): boolean {
    return this.source.hasLogProb;
  }

  /** The sampler for trainers: encode batches into your own pass (see DatasetSampler.encode). */
  async sampler(): Promise<DatasetSampler> {
    return (await this.parts()).sampler;
  }

  /** The log-density encoder; rejects with DensityUnavailableError where there is none. */
  async logProbEncoder(): Promise<DatasetLogProb> {
    this.requireDensity();
    return (await this.parts()).logProb!;
  }

  /** n points sampled on the GPU, read back as (x0, y0, x1, y1, …). */
  async sample(n: number, options: SampleOptions = {}): Promise<Float32Array> {
    const out = await this.samplesInto(
      n,
      options,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    );
    try {
      return await this.runtime.readback.readFloat32(out.buffer, 0, 2 * n);
    } finally {
      out.dispose();
    }
  }

  /**
   * n points sampled into a new GPU buffer (2n floats; storage, copy and vertex usage) that the
   * caller owns and disposes: for renderers that draw from GPU memory. Nothing is read back;
   * the promise resolves once the work is submitted.
   */
  sampleToBuffer(n: number, options: SampleOptions = {}): Promise<PooledBuffer> {
    return this.samplesInto(n, options, STORAGE_USAGE | GPUBufferUsage.VERTEX);
  }

  private async samplesInto(
    n: number,
    options: SampleOptions,
    usage: GPUBufferUsageFlags,
  ): Promise<PooledBuffer> {
    checkCount(n, 'The sample size');
    const seed = checkSeed(options.seed ?? this.seed, 'seed');
    const { sampler } = await this.parts();
    const { device, pool } = this.runtime;
    const out = pool.acquire(n * 8, usage, `${this.name} samples`);
    try {
      const encoder = device.createCommandEncoder({ label: `sample ${this.name}` });
      const pass = encoder.beginComputePass({ label: `sample ${this.name}` });
      const params = sampler.encode(pass, out, {
        count: n,
        seed,
        step: options.step ?? 0,
        stream: options.stream ?? DATA_STREAM,
        space: options.space ?? 'data',
      });
      pass.end();
      device.queue.submit([encoder.finish()]);
      params.dispose();
      return out;
    } catch (error) {
      out.dispose();
      throw error;
    }
  }

  /** The float64 CPU twin of sample(): the same points up to f32 rounding. */
  sampleCpu(n: number, options: SampleOptions = {}): Float64Array {
    checkCount(n, 'The sample size');
    const seed = checkSeed(options.seed ?? this.seed, 'seed');
    const draws = new PointDraws(seedKey(seed), options.stream ?? DATA_STREAM);
    const step = options.step ?? 0;
    const out = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const [x, y] = this.source.sampleOne(draws.at(i, step));
      out[2 * i] = x;
      out[2 * i + 1] = y;
    }
    return options.space === 'model' ? this.normalizer.toModel(out) : out;
  }

  /**
   * Exact log p of each point (flat x0, y0, …) on the GPU, in nats; −∞ outside the support.
   * Rejects with DensityUnavailableError for datasets without a closed-form density.
   */
  async logProb(points: ArrayLike<number>, options: LogProbOptions = {}): Promise<Float32Array> {
    const out = await this.logProbInto(
      points,
      options,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    );
    try {
      return await this.runtime.readback.readFloat32(out.buffer, 0, points.length / 2);
    } finally {
      out.dispose();
    }
  }

  /**
   * log p of each point into a new GPU buffer (n floats; storage and copy usage) that the caller
   * owns: a heatmap without readback. Rejects like logProb() where there is no closed-form
   * density.
   */
  logProbToBuffer(points: ArrayLike<number>, options: LogProbOptions = {}): Promise<PooledBuffer> {
    return this.logProbInto(points, options, STORAGE_USAGE);
  }

  private async logProbInto(
    points: ArrayLike<number>,
    options: LogProbOptions,
    usage: GPUBufferUsageFlags,
  ): Promise<PooledBuffer> {
    this.requireDensity();
    const n = checkPoints(points);
    const { logProb } = await this.parts();
    const { device, pool } = this.runtime;
    const input = pool.upload(
      points instanceof Float32Array ? points : Float32Array.from(points),
      GPUBufferUsage.STORAGE,
      `${this.name} log-prob input`,
    );
    const out = pool.acquire(n * 4, usage, `${this.name} log-prob`);
    try {
      const encoder = device.createCommandEncoder({ label: `log-prob ${this.name}` });
      const pass = encoder.beginComputePass({ label: `log-prob ${this.name}` });
      const params = logProb!.encode(pass, input, out, n, options.space ?? 'data');
      pass.end();
      device.queue.submit([encoder.finish()]);
      params.dispose();
      return out;
    } catch (error) {
      out.dispose();
      throw error;
    } finally {
      input.dispose();
    }
  }

  /** The float64 twin of logProb(). */
  logProbCpu(points: ArrayLike<number>, options: LogProbOptions = {}): Float64Array {
    this.requireDensity();
    const n = checkPoints(points);
    const model = options.space === 'model';
    const data = model ? this.normalizer.toData(points) : points;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const lp = this.source.logProb(data[2 * i]!, data[2 * i + 1]!);
      out[i] = model ? this.normalizer.logDensityToModel(lp) : lp;
    }
    return out;
  }

  /**
   * Monte-Carlo entropy H = −E log p in nats (data coordinates), sampled and evaluated on the GPU
   * without reading the points back; the mean and standard error are taken in float64.
   */
  async entropy(options: EntropyOptions = {}): Promise<EntropyEstimate> {
    this.requireDensity();
    const n = checkCount(options.samples ?? 100_000, 'samples');
    const seed = checkSeed(options.seed ?? this.seed, 'seed');
    const { sampler, logProb } = await this.parts();
    const { device, pool, readback } = this.runtime;
    const points = pool.acquire(n * 8, GPUBufferUsage.STORAGE, `${this.name} entropy sample`);
    const out = pool.acquire(
      n * 4,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      `${this.name} entropy log-prob`,
    );
    let values: Float32Array;
    try {
      const encoder = device.createCommandEncoder({ label: `entropy ${this.name}` });
      const pass = encoder.beginComputePass({ label: `entropy ${this.name}` });
      const p1 = sampler.encode(pass, points, { count: n, seed, step: options.step ?? 0 });
      const p2 = logProb!.encode(pass, points, out, n);
      pass.end();
      device.queue.submit([encoder.finish()]);
      p1.dispose();
      p2.dispose();
      values = await readback.readFloat32(out.buffer, 0, n);
    } finally {
      points.dispose();
      out.dispose();
    }
    return { ...entropyFromLogProbs(values), exact: this.source.exactEntropy() };
  }

  /** Releases the GPU buffers; the dataset cannot sample on the GPU afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.gpu = undefined;
    // Parts still being created see `disposed` when they finish and release themselves.
    this.ready?.buffers.forEach((buffer) => buffer.dispose());
    this.ready = undefined;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private requireDensity(): void {
    if (!this.source.hasLogProb) throw new DensityUnavailableError(this.name, EXACT_DENSITY_NAMES);
  }

  private parts(): Promise<GpuParts> {
    if (this.disposed) {
      return Promise.reject(new Error(`Dataset '${this.name}' was disposed.`));
    }
    this.gpu ??= this.createParts().catch((error: unknown) => {
      this.gpu = undefined;
      throw error;
    });
    return this.gpu;
  }

  private async createParts(): Promise<GpuParts> {
    const { pipelines, pool, device } = this.runtime;
    const auxWords = this.source.sampleAux();
    const maxBinding = device.limits.maxStorageBufferBindingSize;
    if (auxWords.byteLength > maxBinding) {
      throw new GpuLimitError(
        `The ${this.name} data need ${auxWords.byteLength} bytes; this GPU binds at most ${maxBinding}.`,
      );
    }
    const [sampleKernel, logProbKernel] = await Promise.all([
      pipelines.get(SAMPLE_KERNEL),
      this.source.hasLogProb ? pipelines.get(LOG_PROB_KERNEL) : undefined,
    ]);
    const buffers: PooledBuffer[] = [];
    const upload = (data: ArrayBufferView, label: string) => {
      const view = data.byteLength > 0 ? data : new Uint32Array(4);
      const buffer = pool.upload(view, GPUBufferUsage.STORAGE, label);
      buffers.push(buffer);
      return buffer;
    };
    const sampleAux = upload(auxWords, `${this.name} sampler data`);
    const sampler = new DatasetSampler(
      this.runtime,
      sampleKernel,
      this.source,
      this.normalizer,
      sampleAux,
    );
    let logProb: DatasetLogProb | undefined;
    if (logProbKernel) {
      const logAux = upload(this.source.logProbAux(), `${this.name} log-density table`);
      logProb = new DatasetLogProb(
        this.runtime,
        logProbKernel,
        this.source,
        this.normalizer,
        logAux,
      );
    }
    if (this.disposed) {
      buffers.forEach((buffer) => buffer.dispose());
      throw new Error(`Dataset '${this.name}' was disposed.`);
    }
    this.ready = { sampler, logProb, buffers };
    return this.ready;
  }
}

/** −mean and its standard error of log-densities (float64 accumulation). */
export function entropyFromLogProbs(logProbs: ArrayLike<number>): Omit<EntropyEstimate, 'exact'> {
  const n = logProbs.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += logProbs[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (logProbs[i]! - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
  return { value: -mean, stderr: sd / Math.sqrt(n), samples: n };
}

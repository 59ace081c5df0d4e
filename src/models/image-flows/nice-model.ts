/**
 * An image flow on the GPU — NICE, or a multi-scale RealNVP / Glow (multiscale-network.ts binds
 * like NICE's network) — its parameters (one flat buffer, the spec's layout) and the
 * inference passes over rows of D pre-processed values y ∈ [0, 1)^D ('unit' pre-processing:
 * y = (pixel + u) / 256): forward (z and log p), inverse and prior sampling, in chunks of at
 * most INFERENCE_ROWS rows so that memory stays bounded for any count.
 */
import { GpuLimitError, STORAGE_USAGE, type GpuRuntime, type PooledBuffer } from '../../gpu';
import type { ImageSampler } from '../../data/images/kernels';
import type { ImagePreprocess } from '../../data/images/preprocess';
import { MultiscaleNetwork } from './multiscale-network';
import { multiscalePlan, type ResolvedMultiscaleSpec } from './multiscale-spec';
import {
  NiceNetwork,
  type NiceBinding,
  type NiceBindingSpec,
  type PreLogDetSource,
} from './nice-network';
import { niceDims, niceLayout, type ResolvedNiceSpec } from './nice-spec';
import { readParameters, writeParameters } from '../../nn/parameter-buffer';

/** Rows per inference submit. */
export const INFERENCE_ROWS = 256;
/** Most values one sample() call draws (its rows share one Philox counter sequence). */
export const MAX_SAMPLE_VALUES = 1 << 24;

/** What a model needs of its network: NiceNetwork and MultiscaleNetwork. */
export interface ImageFlowNetwork {
  bind(spec: NiceBindingSpec, label: string): NiceBinding;
  /** Gradient chunks of the parameter gradients at this batch size. */
  gradientChunks(batch: number): number;
}

export type ResolvedImageFlowSpec = ResolvedNiceSpec | ResolvedMultiscaleSpec;

export class NiceModel {
  private disposed = false;

  private constructor(
    readonly runtime: GpuRuntime,
    readonly spec: ResolvedImageFlowSpec,
    readonly network: ImageFlowNetwork,
    readonly params: PooledBuffer,
    readonly parameterCount: number,
  ) {}

  static async create(runtime: GpuRuntime, spec: ResolvedNiceSpec): Promise<NiceModel> {
    const { layout } = niceLayout(spec);
    const network = await NiceNetwork.create(runtime, spec);
    const params = runtime.pool.upload(
      layout.initialize(spec.seed),
      STORAGE_USAGE,
      `nice ${spec.shape.join('×')} params`,
    );
    return new NiceModel(runtime, spec, network, params, layout.total);
  }

  /** A RealNVP or Glow (multiscale-spec.ts), starting at its initial parameters. */
  static async createMultiscale(
    runtime: GpuRuntime,
    spec: ResolvedMultiscaleSpec,
  ): Promise<NiceModel> {
    const { layout } = multiscalePlan(spec);
    const network = await MultiscaleNetwork.create(runtime, spec);
    const params = runtime.pool.upload(
      layout.initialize(spec.seed),
      STORAGE_USAGE,
      `${spec.kind} ${spec.shape.join('×')} params`,
    );
    return new NiceModel(runtime, spec, network, params, layout.total);
  }

  get dims(): number {
    return niceDims(this.spec);
  }

  /**
   * z = f(y) and log p of each row in nats, plus `preLogDet` (one value for every row, e.g. the
   * pre-processing's −D ln 256 to reach the 8-bit pixel scale).
   */
  async forward(
    rows: Float32Array,
    preLogDet = 0,
  ): Promise<{ z: Float32Array; logProb: Float64Array }> {
    const n = this.rowCount(rows, 'forward');
    const z = new Float32Array(n * this.dims);
    const logProb = new Float64Array(n);
    const logDets = new Float32Array(Math.min(n, INFERENCE_ROWS)).fill(preLogDet);
    for (let start = 0; start < n; start += INFERENCE_ROWS) {
      const count = Math.min(INFERENCE_ROWS, n - start);
      const part = rows.slice(start * this.dims, (start + count) * this.dims);
      const result = await this.pass(count, 'forward', (bind, buffers) => {
        this.runtime.device.queue.writeBuffer(buffers.rows.buffer, 0, part);
        this.runtime.device.queue.writeBuffer(buffers.logDets.buffer, 0, logDets, 0, count);
        return bind({ buffer: buffers.logDets.binding, stride: 1, offset: 0 });
      });
      z.set(result.z, start * this.dims);
      for (let b = 0; b < count; b++) logProb[start + b] = result.perRow[count + b]!;
    }
    return { z, logProb };
  }

  /** y = f⁻¹(z). */
  async inverse(z: Float32Array): Promise<Float32Array> {
    const n = this.rowCount(z, 'inverse');
    const rows = new Float32Array(n * this.dims);
    for (let start = 0; start < n; start += INFERENCE_ROWS) {
      const count = Math.min(INFERENCE_ROWS, n - start);
      const part = z.slice(start * this.dims, (start + count) * this.dims);
      const result = await this.pass(count, 'inverse', (bind, buffers) => {
        this.runtime.device.queue.writeBuffer(buffers.z.buffer, 0, part);
        return bind();
      });
      rows.set(result.rows, start * this.dims);
    }
    return rows;
  }

  /** n rows y = f⁻¹(temperature · ε), ε from the prior (Philox keyed by seed). */
  async sample(n: number, seed: number, temperature: number): Promise<Float32Array> {
    if (n * this.dims > MAX_SAMPLE_VALUES) {
      throw new GpuLimitError(
        `sample(${n}) of ${this.spec.shape.join('×')} images would draw ${n * this.dims} values; ` +
          `one call draws at most ${MAX_SAMPLE_VALUES}. Sample at most ${Math.floor(MAX_SAMPLE_VALUES / this.dims)} images per call.`,
      );
    }
    const result = await this.pass(n, 'sample', (bind) => bind(undefined, { seed, temperature }));
    return result.rows;
  }

  /**
   * log p (nats, on the 8-bit pixel scale) of `count` images of an image set drawn in order from
   * image `first`, dequantized with Philox noise of (seed, step): the held-out likelihood.
   */
  async logProbOfDraws(
    sampler: ImageSampler,
    preprocess: ImagePreprocess,
    request: { first: number; count: number; seed: number; step: number },
  ): Promise<Float64Array> {
    const result = await this.pass(request.count, 'draws', (bind, buffers, pass) => {
      const uniforms = sampler.encode(pass, buffers.rows, buffers.items, preprocess, {
        count: request.count,
        seed: request.seed,
        step: request.step,
        order: 'sequential',
        first: request.first,
      });
      buffers.transient.push(uniforms);
      return bind({ buffer: buffers.items.binding, stride: 4, offset: 3 });
    });
    return Float64Array.from(result.perRow.subarray(request.count));
  }

  exportParams(): Promise<Float32Array> {
    return readParameters(this.runtime, this.params.buffer, this.parameterCount);
  }

  importParams(values: Float32Array): void {
    writeParameters(this.runtime, this.params.buffer, values, this.parameterCount);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.params.dispose();
  }

  private rowCount(values: Float32Array, what: string): number {
    if (this.disposed) throw new Error('This image model was disposed; create a new one.');
    const n = values.length / this.dims;
    if (!(values instanceof Float32Array) || !Number.isInteger(n) || n < 1) {
      throw new RangeError(
        `${what}() takes a Float32Array of whole ${this.spec.shape.join('×')} images ` +
          `(a multiple of ${this.dims} values), got ${values instanceof Float32Array ? values.length : typeof values} values.`,
      );
    }
    return n;
  }

  /** One submit over `count` rows: set-up (uploads, draws), then forward, inverse or sample. */
  private async pass(
    count: number,
    mode: 'forward' | 'inverse' | 'sample' | 'draws',
    setup: (
      bind: (
        preLogDet?: PreLogDetSource,
        sample?: { seed: number; temperature: number },
      ) => NiceBinding,
      buffers: {
        rows: PooledBuffer;
        z: PooledBuffer;
        logDets: PooledBuffer;
        items: PooledBuffer;
        transient: PooledBuffer[];
      },
      pass: GPUComputePassEncoder,
    ) => NiceBinding,
  ): Promise<{ rows: Float32Array; z: Float32Array; perRow: Float32Array }> {
    if (this.disposed) throw new Error('This image model was disposed; create a new one.');
    const { pool, device, readback } = this.runtime;
    const values = count * this.dims;
    const label = `${this.spec.kind} ${mode}`;
    const buffers = {
      rows: pool.acquire(values * 4, STORAGE_USAGE, `${label} rows`),
      z: pool.acquire(values * 4, STORAGE_USAGE, `${label} z`),
      logDets: pool.acquire(Math.max(4, count) * 4, STORAGE_USAGE, `${label} log-dets`),
      items: pool.acquire(Math.max(1, count) * 16, STORAGE_USAGE, `${label} items`),
      perRow: pool.acquire(2 * count * 4, STORAGE_USAGE, `${label} per-row`),
      transient: [] as PooledBuffer[],
    };
    let binding: NiceBinding | undefined;
    try {
      const encoder = device.createCommandEncoder({ label });
      const pass = encoder.beginComputePass({ label });
      binding = setup(
        (preLogDet, sample) =>
          this.network.bind(
            {
              batch: count,
              params: this.params.binding,
              rows: buffers.rows.binding,
              z: buffers.z.binding,
              preLogDet: preLogDet ?? { buffer: buffers.logDets.binding, stride: 1, offset: 0 },
              perRow: buffers.perRow.binding,
              ...(sample ? { sample } : {}),
            },
            label,
          ),
        buffers,
        pass,
      );
      if (mode === 'sample') binding.encodeSample(pass);
      if (mode === 'sample' || mode === 'inverse') binding.encodeInverse(pass);
      else binding.encodeForward(pass);
      pass.end();
      device.queue.submit([encoder.finish()]);
      const [rows, z, perRow] = await Promise.all([
        readback.readFloat32(buffers.rows.buffer, 0, values),
        readback.readFloat32(buffers.z.buffer, 0, values),
        readback.readFloat32(buffers.perRow.buffer, 0, 2 * count),
      ]);
      return { rows, z, perRow };
    } finally {
      binding?.dispose();
      for (const buffer of [
        buffers.rows,
        buffers.z,
        buffers.logDets,
        buffers.items,
        buffers.perRow,
        ...buffers.transient,
      ])
        buffer.dispose();
    }
  }
}

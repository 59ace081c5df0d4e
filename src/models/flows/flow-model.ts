// Over 400 lines on purpose: one class: build, train, sample, logProb and views of a flow share its buffers and layer list.
/**
 * A 2-D normalizing flow: an invertible map f from data x to latent z with z ~ N(0, I); its
 * inverse is the generator (the seed's "encoder whose inverse is the decoder"). Density by the
 * change of variables, log p(x) = log N(f(x)) + Σ_k log|det J_k|, in nats.
 *
 * Holds the parameters on the GPU and runs inference (sample, logProb, forward, inverse,
 * trace) in chunks; training goes through FlowTrainingTask (flow-training.ts). Every method
 * has a float64 twin (`…Twin`) built from the layers' twins.
 */
import { type CompiledKernel, type GpuRuntime, type PooledBuffer, STORAGE_USAGE } from '../../gpu';
import type { Normalization } from '../../data/normalize';
import { seedKey } from '../../rng/philox';
import { ParameterLayout } from '../../nn/parameters';
import { ActNormLayer } from './elementwise';
import { fusedInversePlan } from './fused-inverse';
import type { BoundLayer, FlowLayer } from './flow-layer';
import { BASE_ENTRIES, baseKernel, type BaseEntry } from './flow-kernels';
import {
  buildFlowLayers,
  resolveFlowSpec,
  type FlowModelSpec,
  type ResolvedFlowSpec,
} from './flow-spec';

export type { Normalization };

const IDENTITY: Normalization = { shift: [0, 0], scale: [1, 1] };
const STORAGE = STORAGE_USAGE;
/** Points per inference dispatch chunk. */
export const INFERENCE_CHUNK = 65536;
/** Most points one inference call accepts. */
export const MAX_INFERENCE_POINTS = 1 << 22;

const LOG_TWO_PI = Math.log(2 * Math.PI);

/** Buffers and bound layers for inference on chunks of up to `size` points. */
class InferenceBank {
  readonly xs: PooledBuffer[];
  readonly logDet: PooledBuffer;
  readonly logP: PooledBuffer;
  readonly staging: PooledBuffer;
  readonly uniforms: PooledBuffer;
  readonly bound: BoundLayer[];
  readonly groups: Record<BaseEntry, GPUBindGroup>;

  constructor(
    runtime: GpuRuntime,
    readonly size: number,
    layers: readonly FlowLayer[],
    params: PooledBuffer,
    base: Record<BaseEntry, CompiledKernel>,
  ) {
    const pool = runtime.pool;
    const k = layers.length;
    this.xs = Array.from({ length: k + 1 }, (_, i) =>
      pool.acquire(size * 8, STORAGE, `flow points ${i}`),
    );
    this.logDet = pool.acquire(Math.max(1, k) * size * 4, STORAGE, 'flow log|det| per layer');
    this.logP = pool.acquire(size * 4, STORAGE, 'flow log p');
    this.staging = pool.acquire(size * 8, STORAGE, 'flow points in/out');
    this.uniforms = pool.acquire(
      48,
      GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      'flow base uniforms',
    );
    this.bound = layers.map((layer, i) =>
      layer.bind(runtime, {
        batch: size,
        params: params.binding,
        x: this.xs[i]!.binding,
        y: this.xs[i + 1]!.binding,
        logDet: this.logDet.binding,
        logDetOffset: i * size,
      }),
    );
    const device = runtime.device;
    const group = (kernel: CompiledKernel, input: PooledBuffer, output: PooledBuffer) =>
      kernel.bind(device, [
        this.uniforms.binding,
        input.binding,
        output.binding,
        this.logDet.binding,
        this.logP.binding,
      ]);
    this.groups = {
      to_model: group(base.to_model, this.staging, this.xs[0]!),
      to_data: group(base.to_data, this.xs[0]!, this.staging),
      sample_base: group(base.sample_base, this.staging, this.xs[k]!),
      log_prob: group(base.log_prob, this.xs[k]!, this.staging),
    };
  }

  dispose(): void {
    this.bound.forEach((b) => b.dispose());
    [...this.xs, this.logDet, this.logP, this.staging, this.uniforms].forEach((b) => b.dispose());
  }
}

export class FlowModel {
  readonly layout = new ParameterLayout();
  readonly layers: FlowLayer[];
  readonly spec: ResolvedFlowSpec;
  normalization: Normalization = IDENTITY;
  /** True once ActNorm layers were initialised from data (or parameters were imported). */
  dataInitialized = false;
  private readonly banks = new Map<number, InferenceBank>();
  /** Tail of the chain of inference chunks (they share the banks' buffers). */
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;

  private constructor(
    readonly runtime: GpuRuntime,
    spec: ResolvedFlowSpec,
    readonly params: PooledBuffer,
    private readonly base: Record<BaseEntry, CompiledKernel>,
    layers: FlowLayer[],
    layout: ParameterLayout,
  ) {
    this.spec = spec;
    this.layers = layers;
    this.layout = layout;
  }

  /** Validates the spec (typed errors naming the field), builds the layers, compiles kernels. */
  static async create(runtime: GpuRuntime, spec: FlowModelSpec): Promise<FlowModel> {
    const resolved = resolveFlowSpec(spec);
    const layout = new ParameterLayout();
    const layers = buildFlowLayers(resolved, layout);
    const [base] = await Promise.all([
      Promise.all(BASE_ENTRIES.map((entry) => runtime.pipelines.get(baseKernel(entry)))),
      ...layers.map((layer) => layer.compile(runtime, true)),
    ]);
    const params = runtime.pool.upload(
      layout.initialize(resolved.seed),
      STORAGE,
      `${resolved.kind} parameters`,
    );
    const kernels = Object.fromEntries(BASE_ENTRIES.map((entry, i) => [entry, base[i]!])) as Record<
      BaseEntry,
      CompiledKernel
    >;
    return new FlowModel(runtime, resolved, params, kernels, layers, layout);
  }

  get parameterCount(): number {
    return this.layout.total;
  }

  // ---- float64 twin -------------------------------------------------------------------

  /** Data → latent with the summed log|det ∂z/∂x| (including the normalisation). */
  forwardTwin(
    params: ArrayLike<number>,
    points: ArrayLike<number>,
  ): { z: Float64Array; logDet: Float64Array } {
    const n = points.length / 2;
    let x = this.toModelTwin(points);
    const logDet = new Float64Array(n).fill(this.normalizationLogDet());
    for (const layer of this.layers) {
      const out = layer.forwardTwin(params, x, n);
      for (let b = 0; b < n; b++) logDet[b] = logDet[b]! + out.logDet[b]!;
      x = out.y;
    }
    return { z: x, logDet };
  }

  /** Latent → data. */
  inverseTwin(params: ArrayLike<number>, z: ArrayLike<number>): Float64Array {
    const n = z.length / 2;
    let y: Float64Array = Float64Array.from(z);
    for (let k = this.layers.length - 1; k >= 0; k--)
      y = this.layers[k]!.inverseTwin(params, y, n).y;
    const { shift, scale } = this.normalization;
    return y.map((v, i) => v * scale[i % 2]! + shift[i % 2]!);
  }

  logProbTwin(params: ArrayLike<number>, points: ArrayLike<number>): Float64Array {
    const { z, logDet } = this.forwardTwin(params, points);
    return logDet.map((ld, b) => -0.5 * (z[2 * b]! ** 2 + z[2 * b + 1]! ** 2) - LOG_TWO_PI + ld);
  }

  private toModelTwin(points: ArrayLike<number>): Float64Array {
    const { shift, scale } = this.normalization;
    return Float64Array.from(points, (v, i) => (v - shift[i % 2]!) / scale[i % 2]!);
  }

  /** log|det| of data → model coordinates. */
  private normalizationLogDet(): number {
    return -Math.log(this.normalization.scale[0] * this.normalization.scale[1]);
  }

  /**
   * ActNorm's data-dependent initialisation: runs the twin on `points` (data coordinates) and
   * sets each ActNorm so its output is standardised. Done once, before the first training step.
   */
  async initializeFromData(points: ArrayLike<number>): Promise<void> {
    if (this.dataInitialized) return;
    this.dataInitialized = true;
    if (!this.layers.some((l) => l instanceof ActNormLayer)) return;
    const params = Float64Array.from(await this.exportParams());
    const n = points.length / 2;
    let x = this.toModelTwin(points);
    for (const layer of this.layers) {
      if (layer instanceof ActNormLayer) params.set(layer.dataInit(x, n), layer.offset);
      x = layer.forwardTwin(params, x, n).y;
    }
    this.importParams(Float32Array.from(params));
  }

  // ---- GPU inference ------------------------------------------------------------------

  /**
   * n samples in data coordinates (Float32Array of n·2), from z ~ N(0, I) keyed by `seed`.
   * Flows made of couplings and per-coordinate layers (NICE, RealNVP) run the one-dispatch
   * generator (fused-inverse.ts) by default, others the layers one by one; `fused: false` forces
   * the layer-by-layer path. The same samples either way (to float32 rounding, tested).
   */
  async sample(n: number, options: { seed?: number; fused?: boolean } = {}): Promise<Float32Array> {
    return this.readAndRelease(await this.sampleToBuffer(n, options), 2 * n);
  }

  /**
   * n samples written into a new GPU buffer (2n floats, data coordinates) that the caller owns:
   * for renderers that draw straight from GPU memory. Nothing is read back.
   */
  async sampleToBuffer(
    n: number,
    options: { seed?: number; fused?: boolean } = {},
  ): Promise<PooledBuffer> {
    const target = this.runtime.pool.acquire(
      checkCount(n) * 8,
      STORAGE | GPUBufferUsage.VERTEX,
      `${this.spec.kind} samples`,
    );
    // The fused generator by default (issue #19: the faster path since its vec4-lane rewrite).
    const fused = options.fused !== false ? await this.fusedGenerator() : undefined;
    if (fused) {
      this.encodeFusedSamples(fused, target, n, options.seed ?? 0);
      return target;
    }
    for (let start = 0; start < n; start += INFERENCE_CHUNK) {
      const m = Math.min(INFERENCE_CHUNK, n - start);
      await this.runChunk(
        m,
        {
          seed: options.seed ?? 0,
          indexOffset: start,
          copyOut: {
            from: (bank) => bank.staging.buffer,
            to: target.buffer,
            offset: start * 8,
            bytes: m * 8,
          },
        },
        (pass, bank) => {
          this.encodeBase(pass, bank, 'sample_base');
          this.encodeLatentToData(pass, bank);
        },
        () => Promise.resolve(),
      );
    }
    return target;
  }

  /** log p of points (data coordinates) written into a new GPU buffer (n floats) the caller owns. */
  async logProbToBuffer(points: ArrayLike<number>): Promise<PooledBuffer> {
    const n = checkCount(points.length / 2);
    const target = this.runtime.pool.acquire(n * 4, STORAGE, `${this.spec.kind} log p`);
    await this.forEachChunk(points, (m, start, upload) =>
      this.runChunk(
        m,
        {
          upload,
          copyOut: {
            from: (bank) => bank.logP.buffer,
            to: target.buffer,
            offset: start * 4,
            bytes: m * 4,
          },
        },
        (pass, bank) => {
          this.encodeDataToLatent(pass, bank);
          this.encodeBase(pass, bank, 'log_prob');
        },
        () => Promise.resolve(),
      ),
    );
    return target;
  }

  /** log|det J_k| of every layer k at every point (data coordinates): K arrays of n. */
  async layerLogDets(points: ArrayLike<number>): Promise<Float32Array[]> {
    const n = points.length / 2;
    if (n > INFERENCE_CHUNK)
      throw new RangeError(`layerLogDets() takes at most ${INFERENCE_CHUNK} points, got ${n}.`);
    const m = checkCount(n);
    const stride = this.bank(m).size;
    const all = await this.runChunk(
      m,
      { upload: Float32Array.from(points) },
      (pass, bank) => {
        this.encodeDataToLatent(pass, bank);
      },
      (bank) =>
        this.runtime.readback.readFloat32(bank.logDet.buffer, 0, this.layers.length * stride),
    );
    return this.layers.map((_, k) => all.slice(k * stride, k * stride + m));
  }

  /** log p(x) in nats for points in data coordinates. */
  async logProb(points: ArrayLike<number>): Promise<Float32Array> {
    return this.readAndRelease(await this.logProbToBuffer(points), points.length / 2);
  }

  /** z = f(x) and log|det ∂z/∂x| (including the normalisation) for points in data coordinates. */
  async forward(points: ArrayLike<number>): Promise<{ z: Float32Array; logDet: Float32Array }> {
    const n = checkCount(points.length / 2);
    const z = new Float32Array(2 * n);
    const logDet = new Float32Array(n);
    const constant = this.normalizationLogDet();
    await this.forEachChunk(points, async (m, start, upload) => {
      const stride = this.bank(m).size;
      const [zc, lds] = await this.runChunk(
        m,
        { upload },
        (pass, bank) => {
          this.encodeDataToLatent(pass, bank);
        },
        (bank) =>
          Promise.all([
            this.runtime.readback.readFloat32(bank.xs.at(-1)!.buffer, 0, 2 * m),
            this.runtime.readback.readFloat32(bank.logDet.buffer, 0, bank.bound.length * bank.size),
          ]),
      );
      z.set(zc, 2 * start);
      for (let i = 0; i < m; i++) {
        let sum = constant;
        for (let k = 0; k < this.layers.length; k++) sum += lds[k * stride + i]!;
        logDet[start + i] = sum;
      }
    });
    return { z, logDet };
  }

  /** x = f⁻¹(z) in data coordinates. */
  async inverse(z: ArrayLike<number>): Promise<Float32Array> {
    const n = checkCount(z.length / 2);
    const out = new Float32Array(2 * n);
    await this.forEachChunk(z, async (m, start, upload) => {
      const chunk = await this.runChunk(
        m,
        { upload, uploadTo: 'last' },
        (pass, bank) => {
          this.encodeLatentToData(pass, bank);
        },
        (bank) => this.runtime.readback.readFloat32(bank.staging.buffer, 0, 2 * m),
      );
      out.set(chunk, 2 * start);
    });
    return out;
  }

  /**
   * Positions of points through the flow, for the warp view: [x in data coordinates, x in model
   * coordinates, after layer 1, …, after layer K = z] (direction 'forward'), or from z back to
   * data: [z, after inverting layer K, …, model coordinates, data] ('inverse').
   */
  async trace(
    points: ArrayLike<number>,
    direction: 'forward' | 'inverse' = 'forward',
  ): Promise<Float32Array[]> {
    const n = points.length / 2;
    if (n > INFERENCE_CHUNK)
      throw new RangeError(`trace() takes at most ${INFERENCE_CHUNK} points, got ${n}.`);
    const m = checkCount(n);
    const upload = Float32Array.from(points);
    const k = this.layers.length;
    const stages = await this.runChunk(
      m,
      { upload, uploadTo: direction === 'forward' ? 'staging' : 'last' },
      (pass, bank) => {
        if (direction === 'forward') {
          this.encodeDataToLatent(pass, bank);
        } else {
          this.encodeLatentToData(pass, bank);
        }
      },
      (bank) =>
        Promise.all([
          ...bank.xs.map((x) => this.runtime.readback.readFloat32(x.buffer, 0, 2 * m)),
          this.runtime.readback.readFloat32(bank.staging.buffer, 0, 2 * m),
        ]),
    );
    const modelStages = stages.slice(0, k + 1);
    const data = stages[k + 1]!;
    return direction === 'forward' ? [data, ...modelStages] : [...modelStages.reverse(), data];
  }

  async exportParams(): Promise<Float32Array> {
    return this.runtime.readback.readFloat32(this.params.buffer, 0, this.parameterCount);
  }

  importParams(values: Float32Array): void {
    if (values.length !== this.parameterCount) {
      throw new RangeError(
        `This ${this.spec.kind} flow has ${this.parameterCount} parameters; got ${values.length}. ` +
          'Import parameters exported from a model with the same spec.',
      );
    }
    this.runtime.device.queue.writeBuffer(
      this.params.buffer,
      0,
      values.buffer as ArrayBuffer,
      values.byteOffset,
      values.byteLength,
    );
    this.dataInitialized = true;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const bank of this.banks.values()) bank.dispose();
    this.banks.clear();
    // Synchronously: after a device loss the pool is disposed right after its models, so a
    // release on a later microtask would find the table gone from it (a generator still being
    // made sees `disposed` and makes no table).
    this.fusedTable?.dispose();
    this.params.dispose();
  }

  // ---- the one-dispatch generator (fused-inverse.ts) ----------------------------------

  private fused: Promise<{ kernel: CompiledKernel; table: PooledBuffer } | null> | undefined;
  /** The fused generator's layer table once made (dispose() releases it). */
  private fusedTable: PooledBuffer | undefined;

  /** The fused generator's kernel and layer table, or null for flows it cannot run. */
  private fusedGenerator(): Promise<{ kernel: CompiledKernel; table: PooledBuffer } | null> {
    this.fused ??= (async () => {
      const plan = fusedInversePlan(
        this.layers,
        this.runtime.context.adapterInfo,
        this.runtime.device.features.has('subgroups'),
      );
      if (!plan) return null;
      const kernel = await this.runtime.pipelines.get(plan.kernel, plan.constants);
      if (this.disposed) throw new Error('This model was disposed; create a new one.');
      const table = this.runtime.pool.upload(
        plan.table,
        GPUBufferUsage.STORAGE,
        `${this.spec.kind} fused generator layers`,
      );
      this.fusedTable = table;
      return { kernel, table };
    })();
    this.fused.catch(() => (this.fused = undefined));
    return this.fused;
  }

  /** One dispatch per INFERENCE_CHUNK points, written straight into `target` (no readback). */
  private encodeFusedSamples(
    fused: { kernel: CompiledKernel; table: PooledBuffer },
    target: PooledBuffer,
    n: number,
    seed: number,
  ): void {
    if (this.disposed) throw new Error('This model was disposed; create a new one.');
    const { device, pool } = this.runtime;
    const [seedLo, seedHi] = seedKey(seed);
    const { shift, scale } = this.normalization;
    const encoder = device.createCommandEncoder({ label: `${this.spec.kind} fused generator` });
    const pass = encoder.beginComputePass({ label: `${this.spec.kind} fused generator` });
    const uniforms: PooledBuffer[] = [];
    for (let start = 0; start < n; start += INFERENCE_CHUNK) {
      const m = Math.min(INFERENCE_CHUNK, n - start);
      const words = new ArrayBuffer(48);
      new Uint32Array(words, 0, 5).set([m, start, seedLo, seedHi, this.layers.length]);
      new Float32Array(words, 32, 4).set([shift[0], shift[1], scale[0], scale[1]]);
      const block = pool.upload(
        new Uint8Array(words),
        GPUBufferUsage.UNIFORM,
        `${this.spec.kind} fused generator uniforms`,
      );
      uniforms.push(block);
      const group = fused.kernel.bind(
        device,
        [
          block.binding,
          fused.table.binding,
          this.params.binding,
          { buffer: target.buffer, offset: start * 8, size: m * 8 },
        ],
        `${this.spec.kind} fused generator`,
      );
      fused.kernel.encode(pass, group, m);
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    uniforms.forEach((block) => block.dispose());
  }

  // ---- plumbing -----------------------------------------------------------------------

  private bank(size: number): InferenceBank {
    if (this.disposed) throw new Error('This model was disposed; create a new one.');
    // Round up so nearby sizes share buffers and bindings.
    const bucket = Math.min(INFERENCE_CHUNK, 2 ** Math.ceil(Math.log2(Math.max(64, size))));
    let bank = this.banks.get(bucket);
    if (!bank) {
      bank = new InferenceBank(this.runtime, bucket, this.layers, this.params, this.base);
      this.banks.set(bucket, bank);
    }
    return bank;
  }

  private async forEachChunk(
    points: ArrayLike<number>,
    run: (m: number, start: number, upload: Float32Array) => Promise<void>,
  ): Promise<void> {
    const n = points.length / 2;
    for (let start = 0; start < n; start += INFERENCE_CHUNK) {
      const m = Math.min(INFERENCE_CHUNK, n - start);
      const upload = new Float32Array(2 * m);
      for (let i = 0; i < 2 * m; i++) upload[i] = points[2 * start + i]!;
      await run(m, start, upload);
    }
  }

  /**
   * Uploads (optionally) and encodes one chunk of m points in one submit, then reads back.
   * The bank processes its full bucket size; points past m are padding and are ignored.
   */
  private async runChunk<T>(
    m: number,
    options: {
      upload?: Float32Array;
      uploadTo?: 'staging' | 'last';
      seed?: number;
      indexOffset?: number;
      /** Copy a bank buffer into a caller's GPU buffer after the pass (no readback). */
      copyOut?: {
        from: (bank: InferenceBank) => GPUBuffer;
        to: GPUBuffer;
        offset: number;
        bytes: number;
      };
    },
    encode: (pass: GPUComputePassEncoder, bank: InferenceBank) => void,
    read: (bank: InferenceBank) => Promise<T>,
  ): Promise<T> {
    // Calls share the banks' buffers: run one chunk (upload → submit → read back) at a time.
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await this.runChunkNow(m, options, encode, read);
    } finally {
      release();
    }
  }

  private async runChunkNow<T>(
    m: number,
    options: Parameters<FlowModel['runChunk']>[1],
    encode: (pass: GPUComputePassEncoder, bank: InferenceBank) => void,
    read: (bank: InferenceBank) => Promise<T>,
  ): Promise<T> {
    const bank = this.bank(m);
    const queue = this.runtime.device.queue;
    const [seedLo, seedHi] = seedKey(options.seed ?? 0);
    const words = new ArrayBuffer(48);
    new Uint32Array(words, 0, 5).set([
      bank.size,
      this.layers.length,
      seedLo,
      seedHi,
      options.indexOffset ?? 0,
    ]);
    const { shift, scale } = this.normalization;
    new Float32Array(words, 32, 4).set([shift[0], shift[1], scale[0], scale[1]]);
    queue.writeBuffer(bank.uniforms.buffer, 0, words);
    if (options.upload) {
      const target = options.uploadTo === 'last' ? bank.xs.at(-1)! : bank.staging;
      const data = options.upload;
      queue.writeBuffer(
        target.buffer,
        0,
        data.buffer as ArrayBuffer,
        data.byteOffset,
        data.byteLength,
      );
    }
    const encoder = this.runtime.device.createCommandEncoder({
      label: `${this.spec.kind} inference`,
    });
    const pass = encoder.beginComputePass({ label: `${this.spec.kind} inference` });
    encode(pass, bank);
    pass.end();
    const copy = options.copyOut;
    if (copy) encoder.copyBufferToBuffer(copy.from(bank), 0, copy.to, copy.offset, copy.bytes);
    queue.submit([encoder.finish()]);
    return read(bank);
  }

  /** Data points (staging) → model coordinates → every layer forward: z and per-layer log|det|. */
  private encodeDataToLatent(pass: GPUComputePassEncoder, bank: InferenceBank): void {
    this.encodeBase(pass, bank, 'to_model');
    for (const layer of bank.bound) layer.encodeForward(pass, false);
  }

  /** Latent points (last stage) → every layer inverted → data coordinates (staging). */
  private encodeLatentToData(pass: GPUComputePassEncoder, bank: InferenceBank): void {
    for (let k = bank.bound.length - 1; k >= 0; k--) bank.bound[k]!.encodeInverse(pass);
    this.encodeBase(pass, bank, 'to_data');
  }

  /** Reads `count` floats of a caller-owned result buffer, then releases it. */
  private async readAndRelease(buffer: PooledBuffer, count: number): Promise<Float32Array> {
    try {
      return await this.runtime.readback.readFloat32(buffer.buffer, 0, count);
    } finally {
      buffer.dispose();
    }
  }

  private encodeBase(pass: GPUComputePassEncoder, bank: InferenceBank, entry: BaseEntry): void {
    this.base[entry].encode(pass, bank.groups[entry], bank.size);
  }
}

function checkCount(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_INFERENCE_POINTS) {
    throw new RangeError(`Expected between 1 and ${MAX_INFERENCE_POINTS} points, got ${n}.`);
  }
  return n;
}

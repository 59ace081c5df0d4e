/**
 * The two data kernels (one sampler and one log-density kernel for every dataset, switching on a
 * dataset id in their uniforms, so a page compiles each once) and their encoders. A trainer
 * encodes "sample a batch at step k into this storage buffer" into its own compute pass with
 * DatasetSampler.encode(); nothing is read back.
 */
import datasetsSource from '../../shaders/data/datasets.wgsl';
import logProbSource from '../../shaders/data/log-prob.wgsl';
import sampleSource from '../../shaders/data/sample.wgsl';
import {
  GpuLimitError,
  defineKernel,
  workgroupsFor,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../gpu';
import { bindingBytes, bindingOf, u32, type BindingTarget as Target } from './bindings';
import { PHILOX_LIBRARY } from '../rng/random-fill';
import { seedKey } from '../rng/philox';
import { DATA_STREAM } from './draws';
import type { AffineNormalizer } from './normalize';
import type { DensitySource } from './source';

const DATASETS_LIBRARY = { file: 'data/datasets.wgsl', source: datasetsSource } as const;

export const SAMPLE_KERNEL = defineKernel<number>({
  name: 'data/sample',
  file: 'data/sample.wgsl',
  source: sampleSource,
  libraries: [PHILOX_LIBRARY, DATASETS_LIBRARY],
  bindings: ['uniform', 'storage', 'read-only-storage'],
  workgroupSize: 64,
  dispatch: (points, workgroupSize) => workgroupsFor(points, workgroupSize),
});

export const LOG_PROB_KERNEL = defineKernel<number>({
  name: 'data/log-prob',
  file: 'data/log-prob.wgsl',
  source: logProbSource,
  libraries: [DATASETS_LIBRARY],
  bindings: ['uniform', 'read-only-storage', 'storage', 'read-only-storage'],
  workgroupSize: 64,
  dispatch: (points, workgroupSize) => workgroupsFor(points, workgroupSize),
});

/** Bytes of both kernels' uniform blocks: 4 vec4 of header + 4 vec4 of parameters. */
const PARAMS_BYTES = 128;

/** Which coordinates points are in: data (as the user sees them) or model (normalised). */
export type Space = 'data' | 'model';

export interface SampleRequest {
  /** Points per batch. */
  count: number;
  /** Philox seed, an integer in [0, 2^53). */
  seed: number;
  /** Step of the first batch (the counter's second word). Default 0. */
  step?: number;
  /** Consecutive steps to sample in one dispatch (batch b uses step + b). Default 1. */
  batches?: number;
  /** Philox stream. Default DATA_STREAM. */
  stream?: number;
  /** Write data or model (normalised) coordinates. Default 'data'. */
  space?: Space;
  /** First point of the target to write (points, not bytes). Default 0. */
  offset?: number;
}

function checkAlive(aux: PooledBuffer, what: string): void {
  if (aux.disposed) {
    throw new Error(
      `This ${what} belongs to a disposed dataset; get a new one from a live dataset.`,
    );
  }
}

/** Encodes dataset sampling into compute passes; owned by a Dataset (dispose the Dataset). */
export class DatasetSampler {
  constructor(
    private readonly runtime: GpuRuntime,
    readonly kernel: CompiledKernel<number>,
    private readonly source: DensitySource,
    private readonly normalizer: AffineNormalizer,
    private readonly aux: PooledBuffer,
  ) {}

  /**
   * Records one dispatch writing count·batches points (vec2<f32>) into `target` from point
   * `offset` on. Returns the dispatch's uniform buffer: dispose it after submitting the pass.
   */
  encode(pass: GPUComputePassEncoder, target: Target, request: SampleRequest): PooledBuffer {
    checkAlive(this.aux, 'sampler');
    const count = u32(request.count, 'count');
    const batches = u32(request.batches ?? 1, 'batches');
    const offset = u32(request.offset ?? 0, 'offset');
    const total = count * batches;
    if (total < 1) throw new RangeError('A sample request needs count ≥ 1 and batches ≥ 1.');
    const binding = bindingOf(target);
    const needed = (offset + total) * 8;
    if (bindingBytes(binding) < needed) {
      throw new GpuLimitError(
        `The sample target holds ${bindingBytes(binding)} bytes; ${total} points from point ` +
          `${offset} need ${needed}.`,
      );
    }
    const [seedLo, seedHi] = seedKey(request.seed);
    const words = new Uint32Array(PARAMS_BYTES / 4);
    const floats = new Float32Array(words.buffer);
    words.set([
      seedLo,
      seedHi,
      u32(request.stream ?? DATA_STREAM, 'stream'),
      u32(request.step ?? 0, 'step'),
      count,
      batches,
      offset,
      this.source.id,
      this.source.auxCount,
      this.source.gridWidth,
      request.space === 'model' ? 1 : 0,
      0,
    ]);
    floats.set(
      [
        this.normalizer.shift[0],
        this.normalizer.shift[1],
        1 / this.normalizer.scale[0],
        1 / this.normalizer.scale[1],
      ],
      12,
    );
    floats.set(this.source.q, 16);
    const params = this.runtime.pool.upload(words, GPUBufferUsage.UNIFORM, 'data/sample params');
    this.kernel.encode(
      pass,
      this.kernel.bind(this.runtime.device, [params.binding, binding, this.aux.binding]),
      total,
    );
    return params;
  }
}

/** Encodes exact log-densities; owned by a Dataset. */
export class DatasetLogProb {
  constructor(
    private readonly runtime: GpuRuntime,
    readonly kernel: CompiledKernel<number>,
    private readonly source: DensitySource,
    private readonly normalizer: AffineNormalizer,
    private readonly aux: PooledBuffer,
  ) {}

  /**
   * Records out[i] = log p(points[i]) for `count` points (vec2<f32> in, f32 out). In model space
   * the density is that of the normalised variable (data density + log det of the map).
   * Returns the uniform buffer: dispose it after submitting.
   */
  encode(
    pass: GPUComputePassEncoder,
    points: Target,
    out: Target,
    count: number,
    space: Space = 'data',
  ): PooledBuffer {
    checkAlive(this.aux, 'log-prob encoder');
    u32(count, 'count');
    const input = bindingOf(points);
    const output = bindingOf(out);
    if (bindingBytes(input) < count * 8 || bindingBytes(output) < count * 4) {
      throw new GpuLimitError(
        `log-prob of ${count} points needs ${count * 8} input and ${count * 4} output bytes, ` +
          `got ${bindingBytes(input)} and ${bindingBytes(output)}.`,
      );
    }
    const words = new Uint32Array(PARAMS_BYTES / 4);
    const floats = new Float32Array(words.buffer);
    words.set([
      count,
      this.source.id,
      space === 'model' ? 1 : 0,
      this.source.gridWidth,
      this.source.gridHeight,
    ]);
    floats.set(
      [
        this.normalizer.shift[0],
        this.normalizer.shift[1],
        this.normalizer.scale[0],
        this.normalizer.scale[1],
        this.normalizer.logDetToData,
        -Infinity,
        NaN,
      ],
      8,
    );
    floats.set(this.source.q, 16);
    const params = this.runtime.pool.upload(words, GPUBufferUsage.UNIFORM, 'data/log-prob params');
    this.kernel.encode(
      pass,
      this.kernel.bind(this.runtime.device, [params.binding, input, output, this.aux.binding]),
      count,
    );
    return params;
  }
}

/**
 * Image flow matching on the GPU: the U-Net's parameters and the ODE samplers (Euler, Heun,
 * RK4) that integrate dx/dt = v̂(x, t) from the prior (t = 1) to the data (t = 0) in one submit. Each
 * network evaluation reads its t from a time table uploaded once per call (a buffer copy between
 * compute passes); the solvers' vector updates are shaders/image-diffusion/fm-sampler.wgsl.
 * Twin: fm-reference.ts.
 */
import {
  GpuLimitError,
  STORAGE_USAGE,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../../gpu';
import { seedKey } from '../../rng/philox';
import { fmHalfGridTime } from './fm-reference';
import { FM_SAMPLER_ENTRIES, fmSamplerKernel, type FmSamplerEntry } from './fm-kernels';
import { fmLogLikelihood, type FmLikelihoodOptions } from './fm-likelihood';
import type { FmLikelihoodRows } from './fm-likelihood-reference';
import { bindDenoiser } from './guidance';
import { evaluationsPerCall, type Guidance } from './guidance-reference';
import {
  IMAGE_FM_LIMITS,
  IMAGE_FM_SAMPLERS,
  IMAGE_FM_STAGES,
  imageFmUNetShape,
  type ImageFmSampler,
  type ResolvedImageFlowMatchingSpec,
} from './fm-spec';
import {
  createUNetWeights,
  ImageUNetModel,
  type ImageWeights,
  type UNetWeights,
} from './unet-model';

const ENTRIES = FM_SAMPLER_ENTRIES;
type Entry = FmSamplerEntry;

/** Most Hutchinson probes per image of one logLikelihood() call. */
export const MAX_FM_PROBES = 1024;

/** Most values (images × C × H × W) one sample() call integrates at once. */
export const MAX_FM_SAMPLE_VALUES = 1 << 22;

export interface FmSampleOptions {
  seed: number;
  sampler: ImageFmSampler;
  steps: number;
  /** Class-conditional models: the classes and the guidance scale (checkGuidance). */
  guidance?: Guidance;
  /** Default: the EMA when the model holds one, else the parameters. */
  weights?: ImageWeights;
}

/**
 * A film strip of the ODE: the states x after each of `columns` step counts (0: the prior draws
 * at t = 1; `steps`: the sample), column-major: column c's n images at c·n·D.
 */
export interface FmFilmStrip {
  columns: readonly number[];
  values: Float32Array;
}

/** Network evaluations per image of `steps` steps of `sampler`. */
export function fmNfe(sampler: ImageFmSampler, steps: number, guidance?: Guidance): number {
  return IMAGE_FM_STAGES[sampler] * steps * evaluationsPerCall(guidance);
}

export class ImageFlowMatchingModel extends ImageUNetModel {
  /** Network evaluations per image of the latest sample() or sampleFrom(). */
  lastNfe = 0;

  private constructor(
    runtime: GpuRuntime,
    readonly spec: ResolvedImageFlowMatchingSpec,
    weights: UNetWeights,
    private readonly kernels: Record<Entry, CompiledKernel>,
  ) {
    super(runtime, weights, `flow-matching ${spec.shape.join('×')}`);
  }

  static async create(
    runtime: GpuRuntime,
    spec: ResolvedImageFlowMatchingSpec,
  ): Promise<ImageFlowMatchingModel> {
    const label = `flow-matching ${spec.shape.join('×')}`;
    const [weights, ...kernels] = await Promise.all([
      createUNetWeights(runtime, imageFmUNetShape(spec), spec.seed, label),
      ...ENTRIES.map((e) => runtime.pipelines.get(fmSamplerKernel(e))),
    ]);
    const byName = Object.fromEntries(ENTRIES.map((e, i) => [e, kernels[i]!])) as Record<
      Entry,
      CompiledKernel
    >;
    return new ImageFlowMatchingModel(runtime, spec, weights, byName);
  }

  /** n images in model space ([−1, 1] for data), integrated with `sampler` in `steps` steps. */
  sample(n: number, options: FmSampleOptions): Promise<Float32Array> {
    this.checkSolver(options);
    return this.integrate(n, options, undefined);
  }

  /**
   * The ODE's image of given latents z (n × C × H × W values at t = 1): sample() of a seed
   * equals sampleFrom(priorNoise(n, seed)) bit for bit.
   */
  sampleFrom(z: Float32Array, options: Omit<FmSampleOptions, 'seed'>): Promise<Float32Array> {
    const n = z.length / this.dims;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(
        `sampleFrom() takes whole latents of ${this.dims} values each, got ${z.length} values.`,
      );
    }
    this.checkSolver(options);
    return this.integrate(n, { ...options, seed: 0 }, z);
  }

  /**
   * log p₀ of images x₀ (n × C × H × W values in model space) through the probability-flow ODE
   * with Hutchinson's divergence estimate: one row per image and probe (fm-likelihood.ts).
   */
  logLikelihood(
    x0: Float32Array,
    options: FmLikelihoodOptions & { weights?: ImageWeights },
  ): Promise<FmLikelihoodRows> {
    this.checkSolver(options);
    const { probes } = options;
    if (!Number.isInteger(probes) || probes < 1 || probes > MAX_FM_PROBES) {
      throw new RangeError(
        `probes (Hutchinson probes per image) must be an integer in [1, ${MAX_FM_PROBES}], got ${String(probes)}.`,
      );
    }
    const n = x0.length / this.dims;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(
        `logLikelihood() takes whole images of ${this.dims} values each, got ${x0.length} values.`,
      );
    }
    const params = this.weightsBuffer(options.weights);
    return fmLogLikelihood(
      this.runtime,
      this.unet,
      { params, offset: this.offset, parameterCount: this.parameterCount },
      x0,
      options,
    );
  }

  /** Refuses an unknown sampler or a step count out of range (RangeError naming it). */
  private checkSolver({ sampler, steps }: Omit<FmSampleOptions, 'seed'>): void {
    if (!IMAGE_FM_SAMPLERS.includes(sampler)) {
      throw new RangeError(
        `sampler must be ${IMAGE_FM_SAMPLERS.map((s) => `'${s}'`).join(' or ')}, got ${JSON.stringify(sampler)}.`,
      );
    }
    const [minSteps, maxSteps] = IMAGE_FM_LIMITS.steps;
    if (!Number.isInteger(steps) || steps < minSteps || steps > maxSteps) {
      throw new RangeError(
        `steps must be an integer in [${minSteps}, ${maxSteps}], got ${String(steps)}.`,
      );
    }
  }

  /**
   * The ODE run backwards: from images x (model space, n × C × H × W values at t = 0) to their
   * latents at t = 1, with the same solver and grid reversed (t_k = k/steps): sampleFrom(encode(x))
   * returns x up to the solvers' error, which shrinks with the steps.
   */
  encode(x: Float32Array, options: Omit<FmSampleOptions, 'seed'>): Promise<Float32Array> {
    const n = x.length / this.dims;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(
        `encode() takes whole images of ${this.dims} values each, got ${x.length} values.`,
      );
    }
    this.checkSolver(options);
    return this.integrate(n, { ...options, seed: 0 }, x, undefined, true);
  }

  /** The prior draws of sample(n, { seed }) (zero steps of the ODE). */
  async priorNoise(n: number, seed: number): Promise<Float32Array> {
    return this.integrate(n, { seed, sampler: 'euler', steps: 0 }, undefined);
  }

  /**
   * sample()'s integration, keeping x after each step count of `columns` (integers in
   * [0, steps]): the column of `steps` is sample()'s result for the seed, bit for bit (the same
   * dispatches; the copies only read x between passes).
   */
  filmStrip(n: number, options: FmSampleOptions, columns: readonly number[]): Promise<FmFilmStrip> {
    this.checkSolver(options);
    checkColumns(columns, options.steps);
    return this.integrate(n, options, undefined, columns).then((values) => ({
      columns: [...columns],
      values,
    }));
  }

  private async integrate(
    n: number,
    options: FmSampleOptions,
    initial: Float32Array | undefined,
    columns?: readonly number[],
    backwards = false,
  ): Promise<Float32Array> {
    const weights = this.weightsBuffer(options.weights);
    const { sampler, steps, seed } = options;
    const values = n * this.dims;
    if (!Number.isInteger(n) || n < 1 || values > MAX_FM_SAMPLE_VALUES) {
      throw new GpuLimitError(
        `sample(n) needs 1 ≤ n ≤ ${Math.floor(MAX_FM_SAMPLE_VALUES / this.dims)} images of ` +
          `${this.spec.shape.join('×')} per call, got ${n}; sample in several calls.`,
      );
    }
    const { pool, device, readback } = this.runtime;
    const owned: PooledBuffer[] = [];
    const floats = (count: number, name: string) => {
      const buffer = pool.acquire(
        count * 4,
        STORAGE_USAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        `fm sample ${name}`,
      );
      owned.push(buffer);
      return buffer;
    };
    // Rows of the half-step grid t_j = 1 − j/(2·steps), j = 0 … 2·steps, n copies each.
    const table = new Float32Array((2 * steps + 1) * n);
    // Backwards (encode): the same grid from t = 0 up, t_j = j/(2·steps), and the steps negated.
    for (let j = 0; j <= 2 * steps; j++) {
      table.fill(fmHalfGridTime(backwards ? 2 * steps - j : j, steps), j * n, (j + 1) * n);
    }
    const timeTable = pool.upload(
      table,
      STORAGE_USAGE | GPUBufferUsage.COPY_SRC,
      'fm sample time table',
    );
    owned.push(timeTable);
    const x = floats(values, 'x');
    const xin = floats(values, 'U-Net input');
    const v = floats(values, 'v̂');
    const acc = floats(values, 'RK4 slope sum');
    const time = floats(n, 't');
    const strip = columns ? floats(columns.length * values, 'film strip') : undefined;
    const binding = await bindDenoiser(this.runtime, this.unet, {
      n,
      params: weights,
      paramOffset: this.offset,
      input: xin,
      time,
      output: v,
      values,
      guidance: options.guidance,
      label: 'fm sampler',
    });
    const [seedLo, seedHi] = seedKey(seed);
    const op = (entry: Entry, a: PooledBuffer, b: PooledBuffer, out: PooledBuffer, c: number) => {
      const words = new Uint32Array(8);
      words.set([values, seedLo, seedHi, 0]);
      new Float32Array(words.buffer).set([c], 4);
      const uniforms = pool.upload(words, GPUBufferUsage.UNIFORM, `fm ${entry} uniforms`);
      owned.push(uniforms);
      const kernel = this.kernels[entry];
      const group = kernel.bind(
        device,
        [uniforms.binding, a.binding, b.binding, out.binding],
        `fm ${entry}`,
      );
      const items = entry === 'prior_noise' ? Math.ceil(values / 4) : values;
      return (pass: GPUComputePassEncoder) => kernel.encode(pass, group, items);
    };
    // steps 0 (priorNoise): no step is recorded.
    const h = steps > 0 ? (backwards ? -1 : 1) / steps : 0;
    const ops = {
      // prior_noise reads neither input: v stands in (x may not be bound both read-only and writable).
      noise: op('prior_noise', v, v, x, 0),
      load: op('combine', x, x, xin, 0),
      euler: op('accumulate', v, v, x, -h),
      slope: op('combine', v, v, acc, 0),
      halfStage: op('combine', x, v, xin, -h / 2),
      fullStage: op('combine', x, v, xin, -h),
      addTwice: op('accumulate', v, v, acc, 2),
      addOnce: op('accumulate', v, v, acc, 1),
      update: op('accumulate', acc, acc, x, -h / 6),
      heunUpdate: op('accumulate', acc, acc, x, -h / 2),
    };
    try {
      const encoder = device.createCommandEncoder({ label: `fm ${sampler} ${steps} steps` });
      const passOf = (record: (pass: GPUComputePassEncoder) => void) => {
        const pass = encoder.beginComputePass({ label: `fm ${sampler}` });
        record(pass);
        pass.end();
      };
      const setTime = (j: number) =>
        encoder.copyBufferToBuffer(timeTable.buffer, j * n * 4, time.buffer, 0, n * 4);
      const velocity = (pass: GPUComputePassEncoder) => binding.encode(pass);
      const keep = (done: number) => keepStripColumns(encoder, columns, done, x, strip, values);
      if (initial) device.queue.writeBuffer(x.buffer, 0, initial.slice());
      else passOf(ops.noise);
      for (let k = 0; k < steps; k++) {
        keep(k);
        setTime(2 * k);
        if (sampler === 'euler') {
          passOf((pass) => [ops.load, velocity, ops.euler].forEach((f) => f(pass)));
          continue;
        }
        if (sampler === 'heun') {
          // k₁ at t_k, k₂ at t_{k+1} from the Euler predictor; x ← x − h/2 (k₁ + k₂).
          passOf((pass) => [ops.load, velocity, ops.slope, ops.fullStage].forEach((f) => f(pass)));
          setTime(2 * k + 2);
          passOf((pass) => [velocity, ops.addOnce, ops.heunUpdate].forEach((f) => f(pass)));
          continue;
        }
        passOf((pass) => [ops.load, velocity, ops.slope, ops.halfStage].forEach((f) => f(pass)));
        setTime(2 * k + 1);
        passOf((pass) => [velocity, ops.addTwice, ops.halfStage].forEach((f) => f(pass)));
        passOf((pass) => [velocity, ops.addTwice, ops.fullStage].forEach((f) => f(pass)));
        setTime(2 * k + 2);
        passOf((pass) => [velocity, ops.addOnce, ops.update].forEach((f) => f(pass)));
      }
      keep(steps);
      device.queue.submit([encoder.finish()]);
      this.lastNfe = fmNfe(sampler, steps, options.guidance);
      if (strip) return await readback.readFloat32(strip.buffer, 0, columns!.length * values);
      return await readback.readFloat32(x.buffer, 0, values);
    } finally {
      binding.dispose();
      for (const buffer of owned) buffer.dispose();
    }
  }
}

/** Refuses film-strip columns that are not step counts in [0, steps] (RangeError naming them). */
export function checkColumns(columns: readonly number[], steps: number): void {
  if (columns.length < 1 || columns.some((c) => !Number.isInteger(c) || c < 0 || c > steps)) {
    throw new RangeError(
      `Film-strip columns are step counts in [0, ${steps}] (at least one), got [${columns.join(', ')}].`,
    );
  }
}

/**
 * Encodes the film strip's copies of x (`values` floats) after `done` steps into `strip`, one for
 * each column of that step count: between passes, so they change nothing the sampler computes.
 */
export function keepStripColumns(
  encoder: GPUCommandEncoder,
  columns: readonly number[] | undefined,
  done: number,
  x: PooledBuffer,
  strip: PooledBuffer | undefined,
  values: number,
): void {
  columns?.forEach((column, c) => {
    if (column === done) {
      encoder.copyBufferToBuffer(x.buffer, 0, strip!.buffer, c * values * 4, values * 4);
    }
  });
}

/** `count` step counts from 0 to `steps`, evenly spaced (rounded; fewer when steps < count − 1). */
export function evenColumns(steps: number, count: number): number[] {
  const columns = Array.from({ length: count }, (_, c) =>
    Math.round((c * steps) / Math.max(1, count - 1)),
  );
  return [...new Set(columns)];
}

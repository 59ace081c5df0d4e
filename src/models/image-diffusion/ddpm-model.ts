/**
 * Image DDPM on the GPU: the U-Net ε-denoiser's parameters (and EMA) and the samplers, DDPM's
 * ancestral and DDIM, from x_T ~ N(0, I) to x₀ in one submit. The steps' coefficients are the
 * 2-D models' plan (ddpmPlan); each step copies its row of a step table into the uniforms and its
 * time into the network's time buffer (buffer copies between compute passes), runs the U-Net and
 * shaders/image-diffusion/ddpm-sampler.wgsl's update. Twin: ddpm-reference.ts.
 */
import samplerSource from '../../../shaders/image-diffusion/ddpm-sampler.wgsl';
import {
  defineKernel,
  GpuLimitError,
  STORAGE_USAGE,
  workgroupsFor,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../../gpu';
import { PHILOX_LIBRARY } from '../../rng/random-fill';
import { seedKey } from '../../rng/philox';
import { makeSchedule, type ScheduleTable } from '../diffusion/schedule';
import { ddpmPlan, type DdpmSampleOptions } from './ddpm-reference';
import { IMAGE_DDPM_SAMPLERS, imageDdpmUNetShape, type ResolvedImageDdpmSpec } from './ddpm-spec';
import { checkColumns, keepStripColumns, MAX_FM_SAMPLE_VALUES, type FmFilmStrip } from './fm-model';
import { bindDenoiser } from './guidance';
import { evaluationsPerCall, type Guidance } from './guidance-reference';
import {
  createUNetWeights,
  ImageUNetModel,
  type ImageWeights,
  type UNetWeights,
} from './unet-model';

const ENTRIES = ['prior_noise', 'ddpm_step'] as const;
type Entry = (typeof ENTRIES)[number];

const samplerKernel = (entryPoint: Entry) =>
  defineKernel<number>({
    name: `image-diffusion/ddpm-${entryPoint}`,
    file: 'image-diffusion/ddpm-sampler.wgsl',
    source: samplerSource,
    libraries: [PHILOX_LIBRARY],
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'storage'],
    workgroupSize: 64,
    // One invocation per 4 values.
    dispatch: (values, wg) => workgroupsFor(Math.ceil(values / 4), wg),
  });

/** Words of one step's uniforms (StepUniforms). */
const STEP_WORDS = 8;

export interface DdpmGpuSampleOptions extends DdpmSampleOptions {
  seed: number;
  /** Class-conditional models: the classes and the guidance scale (checkGuidance). */
  guidance?: Guidance;
  /** Default: the EMA when the model holds one, else the parameters. */
  weights?: ImageWeights;
}

export class ImageDdpmModel extends ImageUNetModel {
  /** Network evaluations per image of the latest sample(). */
  lastNfe = 0;
  readonly schedule: ScheduleTable;

  private constructor(
    runtime: GpuRuntime,
    readonly spec: ResolvedImageDdpmSpec,
    weights: UNetWeights,
    private readonly kernels: Record<Entry, CompiledKernel>,
  ) {
    super(runtime, weights, `ddpm ${spec.shape.join('×')}`);
    this.schedule = makeSchedule({ kind: spec.schedule, timesteps: spec.timesteps });
  }

  static async create(runtime: GpuRuntime, spec: ResolvedImageDdpmSpec): Promise<ImageDdpmModel> {
    const [weights, ...kernels] = await Promise.all([
      createUNetWeights(
        runtime,
        imageDdpmUNetShape(spec),
        spec.seed,
        `ddpm ${spec.shape.join('×')}`,
      ),
      ...ENTRIES.map((e) => runtime.pipelines.get(samplerKernel(e))),
    ]);
    const byName = Object.fromEntries(ENTRIES.map((e, i) => [e, kernels[i]!])) as Record<
      Entry,
      CompiledKernel
    >;
    return new ImageDdpmModel(runtime, spec, weights, byName);
  }

  /** Network evaluations per image of a sampler: T for DDPM, the steps for DDIM (×2 guided). */
  nfe(options: DdpmSampleOptions, guidance?: Guidance): number {
    return this.plan(options).nfe * evaluationsPerCall(guidance);
  }

  /** n images in model space ([−1, 1] for data), reproducible per seed. */
  sample(n: number, options: DdpmGpuSampleOptions): Promise<Float32Array> {
    return this.run(n, options, this.plan(options).stages.length);
  }

  /**
   * DDIM with η = 0 (deterministic) from given x_T (n × C × H × W values): the probability-flow
   * map of latents to images; sample() of a seed equals sampleFrom(noise(n, seed, 0)) bit for bit.
   */
  sampleFrom(
    z: Float32Array,
    options: { steps?: number; weights?: ImageWeights; guidance?: Guidance },
  ): Promise<Float32Array> {
    const n = z.length / this.dims;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(
        `sampleFrom() takes whole latents of ${this.dims} values each, got ${z.length} values.`,
      );
    }
    const ddim = { ...options, seed: 0, sampler: 'ddim' as const, eta: 0 };
    return this.run(n, ddim, this.plan(ddim).stages.length, undefined, z);
  }

  /**
   * sample()'s steps, keeping x after each stage count of `columns` (integers in [0, stages]:
   * 0 the prior x_T, the last the sample, bit for bit sample()'s), column-major as FmFilmStrip.
   */
  filmStrip(
    n: number,
    options: DdpmGpuSampleOptions,
    columns: readonly number[],
  ): Promise<FmFilmStrip> {
    const stages = this.plan(options).stages.length;
    checkColumns(columns, stages);
    return this.run(n, options, stages, undefined, undefined, columns).then((values) => ({
      columns: [...columns],
      values,
    }));
  }

  /** Stages of a sampler (DDPM: T; DDIM: its steps). */
  stageCount(options: DdpmSampleOptions): number {
    return this.plan(options).stages.length;
  }

  /** The sampler's draws of `step` (0: the prior x_T; k: the noise of the k-th step). */
  noise(n: number, seed: number, step: number): Promise<Float32Array> {
    return this.run(n, { seed, sampler: 'ddpm' }, 0, step);
  }

  private plan(options: DdpmSampleOptions) {
    if (!IMAGE_DDPM_SAMPLERS.includes(options.sampler)) {
      throw new RangeError(
        `sampler must be ${IMAGE_DDPM_SAMPLERS.map((s) => `'${s}'`).join(' or ')}, got ${JSON.stringify(options.sampler)}.`,
      );
    }
    return ddpmPlan(this.schedule, options);
  }

  /**
   * The first `steps` stages of the plan from the prior draws (or from `initial`); with
   * `noiseStep`, no stage: the draws of that step alone (an update with m = w = 0, σ = 1).
   */
  private async run(
    n: number,
    options: DdpmGpuSampleOptions,
    steps: number,
    noiseStep?: number,
    initial?: Float32Array,
    columns?: readonly number[],
  ): Promise<Float32Array> {
    const weights = this.weightsBuffer(options.weights);
    const values = n * this.dims;
    if (!Number.isInteger(n) || n < 1 || values > MAX_FM_SAMPLE_VALUES) {
      throw new GpuLimitError(
        `sample(n) needs 1 ≤ n ≤ ${Math.floor(MAX_FM_SAMPLE_VALUES / this.dims)} images of ` +
          `${this.spec.shape.join('×')} per call, got ${n}; sample in several calls.`,
      );
    }
    const { seed } = options;
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`seed must be an integer in [0, 2^53), got ${String(seed)}.`);
    }
    const stages = this.plan(options).stages.slice(0, steps);
    const { pool, device, readback } = this.runtime;
    const owned: PooledBuffer[] = [];
    const keep = (buffer: PooledBuffer) => (owned.push(buffer), buffer);
    const floats = (count: number, name: string) =>
      keep(
        pool.acquire(
          Math.max(4, count) * 4,
          STORAGE_USAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
          `ddpm sample ${name}`,
        ),
      );
    const [seedLo, seedHi] = seedKey(seed);
    // Row 0: the prior draws; row k ≥ 1: stage k − 1 (or the draws of noiseStep).
    const rows = noiseStep === undefined ? stages : [{ m: 0, w: 0, sigma: 1, noiseStep }];
    const words = new Uint32Array((rows.length + 1) * STEP_WORDS);
    const coefficients = new Float32Array(words.buffer);
    words.set([values, seedLo, seedHi, 0]);
    rows.forEach((row, k) => {
      const at = (k + 1) * STEP_WORDS;
      words.set([values, seedLo, seedHi, row.noiseStep], at);
      coefficients.set([row.m, row.w, row.sigma], at + 4);
    });
    const stepTable = keep(pool.upload(words, STORAGE_USAGE, 'ddpm sample step table'));
    const times = new Float32Array(Math.max(1, stages.length) * n);
    stages.forEach((stage, k) => times.fill(stage.time.net, k * n, (k + 1) * n));
    const timeTable = keep(pool.upload(times, STORAGE_USAGE, 'ddpm sample time table'));
    const uniforms = keep(
      pool.acquire(
        STEP_WORDS * 4,
        GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        'ddpm sample step uniforms',
      ),
    );
    const x = floats(values, 'x');
    const eps = floats(values, 'ε̂');
    const time = floats(n, 't');
    const strip = columns ? floats(columns.length * values, 'film strip') : undefined;
    const keepColumn = (encoder: GPUCommandEncoder, done: number) =>
      keepStripColumns(encoder, columns, done, x, strip, values);
    const binding = await bindDenoiser(this.runtime, this.unet, {
      n,
      params: weights,
      paramOffset: this.offset,
      input: x,
      time,
      output: eps,
      values,
      guidance: options.guidance,
      label: 'ddpm sampler',
    });
    const groups = {
      noise: this.kernels.prior_noise.bind(
        device,
        [uniforms.binding, eps.binding, x.binding],
        'ddpm prior noise',
      ),
      step: this.kernels.ddpm_step.bind(
        device,
        [uniforms.binding, eps.binding, x.binding],
        'ddpm step',
      ),
    };
    try {
      const encoder = device.createCommandEncoder({ label: `ddpm ${options.sampler} sample` });
      const passOf = (record: (pass: GPUComputePassEncoder) => void) => {
        const pass = encoder.beginComputePass({ label: `ddpm ${options.sampler}` });
        record(pass);
        pass.end();
      };
      const loadRow = (row: number) =>
        encoder.copyBufferToBuffer(
          stepTable.buffer,
          row * STEP_WORDS * 4,
          uniforms.buffer,
          0,
          STEP_WORDS * 4,
        );
      if (initial) {
        device.queue.writeBuffer(x.buffer, 0, initial.slice());
      } else {
        loadRow(0);
        passOf((pass) => this.kernels.prior_noise.encode(pass, groups.noise, values));
      }
      if (noiseStep !== undefined) {
        // The update with m = w = 0 reads ε̂ only as 0 · ε̂: clear it (no NaN from a reused buffer).
        encoder.clearBuffer(eps.buffer);
        loadRow(1);
        passOf((pass) => this.kernels.ddpm_step.encode(pass, groups.step, values));
      }
      stages.forEach((_, k) => {
        keepColumn(encoder, k);
        loadRow(k + 1);
        encoder.copyBufferToBuffer(timeTable.buffer, k * n * 4, time.buffer, 0, n * 4);
        passOf((pass) => {
          binding.encode(pass);
          this.kernels.ddpm_step.encode(pass, groups.step, values);
        });
      });
      keepColumn(encoder, stages.length);
      device.queue.submit([encoder.finish()]);
      this.lastNfe = stages.length * evaluationsPerCall(options.guidance);
      if (strip) return await readback.readFloat32(strip.buffer, 0, columns!.length * values);
      return await readback.readFloat32(x.buffer, 0, values);
    } finally {
      binding.dispose();
      for (const buffer of owned) buffer.dispose();
    }
  }
}

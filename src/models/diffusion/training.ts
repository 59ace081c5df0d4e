// Over 400 lines on purpose: one training task; its pairings (independent, minibatch OT, reflow) share the batch buffers.
/**
 * Denoiser training as a TrainingTask (src/nn/trainer.ts): each chunk samples all its x₀
 * batches in one dispatch (the data sampler, model coordinates); each step draws t and ε on the
 * GPU keyed by the GPU step (shaders/diffusion/train-batch.wgsl), embeds t, runs the fused MLP,
 * the MSE against ε / v / the flow velocity, and the backward pass. Nothing is uploaded per step.
 * Pairings (flow matching): 'minibatch-ot' also fills a noise bank at the chunk's start and
 * pairs each step's batch exactly on the GPU (ot-pairing.wgsl) before the batch kernel reads
 * it; 'reflow' gathers (x, z) pairs of a teacher into the x₀ and noise banks instead.
 */
import {
  type AdapterSummary,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
  STORAGE_USAGE,
} from '../../gpu';
import type { EmbedConcat } from '../../nn/layers';
import { mseKernel } from '../../nn/losses';
import type { TrainingTask } from '../../nn/trainer';
import type { DenoiserNet, NetBinding } from './denoiser';
import { normal4, philox4x32_10, seedKey, unitFromBits } from '../../rng/philox';
import { MAX_OT_BATCH, otAssignment } from './assignment';
import {
  BATCH_KINDS,
  NOISE_SOURCES,
  noiseFillKernel,
  otPairingKernel,
  trainBatchKernel,
} from './kernels';
import type { ScheduleTable } from './schedule';
import type { Pairing } from './spec';

const STORAGE = STORAGE_USAGE;

/** Philox stream of t and ε in training batches ('TRND'). */
export const TRAIN_STREAM = 0x54524e44;

/**
 * Where x₀ comes from: records one dispatch writing `count·batches` points (vec2<f32>, model
 * coordinates), batch i for step `step + i`, into `target`; returns its uniform buffer, released
 * after the submit. src/data's DatasetSampler is one.
 */
export interface X0Sampler {
  encode(
    pass: GPUComputePassEncoder,
    target: PooledBuffer,
    request: { count: number; batches: number; seed: number; step: number; space: 'model' },
  ): PooledBuffer;
}

/**
 * Where reflow's (x₀, ε) pairs come from: records one dispatch writing `count·batches` pairs,
 * batch i for step `step + i`, x into `x0Target` and z into `noiseTarget` (model coordinates);
 * returns its uniform buffer, released after the submit. ReflowPairs is one.
 */
export interface PairSampler {
  readonly kind: 'pairs';
  encodePairs(
    pass: GPUComputePassEncoder,
    x0Target: PooledBuffer,
    noiseTarget: PooledBuffer,
    request: { count: number; batches: number; seed: number; step: number },
  ): PooledBuffer;
}

export type BatchKind = keyof typeof BATCH_KINDS;

function isPairSampler(sampler: X0Sampler | PairSampler): sampler is PairSampler {
  return 'kind' in sampler && sampler.kind === 'pairs';
}

/**
 * Invocations of the OT pairing's workgroup and the columns each one owns, for a batch. Every
 * Dijkstra iteration costs a barrier and hands each invocation all offers, so on CPU adapters
 * few invocations win (SwiftShader, n = 512: 4 → ≈ 0.12 s, 8 → ≈ 0.15 s, 16 → ≈ 0.2 s).
 */
export function otTuning(
  adapter: AdapterSummary,
  batch: number,
): { workgroupSize: number; columns: number } {
  const workgroupSize = adapter.isFallback ? 4 : 32;
  return { workgroupSize, columns: Math.max(1, Math.ceil(batch / workgroupSize)) };
}

/** The noise source of a batch twin: independent draws, OT-paired draws, or given ε (reflow). */
export type TwinNoise = 'independent' | 'minibatch-ot' | { noise: ArrayLike<number> };

export interface DiffusionTrainingOptions {
  batch: number;
  /** Seed of the x₀ batches and of t, ε. */
  seed: number;
  /** Most steps per submit: the x₀ bank holds that many batches. */
  maxStepsPerSubmit: number;
}

/** What the task trains: owned by the model, shared with its samplers. */
export interface DenoiserParts {
  kind: BatchKind;
  /** DDPM only. */
  table?: ScheduleTable;
  net: DenoiserNet;
  embed: EmbedConcat;
  params: PooledBuffer;
  parameterCount: number;
  /** Flow matching: how x₀ and ε are paired (default 'independent'). */
  pairing?: Pairing;
}

/**
 * CPU twin of one step's batch: the noised points, the network's time input and the targets,
 * for the x₀ batch of that step (float64 from the same Philox draws).
 */
export function trainingBatchTwin(
  kind: BatchKind,
  table: ScheduleTable | undefined,
  x0: ArrayLike<number>,
  seed: number,
  step: number,
  batch: number,
  noise: TwinNoise = 'independent',
) {
  const key = seedKey(seed);
  const noised = new Float64Array(2 * batch);
  const netTime = new Float64Array(batch);
  const targets = new Float64Array(2 * batch);
  let drawn: ArrayLike<number>;
  if (typeof noise === 'object') {
    drawn = noise.noise;
  } else {
    const independent = new Float64Array(2 * batch);
    for (let b = 0; b < batch; b++) {
      independent.set(normal4([b, step, TRAIN_STREAM, 1], key).slice(0, 2), 2 * b);
    }
    drawn = independent;
    if (noise === 'minibatch-ot') {
      const assignment = otAssignment(
        Array.from({ length: 2 * batch }, (_, i) => x0[i]!),
        drawn,
      );
      drawn = Float64Array.from({ length: 2 * batch }, (_, i) => {
        return independent[2 * assignment[i >> 1]! + (i & 1)]!;
      });
    }
  }
  for (let b = 0; b < batch; b++) {
    const bits = philox4x32_10([b, step, TRAIN_STREAM, 0], key);
    const x = [x0[2 * b]!, x0[2 * b + 1]!];
    const eps = [drawn[2 * b]!, drawn[2 * b + 1]!];
    for (let d = 0; d < 2; d++) {
      if (kind === 'flow') {
        const t = unitFromBits(bits[1]!);
        netTime[b] = t;
        noised[2 * b + d] = (1 - t) * x[d]! + t * eps[d]!;
        targets[2 * b + d] = eps[d]! - x[d]!;
      } else {
        const t = Math.floor((bits[0]! * table!.timesteps) / 2 ** 32);
        const a = table!.sqrtAlphaBar[t]!;
        const s = table!.sqrtOneMinusAlphaBar[t]!;
        netTime[b] = t;
        noised[2 * b + d] = a * x[d]! + s * eps[d]!;
        targets[2 * b + d] = kind === 'ddpm-eps' ? eps[d]! : a * eps[d]! - s * x[d]!;
      }
    }
  }
  return { noised, netTime, targets, noise: Float64Array.from(drawn) };
}

export class DiffusionTrainingTask implements TrainingTask {
  readonly label: string;
  readonly parameterCount: number;
  readonly gradientChunks: number;
  readonly lossTermCount: number;
  readonly dispatchesPerStep: number;
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly lossTerms: GPUBuffer;
  private readonly owned: PooledBuffer[] = [];
  private readonly batchUniforms: PooledBuffer;
  private readonly bank: PooledBuffer;
  private readonly noiseBank: PooledBuffer;
  private readonly pairing: Pairing;
  /** minibatch-ot: the chunk's noise draws and the per-step pairing. */
  private readonly otPairing:
    | {
        fillUniforms: PooledBuffer;
        fillGroup: GPUBindGroup;
        uniforms: PooledBuffer;
        group: GPUBindGroup;
      }
    | undefined;
  private readonly batchGroup: GPUBindGroup;
  private readonly lossGroup: GPUBindGroup;
  private readonly embedBinding: ReturnType<EmbedConcat['bind']>;
  private readonly netBinding: NetBinding;
  /** For tests: the x₀ bank, the step's noised points, network time, targets and output. */
  readonly buffers: Readonly<
    Record<'bank' | 'noiseBank' | 'noised' | 'netTime' | 'targets' | 'output', PooledBuffer>
  >;

  private constructor(
    private readonly runtime: GpuRuntime,
    parts: DenoiserParts,
    private readonly sampler: X0Sampler | PairSampler,
    private readonly options: DiffusionTrainingOptions,
    state: GPUBuffer,
    private readonly kernels: {
      batch: CompiledKernel;
      mse: CompiledKernel;
      fill?: CompiledKernel;
      ot?: CompiledKernel;
    },
  ) {
    const { batch, seed, maxStepsPerSubmit } = options;
    const pool = runtime.pool;
    const device = runtime.device;
    const own = (b: PooledBuffer) => (this.owned.push(b), b);
    this.label = `${parts.kind} training`;
    this.parameterCount = parts.parameterCount;
    this.gradientChunks = parts.net.chunks(batch);
    this.lossTermCount = batch;
    this.params = parts.params.buffer;
    const grads = own(
      pool.acquire(this.gradientChunks * this.parameterCount * 4, STORAGE, `${this.label} grads`),
    );
    this.grads = grads.buffer;
    this.bank = own(pool.acquire(maxStepsPerSubmit * batch * 8, STORAGE, `${this.label} x0 bank`));
    this.pairing = parts.pairing ?? 'independent';
    // Independent pairs draw ε in the batch kernel; the placeholder only fills its binding.
    this.noiseBank = own(
      pool.acquire(
        this.pairing === 'independent' ? 16 : maxStepsPerSubmit * batch * 8,
        STORAGE,
        `${this.label} noise bank`,
      ),
    );
    const noised = own(pool.acquire(batch * 8, STORAGE, `${this.label} x_t`));
    const netTime = own(pool.acquire(batch * 4, STORAGE, `${this.label} network time`));
    const targets = own(pool.acquire(batch * 8, STORAGE, `${this.label} targets`));
    const netIn = own(
      pool.acquire(batch * parts.embed.width * 4, STORAGE, `${this.label} network input`),
    );
    const output = own(pool.acquire(batch * 8, STORAGE, `${this.label} prediction`));
    const gradOutput = own(pool.acquire(batch * 8, STORAGE, `${this.label} dL/dprediction`));
    const terms = own(pool.acquire(batch * 4, STORAGE, `${this.label} loss terms`));
    this.lossTerms = terms.buffer;
    this.buffers = { bank: this.bank, noiseBank: this.noiseBank, noised, netTime, targets, output };
    // A DDPM step reads (√ᾱ_t, √(1 − ᾱ_t)); flows read nothing from it.
    const T = parts.table?.timesteps ?? 1;
    const coefficients = new Float32Array(2 * T);
    for (let t = 0; parts.table && t < T; t++) {
      coefficients[2 * t] = parts.table.sqrtAlphaBar[t]!;
      coefficients[2 * t + 1] = parts.table.sqrtOneMinusAlphaBar[t]!;
    }
    const table = own(pool.upload(coefficients, GPUBufferUsage.STORAGE, `${this.label} schedule`));
    const [seedLo, seedHi] = seedKey(seed);
    this.batchUniforms = own(
      pool.upload(
        new Uint32Array([batch, 0, seedLo, seedHi, T, 0, 0, 0]),
        GPUBufferUsage.UNIFORM,
        `${this.label} batch uniforms`,
      ),
    );
    const lossUniforms = own(
      pool.upload(
        new Uint32Array([batch, 2, 0, 0]),
        GPUBufferUsage.UNIFORM,
        `${this.label} loss uniforms`,
      ),
    );
    this.batchGroup = kernels.batch.bind(
      device,
      [
        this.batchUniforms.binding,
        state,
        this.bank.binding,
        table.binding,
        noised.binding,
        netTime.binding,
        targets.binding,
        this.noiseBank.binding,
      ],
      `${this.label} batch`,
    );
    if (this.pairing === 'minibatch-ot') {
      const fillUniforms = own(
        pool.upload(
          new Uint32Array([batch, 0, 0, seedLo, seedHi, TRAIN_STREAM, 1, 0]),
          GPUBufferUsage.UNIFORM,
          `${this.label} noise-fill uniforms`,
        ),
      );
      const uniforms = own(
        pool.upload(
          new Uint32Array([batch, 0, 0, 0]),
          GPUBufferUsage.UNIFORM,
          `${this.label} OT pairing uniforms`,
        ),
      );
      this.otPairing = {
        fillUniforms,
        fillGroup: kernels.fill!.bind(
          device,
          [fillUniforms.binding, this.noiseBank.binding],
          `${this.label} noise fill`,
        ),
        uniforms,
        group: kernels.ot!.bind(
          device,
          [uniforms.binding, state, this.bank.binding, this.noiseBank.binding],
          `${this.label} OT pairing`,
        ),
      };
    }
    this.lossGroup = kernels.mse.bind(
      device,
      [lossUniforms.binding, output.binding, targets.binding, gradOutput.binding, terms.binding],
      `${this.label} loss`,
    );
    this.embedBinding = parts.embed.bind({
      batch,
      x: noised.binding,
      t: netTime.binding,
      out: netIn.binding,
    });
    this.netBinding = parts.net.bind(
      {
        batch,
        params: parts.params.binding,
        paramOffset: 0,
        input: netIn.binding,
        output: output.binding,
        gradOutput: gradOutput.binding,
        grads: grads.binding,
        gradStride: this.parameterCount,
      },
      `${this.label} denoiser`,
    );
    this.dispatchesPerStep = (this.otPairing ? 4 : 3) + parts.net.trainingDispatches;
  }

  static async create(
    runtime: GpuRuntime,
    parts: DenoiserParts,
    sampler: X0Sampler | PairSampler,
    options: DiffusionTrainingOptions,
    state: GPUBuffer,
  ): Promise<DiffusionTrainingTask> {
    const { batch, maxStepsPerSubmit } = options;
    const pairing = parts.pairing ?? 'independent';
    const pairs = isPairSampler(sampler);
    if (pairing === 'reflow' && !pairs) {
      throw new TypeError(
        "A model with pairing 'reflow' trains on (x, z) pairs of a teacher, not on a dataset: " +
          'pass lab.reflowPairs(teacher, …) as the training data.',
      );
    }
    if (pairing !== 'reflow' && pairs) {
      throw new TypeError(
        `Reflow pairs train a model with pairing 'reflow'; this model's pairing is '${pairing}'. ` +
          "Create the student with { kind: 'flow-matching', pairing: 'reflow' }.",
      );
    }
    if (pairing === 'minibatch-ot' && batch > MAX_OT_BATCH) {
      throw new RangeError(
        `Minibatch-OT pairing solves each batch exactly (O(batch³) in one GPU workgroup), so the ` +
          `batch must be at most ${MAX_OT_BATCH}, got ${batch}. Use a smaller batch or pairing 'independent'.`,
      );
    }
    for (const [field, value, max] of [
      ['batch', batch, 65_536],
      ['maxStepsPerSubmit', maxStepsPerSubmit, 4096],
    ] as const) {
      if (!Number.isInteger(value) || value < 1 || value > max) {
        throw new RangeError(`${field} must be an integer in [1, ${max}], got ${value}.`);
      }
    }
    const noise = pairing === 'independent' ? NOISE_SOURCES.philox : NOISE_SOURCES.bank;
    const tuning = otTuning(runtime.context.adapterInfo, batch);
    const [batchKernel, mse, fill, ot] = await Promise.all([
      runtime.pipelines.get(trainBatchKernel, { KIND: BATCH_KINDS[parts.kind], NOISE: noise }),
      runtime.pipelines.get(mseKernel),
      pairing === 'minibatch-ot' ? runtime.pipelines.get(noiseFillKernel) : undefined,
      pairing === 'minibatch-ot'
        ? runtime.pipelines.get(otPairingKernel, {
            WORKGROUP_SIZE: tuning.workgroupSize,
            COLUMNS: tuning.columns,
          })
        : undefined,
    ]);
    return new DiffusionTrainingTask(runtime, parts, sampler, options, state, {
      batch: batchKernel,
      mse,
      fill,
      ot,
    });
  }

  /** Samples the chunk's x₀ batches (steps firstStep …) into the bank in one dispatch. */
  encodeChunkStart(pass: GPUComputePassEncoder, firstStep: number, steps: number): PooledBuffer[] {
    if (steps > this.options.maxStepsPerSubmit) {
      throw new RangeError(
        `A chunk of ${steps} steps exceeds the x0 bank (${this.options.maxStepsPerSubmit} batches); ` +
          'submit fewer steps or create the task with a larger maxStepsPerSubmit.',
      );
    }
    const { batch, seed } = this.options;
    const queue = this.runtime.device.queue;
    queue.writeBuffer(this.batchUniforms.buffer, 4, new Uint32Array([firstStep]));
    const request = { count: batch, batches: steps, seed, step: firstStep };
    if (isPairSampler(this.sampler)) {
      return [this.sampler.encodePairs(pass, this.bank, this.noiseBank, request)];
    }
    const released = [this.sampler.encode(pass, this.bank, { ...request, space: 'model' })];
    if (this.otPairing) {
      queue.writeBuffer(this.otPairing.fillUniforms.buffer, 4, new Uint32Array([steps, firstStep]));
      queue.writeBuffer(this.otPairing.uniforms.buffer, 4, new Uint32Array([firstStep]));
      this.kernels.fill!.encode(pass, this.otPairing.fillGroup, batch * steps);
    }
    return released;
  }

  encodeStep(pass: GPUComputePassEncoder): void {
    const batch = this.options.batch;
    if (this.otPairing) this.kernels.ot!.encode(pass, this.otPairing.group, batch);
    this.kernels.batch.encode(pass, this.batchGroup, batch);
    this.embedBinding.encodeForward(pass);
    this.netBinding.encodeForward(pass, true);
    this.kernels.mse.encode(pass, this.lossGroup, batch);
    this.netBinding.encodeBackward(pass);
  }

  dispose(): void {
    this.embedBinding.dispose();
    this.netBinding.dispose();
    for (const buffer of this.owned) buffer.dispose();
    this.owned.length = 0;
  }
}

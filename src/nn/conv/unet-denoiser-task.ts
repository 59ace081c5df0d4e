/**
 * DDPM training of the small U-Net ε-denoiser as a TrainingTask (src/nn/trainer.ts): the batch
 * is made on the GPU (shaders/nn/image-diffusion-batch.wgsl: synthetic images x₀, t and ε from
 * Philox, x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε), then the U-Net forward, MSE(ε̂, ε) and the backward
 * pass. Nothing is uploaded per step. The schedule comes from the caller (a ScheduleTable of
 * src/models/diffusion fits), so the task stays in nn.
 */
import batchSource from '../../../shaders/nn/image-diffusion-batch.wgsl';
import {
  defineKernel,
  workgroupsFor,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../../gpu';
import { PHILOX_LIBRARY } from '../../rng/random-fill';
import { normal4, philox4x32_10, seedKey, uniform4 } from '../../rng/philox';
import { mseKernel } from '../losses';
import { ParameterLayout } from '../parameters';
import { TRAIN_STATE_LIBRARY } from '../train-state';
import type { TrainingTask } from '../trainer';
import { bindMse, IMAGE_STREAM, TaskBuffers } from './image-task-parts';
import { addUNetParameters, UNet, type UNetBinding, type UNetShape } from './unet';

const TRAIN_STREAM = 0x54524e44;

const batchKernel = defineKernel<number>({
  name: 'nn/image-diffusion-batch',
  file: 'nn/image-diffusion-batch.wgsl',
  source: batchSource,
  libraries: [PHILOX_LIBRARY, TRAIN_STATE_LIBRARY],
  bindings: ['uniform', 'storage', 'read-only-storage', 'storage', 'storage', 'storage'],
  workgroupSize: 64,
  dispatch: (values, wg) => workgroupsFor(Math.ceil(values / 4), wg),
});

/** The coefficients the batch needs, per step index t = 0 … timesteps − 1. */
export interface DiffusionCoefficients {
  readonly timesteps: number;
  readonly sqrtAlphaBar: ArrayLike<number>;
  readonly sqrtOneMinusAlphaBar: ArrayLike<number>;
}

export interface UNetDenoiserSpec {
  unet: UNetShape;
  batch: number;
  seed: number;
  schedule: DiffusionCoefficients;
}

/**
 * CPU twin of the batch kernel for `step`: x₀, the network's time input t, x_t and the target
 * ε (float64 from the same Philox draws; the GPU mixes them in float32).
 */
export function imageDiffusionBatchTwin(spec: UNetDenoiserSpec, step: number) {
  const { unet, batch, schedule } = spec;
  const key = seedKey(spec.seed);
  const values = unet.channels * unet.height * unet.width;
  const x0 = new Float64Array(batch * values);
  const noise = new Float64Array(batch * values);
  const noised = new Float64Array(batch * values);
  const time = new Float64Array(batch);
  for (let b = 0; b < batch; b++) {
    const bits = philox4x32_10([b, step, TRAIN_STREAM, 0], key);
    time[b] = Math.floor((bits[0]! * schedule.timesteps) / 2 ** 32);
  }
  for (let q = 0; q * 4 < batch * values; q++) {
    const u = uniform4([q, step, IMAGE_STREAM, 0], key);
    const eps = normal4([q, step, TRAIN_STREAM, 1], key);
    for (let lane = 0; lane < 4; lane++) {
      const i = 4 * q + lane;
      const t = time[Math.floor(i / values)]!;
      x0[i] = 2 * u[lane]! - 1;
      noise[i] = eps[lane]!;
      noised[i] =
        schedule.sqrtAlphaBar[t]! * x0[i]! + schedule.sqrtOneMinusAlphaBar[t]! * noise[i]!;
    }
  }
  return { x0, time, noised, noise };
}

export class UNetDenoiserTask implements TrainingTask {
  readonly label = 'unet-denoiser';
  readonly layout: ParameterLayout;
  readonly parameterCount: number;
  readonly gradientChunks: number;
  readonly lossTermCount: number;
  readonly dispatchesPerStep: number;
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly lossTerms: GPUBuffer;
  /** For tests: the step's x_t, t, ε and ε̂. */
  readonly buffers: Readonly<Record<'noised' | 'time' | 'noise' | 'output', PooledBuffer>>;
  private readonly owned: TaskBuffers;
  private readonly binding: UNetBinding;
  private readonly groups: { batch: GPUBindGroup; loss: GPUBindGroup };

  private constructor(
    runtime: GpuRuntime,
    readonly spec: UNetDenoiserSpec,
    readonly unet: UNet,
    state: GPUBuffer,
    private readonly kernels: { batch: CompiledKernel; mse: CompiledKernel },
  ) {
    const { batch, seed, schedule } = spec;
    const owned = new TaskBuffers(runtime.pool, 'unet');
    this.owned = owned;
    const floats = (n: number, name: string) => owned.floats(n, name);
    this.layout = new ParameterLayout();
    const offset = addUNetParameters(this.layout, 'unet', spec.unet);
    this.parameterCount = this.layout.total;
    this.gradientChunks = unet.chunks(batch);
    this.lossTermCount = batch;
    const params = owned.upload(this.layout.initialize(seed), 'params');
    // Zeroed once: chunks past the first hold only the dense layers' partial gradients.
    const grads = owned.upload(
      new Float32Array(this.gradientChunks * this.parameterCount),
      'grads',
    );
    const images = unet.imageFloats(batch);
    this.buffers = {
      noised: floats(images, 'x_t'),
      time: floats(batch, 't'),
      noise: floats(images, 'ε'),
      output: floats(images, 'ε̂'),
    };
    const gradOutput = floats(images, 'dL/dε̂');
    const terms = floats(batch, 'loss terms');
    this.binding = unet.bind(
      {
        batch,
        params: params.binding,
        paramOffset: offset,
        input: this.buffers.noised.binding,
        time: this.buffers.time.binding,
        output: this.buffers.output.binding,
        gradOutput: gradOutput.binding,
        grads: grads.binding,
        gradStride: this.parameterCount,
      },
      'unet-denoiser',
    );
    const table = new Float32Array(2 * schedule.timesteps);
    for (let t = 0; t < schedule.timesteps; t++) {
      table[2 * t] = schedule.sqrtAlphaBar[t]!;
      table[2 * t + 1] = schedule.sqrtOneMinusAlphaBar[t]!;
    }
    const tableBuffer = owned.upload(table, 'schedule table');
    const [seedLo, seedHi] = seedKey(seed);
    const uniform = (words: number[], name: string) => owned.uniforms(words, name);
    const device = runtime.device;
    this.groups = {
      batch: kernels.batch.bind(
        device,
        [
          uniform([batch, seedLo, seedHi, schedule.timesteps], 'batch uniforms').binding,
          state,
          tableBuffer.binding,
          this.buffers.noised.binding,
          this.buffers.noise.binding,
          this.buffers.time.binding,
        ],
        'unet batch',
      ),
      loss: bindMse(runtime, kernels.mse, owned, {
        batch,
        perSample: images / batch,
        prediction: this.buffers.output.binding,
        target: this.buffers.noise.binding,
        gradPrediction: gradOutput.binding,
        terms: terms.binding,
      }),
    };
    this.params = params.buffer;
    this.grads = grads.buffer;
    this.lossTerms = terms.buffer;
    this.dispatchesPerStep = dispatchesPerStep();
  }

  static async create(
    runtime: GpuRuntime,
    spec: UNetDenoiserSpec,
    state: GPUBuffer,
  ): Promise<UNetDenoiserTask> {
    const { channels, height, width } = spec.unet;
    const { timesteps, sqrtAlphaBar, sqrtOneMinusAlphaBar } = spec.schedule;
    if (
      !Number.isInteger(timesteps) ||
      timesteps < 1 ||
      sqrtAlphaBar.length < timesteps ||
      sqrtOneMinusAlphaBar.length < timesteps
    ) {
      throw new RangeError(
        `The U-Net task needs √ᾱ_t and √(1 − ᾱ_t) for t = 0 … T−1: got T = ${timesteps} with ` +
          `${sqrtAlphaBar.length} and ${sqrtOneMinusAlphaBar.length} values. Pass a schedule ` +
          `table (makeSchedule in src/models/diffusion).`,
      );
    }
    const [unet, batch, mse] = await Promise.all([
      UNet.create(runtime, spec.unet),
      runtime.pipelines.get(batchKernel, { VALUES: channels * height * width }),
      runtime.pipelines.get(mseKernel),
    ]);
    return new UNetDenoiserTask(runtime, spec, unet, state, { batch, mse });
  }

  encodeStep(pass: GPUComputePassEncoder): void {
    const images = this.unet.imageFloats(this.spec.batch);
    this.kernels.batch.encode(pass, this.groups.batch, images);
    this.binding.encodeForward(pass);
    this.kernels.mse.encode(pass, this.groups.loss, this.spec.batch);
    this.binding.encodeBackward(pass);
  }

  dispose(): void {
    this.binding.dispose();
    this.owned.dispose();
  }
}

/** Dispatches encodeStep records (the counts of the layers' bind() methods; tested). */
export function dispatchesPerStep(): number {
  // Residual block forward: 2 norms with their SiLU (2 each), 2 convs, time add, join (+ skip
  // conv); backward: 2 convs (2 each: identity activation, no δ pass), 2 norms (3 each), dL/de,
  // dL/dx join (+ skip conv, 2).
  const block = (skip: boolean) => 8 + 12 + (skip ? 3 : 0);
  // Embedding, dense in, 3 heads; backward: 3 heads and dense in (2 each), 2 sums of dL/dtemb.
  const time = 1 + 1 + 3 + 3 * 2 + 2 + 2;
  // conv in (no dL/dx: 1 + 1), up and conv out (1 + 2 each), GroupNorm + SiLU out (2 + 3).
  const layers = 2 + 3 + 3 + 5;
  // avg-pool and upsample (1 + 1 each), skip join, dL/dh1 sum.
  const maps = 4 + 2;
  // Batch and loss.
  return 2 + time + layers + maps + 2 * block(false) + block(true);
}

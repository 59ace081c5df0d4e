/**
 * Training of an image diffusion model's U-Net on an image set as a TrainingTask: each chunk
 * draws its batches (x₀ scaled to [−1, 1], no dequantization) from the set in GPU memory in one
 * dispatch pair; each step makes the U-Net's input, time and target on the GPU, runs the U-Net,
 * the MSE and the backward pass. The objective picks the batch kernel:
 *   flow matching  x_t = (1 − t) x₀ + t ε, target v = ε − x₀   (shaders/image-diffusion/fm-batch.wgsl)
 *   DDPM           x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε, target ε       (shaders/image-diffusion/ddpm-batch.wgsl)
 */
import classLabelsSource from '../../../shaders/image-diffusion/class-labels.wgsl';
import ddpmBatchSource from '../../../shaders/image-diffusion/ddpm-batch.wgsl';
import fmBatchSource from '../../../shaders/image-diffusion/fm-batch.wgsl';
import {
  defineKernel,
  workgroupsFor,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../../gpu';
import type { ImageSampler } from '../../data/images/kernels';
import type { ImagePreprocess } from '../../data/images/preprocess';
import { mseKernel } from '../../nn/losses';
import { TRAIN_STATE_LIBRARY } from '../../nn/train-state';
import type { TrainingTask } from '../../nn/trainer';
import { bindMse, TaskBuffers } from '../../nn/conv/image-task-parts';
import type { UNetBinding } from '../../nn/conv/unet';
import { dispatchesPerStep as unetTaskDispatches } from '../../nn/conv/unet-denoiser-task';
import { PHILOX_LIBRARY } from '../../rng/random-fill';
import { seedKey } from '../../rng/philox';
import type { ScheduleTable } from '../diffusion/schedule';
import type { ImageUNetModel } from './unet-model';

const BATCH_BINDINGS = [
  'uniform',
  'read-only-storage',
  'read-only-storage',
  'storage',
  'storage',
  'storage',
] as const;

const fmBatchKernel = defineKernel<number>({
  name: 'image-diffusion/fm-batch',
  file: 'image-diffusion/fm-batch.wgsl',
  source: fmBatchSource,
  libraries: [PHILOX_LIBRARY, TRAIN_STATE_LIBRARY],
  bindings: [...BATCH_BINDINGS],
  workgroupSize: 64,
  dispatch: (values, wg) => workgroupsFor(values, wg),
});

const ddpmBatchKernel = defineKernel<number>({
  name: 'image-diffusion/ddpm-batch',
  file: 'image-diffusion/ddpm-batch.wgsl',
  source: ddpmBatchSource,
  libraries: [PHILOX_LIBRARY, TRAIN_STATE_LIBRARY],
  bindings: [...BATCH_BINDINGS, 'read-only-storage'],
  workgroupSize: 64,
  dispatch: (values, wg) => workgroupsFor(values, wg),
});

const classLabelsKernel = defineKernel<number>({
  name: 'image-diffusion/class-labels',
  file: 'image-diffusion/class-labels.wgsl',
  source: classLabelsSource,
  libraries: [PHILOX_LIBRARY, TRAIN_STATE_LIBRARY],
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
  workgroupSize: 64,
  dispatch: (batch, wg) => workgroupsFor(batch, wg),
});

/** What the U-Net learns: flow matching's velocity, or DDPM's noise on a schedule. */
export type ImageDiffusionObjective =
  { kind: 'flow-matching' } | { kind: 'ddpm'; schedule: ScheduleTable };

export interface ImageDiffusionTrainingOptions {
  batch: number;
  seed: number;
  maxStepsPerSubmit: number;
  preprocess: ImagePreprocess;
  flips: boolean;
  /** Class-conditional models: the probability of the null class per sample (label dropout). */
  pUncond?: number;
}

/** GPU bytes per sample of the batch bank: D floats and a 16-byte item. */
export function imageDiffusionBankBytesPerSample(dims: number): number {
  return 4 * dims + 16;
}

export class ImageDiffusionTrainingTask implements TrainingTask {
  readonly label: string;
  readonly parameterCount: number;
  readonly gradientChunks: number;
  readonly lossTermCount: number;
  readonly dispatchesPerStep: number;
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly lossTerms: GPUBuffer;
  private readonly owned: TaskBuffers;
  private readonly binding: UNetBinding;
  private readonly groups: { batch: GPUBindGroup; loss: GPUBindGroup; labels?: GPUBindGroup };
  private readonly batchUniforms: PooledBuffer;
  private readonly labelUniforms: PooledBuffer | undefined;
  private readonly bank: PooledBuffer;
  private readonly bankItems: PooledBuffer;

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly model: ImageUNetModel,
    objective: ImageDiffusionObjective,
    private readonly sampler: ImageSampler,
    private readonly options: ImageDiffusionTrainingOptions,
    state: GPUBuffer,
    private readonly kernels: {
      batch: CompiledKernel;
      mse: CompiledKernel;
      labels: CompiledKernel;
    },
  ) {
    const { batch, maxStepsPerSubmit, seed } = options;
    const device = runtime.device;
    const dims = model.dims;
    const { channels, height, width } = model.unet.shape;
    this.label = `${objective.kind} ${channels}×${height}×${width} training`;
    const owned = new TaskBuffers(runtime.pool, this.label);
    this.owned = owned;
    const floats = (n: number, name: string) => owned.floats(n, name);
    this.parameterCount = model.parameterCount;
    this.gradientChunks = model.unet.chunks(batch);
    this.lossTermCount = batch;
    this.params = model.params.buffer;
    const grads = owned.gradients(this.gradientChunks, this.parameterCount);
    this.grads = grads.buffer;
    ({ bank: this.bank, items: this.bankItems } = owned.batchBank(maxStepsPerSubmit, batch, dims));
    const values = batch * dims;
    const noised = floats(values, 'x_t');
    const target = floats(values, objective.kind === 'ddpm' ? 'ε' : 'v = ε − x₀');
    const time = floats(batch, 't');
    const output = floats(values, 'U-Net output');
    const gradOutput = floats(values, 'dL/d output');
    const terms = floats(batch, 'loss terms');
    this.lossTerms = terms.buffer;
    const [seedLo, seedHi] = seedKey(seed);
    // Class-conditional: the step's labels (with dropout to the null class K) from the bank.
    const classes = model.unet.shape.classes ?? 0;
    const labels = classes > 0 ? floats(batch, 'class labels') : undefined;
    if (labels) {
      const words = new Uint32Array([batch, 0, seedLo, seedHi, classes, 0, 0, 0]);
      new Float32Array(words.buffer).set([options.pUncond ?? 0], 5);
      this.labelUniforms = owned.uniforms(Array.from(words), 'label uniforms');
    }
    this.binding = model.unet.bind(
      {
        batch,
        params: model.params.binding,
        paramOffset: model.offset,
        input: noised.binding,
        time: time.binding,
        output: output.binding,
        gradOutput: gradOutput.binding,
        grads: grads.binding,
        gradStride: this.parameterCount,
        ...(labels ? { labels: labels.binding } : {}),
      },
      this.label,
    );
    const timesteps = objective.kind === 'ddpm' ? objective.schedule.timesteps : 0;
    this.batchUniforms = owned.uniforms(
      [batch, dims, 0, seedLo, seedHi, timesteps, 0, 0],
      'batch uniforms',
    );
    const tableBinding: GPUBufferBinding[] = [];
    if (objective.kind === 'ddpm') {
      const { sqrtAlphaBar, sqrtOneMinusAlphaBar } = objective.schedule;
      const table = new Float32Array(2 * timesteps);
      for (let t = 0; t < timesteps; t++) {
        table[2 * t] = sqrtAlphaBar[t]!;
        table[2 * t + 1] = sqrtOneMinusAlphaBar[t]!;
      }
      tableBinding.push(owned.upload(table, 'schedule table').binding);
    }
    this.groups = {
      batch: kernels.batch.bind(
        device,
        [
          this.batchUniforms.binding,
          state,
          this.bank.binding,
          noised.binding,
          target.binding,
          time.binding,
          ...tableBinding,
        ],
        `${this.label} batch`,
      ),
      loss: bindMse(runtime, kernels.mse, owned, {
        batch,
        perSample: dims,
        prediction: output.binding,
        target: target.binding,
        gradPrediction: gradOutput.binding,
        terms: terms.binding,
      }),
      ...(labels && this.labelUniforms
        ? {
            labels: kernels.labels.bind(
              device,
              [this.labelUniforms.binding, state, this.bankItems.binding, labels.binding],
              `${this.label} class labels`,
            ),
          }
        : {}),
    };
    // The denoiser task's count: its batch and loss kernels are one dispatch each, as here;
    // a class-conditional net adds the labels and the class table's forward and backward.
    this.dispatchesPerStep = unetTaskDispatches() + (labels ? 3 : 0);
  }

  static async create(
    runtime: GpuRuntime,
    model: ImageUNetModel,
    objective: ImageDiffusionObjective,
    sampler: ImageSampler,
    options: ImageDiffusionTrainingOptions,
    state: GPUBuffer,
  ): Promise<ImageDiffusionTrainingTask> {
    const [batch, mse, labels] = await Promise.all([
      runtime.pipelines.get(objective.kind === 'ddpm' ? ddpmBatchKernel : fmBatchKernel),
      runtime.pipelines.get(mseKernel),
      runtime.pipelines.get(classLabelsKernel),
    ]);
    return new ImageDiffusionTrainingTask(runtime, model, objective, sampler, options, state, {
      batch,
      mse,
      labels,
    });
  }

  encodeChunkStart(pass: GPUComputePassEncoder, firstStep: number, steps: number): PooledBuffer[] {
    if (steps > this.options.maxStepsPerSubmit) {
      throw new RangeError(
        `A chunk of ${steps} steps exceeds the batch bank (${this.options.maxStepsPerSubmit}).`,
      );
    }
    const first = new Uint32Array([firstStep]);
    this.runtime.device.queue.writeBuffer(this.batchUniforms.buffer, 8, first);
    if (this.labelUniforms)
      this.runtime.device.queue.writeBuffer(this.labelUniforms.buffer, 4, first);
    return [
      this.sampler.encode(pass, this.bank, this.bankItems, this.options.preprocess, {
        count: this.options.batch,
        batches: steps,
        seed: this.options.seed,
        step: firstStep,
        flips: this.options.flips,
      }),
    ];
  }

  encodeStep(pass: GPUComputePassEncoder): void {
    this.kernels.batch.encode(pass, this.groups.batch, this.options.batch * this.model.dims);
    if (this.groups.labels) {
      this.kernels.labels.encode(pass, this.groups.labels, this.options.batch);
    }
    this.binding.encodeForward(pass);
    this.kernels.mse.encode(pass, this.groups.loss, this.options.batch);
    this.binding.encodeBackward(pass);
  }

  dispose(): void {
    this.binding.dispose();
    this.owned.dispose();
  }
}

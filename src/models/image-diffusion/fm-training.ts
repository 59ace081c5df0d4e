/**
 * Flow-matching training of the U-Net on an image set as a TrainingTask: each chunk draws its
 * batches (x₀ scaled to [−1, 1], no dequantization) from the set in GPU memory in one dispatch
 * pair; each step makes x_t, t and the target v = ε − x₀ on the GPU
 * (shaders/image-diffusion/fm-batch.wgsl), runs the U-Net, the MSE and the backward pass.
 */
import batchSource from '../../../shaders/image-diffusion/fm-batch.wgsl';
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
import type { ImageFlowMatchingModel } from './fm-model';

const batchKernel = defineKernel<number>({
  name: 'image-diffusion/fm-batch',
  file: 'image-diffusion/fm-batch.wgsl',
  source: batchSource,
  libraries: [PHILOX_LIBRARY, TRAIN_STATE_LIBRARY],
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage', 'storage', 'storage'],
  workgroupSize: 64,
  dispatch: (values, wg) => workgroupsFor(values, wg),
});

export interface FmTrainingOptions {
  batch: number;
  seed: number;
  maxStepsPerSubmit: number;
  preprocess: ImagePreprocess;
  flips: boolean;
}

/** GPU bytes per sample of the batch bank: D floats and a 16-byte item. */
export function fmBankBytesPerSample(dims: number): number {
  return 4 * dims + 16;
}

export class FmTrainingTask implements TrainingTask {
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
  private readonly groups: { batch: GPUBindGroup; loss: GPUBindGroup };
  private readonly batchUniforms: PooledBuffer;
  private readonly bank: PooledBuffer;
  private readonly bankItems: PooledBuffer;

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly model: ImageFlowMatchingModel,
    private readonly sampler: ImageSampler,
    private readonly options: FmTrainingOptions,
    state: GPUBuffer,
    private readonly kernels: { batch: CompiledKernel; mse: CompiledKernel },
  ) {
    const { batch, maxStepsPerSubmit, seed } = options;
    const device = runtime.device;
    const dims = model.dims;
    this.label = `flow matching ${model.spec.shape.join('×')} training`;
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
    const target = floats(values, 'v = ε − x₀');
    const time = floats(batch, 't');
    const output = floats(values, 'v̂');
    const gradOutput = floats(values, 'dL/dv̂');
    const terms = floats(batch, 'loss terms');
    this.lossTerms = terms.buffer;
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
      },
      this.label,
    );
    const [seedLo, seedHi] = seedKey(seed);
    this.batchUniforms = owned.uniforms(
      [batch, dims, 0, seedLo, seedHi, 0, 0, 0],
      'batch uniforms',
    );
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
    };
    // The denoiser task's count: its batch and loss kernels are one dispatch each, as here.
    this.dispatchesPerStep = unetTaskDispatches();
  }

  static async create(
    runtime: GpuRuntime,
    model: ImageFlowMatchingModel,
    sampler: ImageSampler,
    options: FmTrainingOptions,
    state: GPUBuffer,
  ): Promise<FmTrainingTask> {
    const [batch, mse] = await Promise.all([
      runtime.pipelines.get(batchKernel),
      runtime.pipelines.get(mseKernel),
    ]);
    return new FmTrainingTask(runtime, model, sampler, options, state, { batch, mse });
  }

  encodeChunkStart(pass: GPUComputePassEncoder, firstStep: number, steps: number): PooledBuffer[] {
    if (steps > this.options.maxStepsPerSubmit) {
      throw new RangeError(
        `A chunk of ${steps} steps exceeds the batch bank (${this.options.maxStepsPerSubmit}).`,
      );
    }
    this.runtime.device.queue.writeBuffer(
      this.batchUniforms.buffer,
      8,
      new Uint32Array([firstStep]),
    );
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
    this.binding.encodeForward(pass);
    this.kernels.mse.encode(pass, this.groups.loss, this.options.batch);
    this.binding.encodeBackward(pass);
  }

  dispose(): void {
    this.binding.dispose();
    this.owned.dispose();
  }
}

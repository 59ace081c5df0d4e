/**
 * Maximum-likelihood training of NICE as a TrainingTask: each chunk draws all its batches from
 * the image set in GPU memory in one dispatch pair (uniform dequantization, 'unit' scaling, each
 * item's pre-processing log-det; Philox keyed by the step), each step gathers its batch, runs the
 * flow forward, the loss (mean bits/dim on 8-bit pixels) and the backward pass.
 */
import type { CompiledKernel, GpuRuntime, PooledBuffer } from '../../gpu';
import { TaskBuffers } from '../../nn/conv/image-task-parts';
import type { ImageSampler } from '../../data/images/kernels';
import type { ImagePreprocess } from '../../data/images/preprocess';
import type { TrainingTask } from '../../nn/trainer';
import { niceBatchKernel, type NiceBinding } from './nice-network';
import type { NiceModel } from './nice-model';

export interface NiceTrainingOptions {
  batch: number;
  /** Seed of the data batches (images and dequantization noise). */
  seed: number;
  /** Most steps per submit (the batch bank holds that many batches). */
  maxStepsPerSubmit: number;
  preprocess: ImagePreprocess;
  /** Mirror drawn images left–right at random (the dataset's flips). */
  flips: boolean;
}

/** GPU bytes per sample of the batch bank: D floats and a 16-byte item. */
export function niceBankBytesPerSample(dims: number): number {
  return 4 * dims + 16;
}

export class NiceTrainingTask implements TrainingTask {
  readonly label: string;
  readonly parameterCount: number;
  readonly gradientChunks: number;
  readonly lossTermCount: number;
  readonly dispatchesPerStep: number;
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly lossTerms: GPUBuffer;
  private readonly owned: TaskBuffers;
  private readonly binding: NiceBinding;
  private readonly gatherGroup: GPUBindGroup;
  private readonly gatherUniforms: PooledBuffer;
  private readonly bank: PooledBuffer;
  private readonly bankItems: PooledBuffer;

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly model: NiceModel,
    private readonly sampler: ImageSampler,
    private readonly options: NiceTrainingOptions,
    state: GPUBuffer,
    private readonly gather: CompiledKernel,
  ) {
    const { batch, maxStepsPerSubmit } = options;
    const device = runtime.device;
    const dims = model.dims;
    this.label = `${model.spec.kind} ${model.spec.shape.join('×')} training`;
    const owned = new TaskBuffers(runtime.pool, this.label);
    this.owned = owned;
    const floats = (n: number, name: string) => owned.floats(n, name);
    this.parameterCount = model.parameterCount;
    this.gradientChunks = model.network.gradientChunks(batch);
    this.lossTermCount = batch;
    this.params = model.params.buffer;
    // The scaling writes only the first chunk: its entries in the other chunks stay 0.
    const grads = owned.gradients(this.gradientChunks, this.parameterCount);
    this.grads = grads.buffer;
    ({ bank: this.bank, items: this.bankItems } = owned.batchBank(maxStepsPerSubmit, batch, dims));
    const rows = floats(batch * dims, 'rows');
    const logDets = floats(batch, 'pre-processing log-dets');
    const perRow = floats(2 * batch, 'loss terms and log p');
    this.lossTerms = perRow.buffer;
    this.gatherUniforms = owned.uniforms([batch, dims, 0, 0], 'gather uniforms');
    this.gatherGroup = gather.bind(
      device,
      [
        this.gatherUniforms.binding,
        state,
        this.bank.binding,
        this.bankItems.binding,
        rows.binding,
        logDets.binding,
      ],
      `${this.label} gather`,
    );
    this.binding = model.network.bind(
      {
        batch,
        params: model.params.binding,
        rows: rows.binding,
        z: floats(batch * dims, 'z').binding,
        preLogDet: { buffer: logDets.binding, stride: 1, offset: 0 },
        perRow: perRow.binding,
        grads: { buffer: grads.binding, stride: this.parameterCount },
      },
      this.label,
    );
    this.dispatchesPerStep = 1 + this.binding.trainingDispatches;
  }

  static async create(
    runtime: GpuRuntime,
    model: NiceModel,
    sampler: ImageSampler,
    options: NiceTrainingOptions,
    state: GPUBuffer,
  ): Promise<NiceTrainingTask> {
    if (sampler.dims !== model.dims) {
      throw new RangeError(
        `A ${model.spec.kind} of ${model.dims} values per image cannot train on images of ${sampler.dims}.`,
      );
    }
    const gather = await runtime.pipelines.get(niceBatchKernel);
    return new NiceTrainingTask(runtime, model, sampler, options, state, gather);
  }

  encodeChunkStart(pass: GPUComputePassEncoder, firstStep: number, steps: number): PooledBuffer[] {
    if (steps > this.options.maxStepsPerSubmit) {
      throw new RangeError(
        `A chunk of ${steps} steps exceeds the batch bank (${this.options.maxStepsPerSubmit}).`,
      );
    }
    this.runtime.device.queue.writeBuffer(
      this.gatherUniforms.buffer,
      8,
      new Uint32Array([firstStep]),
    );
    const uniforms = this.sampler.encode(pass, this.bank, this.bankItems, this.options.preprocess, {
      count: this.options.batch,
      batches: steps,
      seed: this.options.seed,
      step: firstStep,
      flips: this.options.flips,
    });
    return [uniforms];
  }

  encodeStep(pass: GPUComputePassEncoder): void {
    this.gather.encode(pass, this.gatherGroup, this.options.batch * this.model.dims);
    this.binding.encodeForward(pass);
    this.binding.encodeBackward(pass);
  }

  dispose(): void {
    this.binding.dispose();
    this.owned.dispose();
  }
}

/**
 * Maximum-likelihood training of a flow as a TrainingTask: each chunk samples all its batches
 * from the dataset in one dispatch (model coordinates, Philox keyed by the step), each step
 * gathers its batch, runs every layer forward, the NLL, and every layer backward.
 */
import { type CompiledKernel, type GpuRuntime, type PooledBuffer, STORAGE_USAGE } from '../../gpu';
import type { DatasetSampler } from '../../data/kernels';
import { kernelTuning } from '../../nn/kernels';
import type { TrainingTask } from '../../nn/trainer';
import type { BoundLayer } from './flow-layer';
import { nllKernel } from './flow-kernels';
import type { FlowModel } from './flow-model';

const STORAGE = STORAGE_USAGE;

export interface FlowTrainingOptions {
  batch: number;
  /** Seed of the data batches. */
  seed: number;
  /** Most steps per submit (the batch bank holds that many batches). */
  maxStepsPerSubmit: number;
}

export class FlowTrainingTask implements TrainingTask {
  readonly label: string;
  readonly parameterCount: number;
  readonly gradientChunks: number;
  readonly lossTermCount: number;
  readonly dispatchesPerStep: number;
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly lossTerms: GPUBuffer;
  private readonly owned: PooledBuffer[] = [];
  private readonly bound: BoundLayer[];
  private readonly gatherGroup: GPUBindGroup;
  private readonly nllUniforms: PooledBuffer;
  private readonly bank: PooledBuffer;

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly model: FlowModel,
    private readonly sampler: DatasetSampler,
    private readonly options: FlowTrainingOptions,
    state: GPUBuffer,
    private readonly kernels: { gather: CompiledKernel; nll: CompiledKernel },
  ) {
    const { batch } = options;
    const pool = runtime.pool;
    const own = (b: PooledBuffer) => (this.owned.push(b), b);
    const k = model.layers.length;
    this.label = `${model.spec.kind} training`;
    this.parameterCount = model.parameterCount;
    this.gradientChunks = Math.ceil(
      batch / kernelTuning(runtime.context.adapterInfo, model.spec.hidden).chunkSize,
    );
    this.lossTermCount = batch;
    this.params = model.params.buffer;
    const grads = own(
      pool.acquire(
        this.gradientChunks * this.parameterCount * 4,
        STORAGE,
        `${this.label} gradients`,
      ),
    );
    // Small layers write only the first chunk: the other chunks of their entries must stay 0.
    const clear = runtime.device.createCommandEncoder({ label: 'clear gradients' });
    clear.clearBuffer(grads.buffer);
    runtime.device.queue.submit([clear.finish()]);
    this.grads = grads.buffer;
    this.bank = own(
      pool.acquire(options.maxStepsPerSubmit * batch * 8, STORAGE, `${this.label} batch bank`),
    );
    const xs = Array.from({ length: k + 1 }, (_, i) =>
      own(pool.acquire(batch * 8, STORAGE, `${this.label} x${i}`)),
    );
    const gxs = Array.from({ length: k + 1 }, (_, i) =>
      own(pool.acquire(batch * 8, STORAGE, `${this.label} dL/dx${i}`)),
    );
    const logDet = own(pool.acquire(Math.max(1, k) * batch * 4, STORAGE, `${this.label} log|det|`));
    const terms = own(pool.acquire(batch * 4, STORAGE, `${this.label} loss terms`));
    this.lossTerms = terms.buffer;
    this.nllUniforms = own(
      pool.upload(
        new Uint32Array([batch, k, 0, 0]),
        GPUBufferUsage.UNIFORM,
        `${this.label} nll uniforms`,
      ),
    );
    this.bound = model.layers.map((layer, i) =>
      layer.bind(runtime, {
        batch,
        params: model.params.binding,
        x: xs[i]!.binding,
        y: xs[i + 1]!.binding,
        logDet: logDet.binding,
        logDetOffset: i * batch,
        grads: grads.binding,
        gradStride: this.parameterCount,
        gradX: gxs[i]!.binding,
        gradY: gxs[i + 1]!.binding,
        logDetWeight: -1 / batch,
      }),
    );
    this.gatherGroup = kernels.gather.bind(runtime.device, [
      this.nllUniforms.binding,
      state,
      this.bank.binding,
      xs[0]!.binding,
      xs[k]!.binding,
      logDet.binding,
      terms.binding,
      gxs[k]!.binding,
    ]);
    this.dispatchesPerStep =
      2 + this.bound.reduce((sum, b) => sum + b.dispatches.forward + b.dispatches.backward, 0);
  }

  static async create(
    runtime: GpuRuntime,
    model: FlowModel,
    sampler: DatasetSampler,
    options: FlowTrainingOptions,
    state: GPUBuffer,
  ): Promise<FlowTrainingTask> {
    const [gather, nll] = await Promise.all([
      runtime.pipelines.get(nllKernel('gather')),
      runtime.pipelines.get(nllKernel('nll')),
    ]);
    return new FlowTrainingTask(runtime, model, sampler, options, state, { gather, nll });
  }

  encodeChunkStart(pass: GPUComputePassEncoder, firstStep: number, steps: number): PooledBuffer[] {
    if (steps > this.options.maxStepsPerSubmit) {
      throw new RangeError(
        `A chunk of ${steps} steps exceeds the batch bank (${this.options.maxStepsPerSubmit}).`,
      );
    }
    this.runtime.device.queue.writeBuffer(this.nllUniforms.buffer, 8, new Uint32Array([firstStep]));
    const uniforms = this.sampler.encode(pass, this.bank, {
      count: this.options.batch,
      batches: steps,
      seed: this.options.seed,
      step: firstStep,
      space: 'model',
    });
    return [uniforms];
  }

  encodeStep(pass: GPUComputePassEncoder): void {
    const batch = this.options.batch;
    this.kernels.gather.encode(pass, this.gatherGroup, batch);
    for (const layer of this.bound) layer.encodeForward(pass, true);
    this.kernels.nll.encode(pass, this.gatherGroup, batch);
    for (let k = this.bound.length - 1; k >= 0; k--) this.bound[k]!.encodeBackward(pass);
  }

  dispose(): void {
    this.bound.forEach((b) => b.dispose());
    this.owned.forEach((b) => b.dispose());
  }
}

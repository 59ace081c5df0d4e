/**
 * The training loop core: encodes many steps per submit (loss terms and gradients from the
 * task, fixed-order loss reduction, optimizer), sizes each submit to ~20 ms of GPU work from
 * measured times, and reads losses back asynchronously without stalling the queue.
 *
 * exportState()/TrainerOptions.initialState carry the optimizer across trainers (a new batch
 * size, a new device, a continue after stop): the step counter (Adam's bias correction, the
 * learning-rate schedule, and the data batches keyed by step), the moments and the EMA.
 */
import lossReduceSource from '../../shaders/nn/loss-reduce.wgsl';
import { defineKernel, type CompiledKernel, type GpuRuntime, type PooledBuffer } from '../gpu';
import { GpuOptimizer, type OptimizerBinding } from './optimizer';
import { resolveOptimizer, type OptimizerSpec } from './optimizer-config';
import {
  decodeTrainState,
  initialTrainState,
  LOSS_HISTORY,
  NO_NONFINITE_STEP,
  TRAIN_STATE_LIBRARY,
  TRAIN_STATE_WORDS,
  type TrainStateValues,
} from './train-state';

const lossReduceKernel = defineKernel<number>({
  name: 'nn/loss-reduce',
  file: 'nn/loss-reduce.wgsl',
  source: lossReduceSource,
  libraries: [TRAIN_STATE_LIBRARY],
  bindings: ['uniform', 'read-only-storage', 'storage', 'storage'],
  workgroupSize: 64,
  dispatch: () => [1, 1, 1],
});

/** What a model contributes to a training step. Created with the trainer's state buffer. */
export interface TrainingTask {
  readonly label: string;
  readonly parameterCount: number;
  /** Flat parameters (parameterCount floats). */
  readonly params: GPUBuffer;
  /** gradientChunks × parameterCount partial gradients, summed in order by the optimizer. */
  readonly grads: GPUBuffer;
  readonly gradientChunks: number;
  /** Per-sample loss terms whose sum is the loss. */
  readonly lossTerms: GPUBuffer;
  readonly lossTermCount: number;
  /** Dispatches encodeStep records (the trainer adds the loss reduction and optimizer). */
  readonly dispatchesPerStep: number;
  /** Batch, forward, loss terms, backward, weight gradients — reading the step from the state. */
  encodeStep(pass: GPUComputePassEncoder): void;
  /**
   * Optional: recorded once before a chunk's steps (e.g. sampling every batch of the chunk in
   * one dispatch). Returns buffers to release once the chunk is submitted.
   */
  encodeChunkStart?(pass: GPUComputePassEncoder, firstStep: number, steps: number): PooledBuffer[];
  dispose(): void;
}

export type TaskFactory<T extends TrainingTask> = (state: GPUBuffer) => T | Promise<T>;

export interface TrainerOptions {
  optimizer: OptimizerSpec;
  /** GPU time one submit should take, in ms (default 20). */
  targetSubmitMs?: number;
  /** Cap on steps per submit (default 256; tasks that pre-sample a chunk's batches size by it). */
  maxStepsPerSubmit?: number;
  /**
   * Continue from another trainer's exportState() (same parameter count): its step counter,
   * moments and EMA. The parameters themselves are the task's (restore them alongside).
   */
  initialState?: TrainerState;
}

/** Everything of a trainer but the parameters: enough for a new trainer to continue exactly. */
export interface TrainerState {
  parameterCount: number;
  /** Steps done: the next step's index. */
  step: number;
  /** The GPU TrainState words (step, learning rate, gradient norm, clip scale, …). */
  words: ArrayBuffer;
  /** Optimizer moments m, v, then the EMA of the weights: 3 × parameterCount floats. */
  moments: Float32Array;
}

/** The EMA of the weights kept in a trainer state (parameterCount floats, a view). */
export function emaOf(state: TrainerState): Float32Array {
  const p = state.parameterCount;
  return state.moments.subarray(2 * p, 3 * p);
}

export interface ChunkResult {
  /** Index of the first step of the chunk. */
  firstStep: number;
  losses: Float32Array;
  state: TrainStateValues;
}

export class Trainer<T extends TrainingTask = TrainingTask> {
  private stepsPerSubmit = 1;
  private encodedSteps = 0;
  private msPerStepEstimate = NaN;

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly task: T,
    private readonly optimizer: OptimizerBinding,
    private readonly reduce: CompiledKernel,
    private readonly reduceGroup: GPUBindGroup,
    private readonly owned: PooledBuffer[],
    private readonly options: Required<Omit<TrainerOptions, 'optimizer' | 'initialState'>>,
  ) {}

  static async create<T extends TrainingTask>(
    runtime: GpuRuntime,
    createTask: TaskFactory<T>,
    options: TrainerOptions,
  ): Promise<Trainer<T>> {
    const opt = resolveOptimizer(options.optimizer);
    const pool = runtime.pool;
    const initial = options.initialState;
    const state = pool.upload(
      new Uint8Array(initial ? resumedWords(initial) : initialTrainState()),
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      'train state',
    );
    const history = pool.acquire(
      LOSS_HISTORY * 4,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      'loss history',
    );
    const [task, optimizer, reduce] = await Promise.all([
      createTask(state.buffer),
      GpuOptimizer.create(runtime),
      runtime.pipelines.get(lossReduceKernel),
    ]);
    let momentsData: Float32Array;
    if (initial) {
      if (initial.parameterCount !== task.parameterCount) {
        task.dispose();
        state.dispose();
        history.dispose();
        throw new RangeError(
          `A trainer state for ${initial.parameterCount} parameters cannot continue training ` +
            `${task.label} (${task.parameterCount} parameters); start without initialState.`,
        );
      }
      momentsData = initial.moments.slice();
    } else {
      const params = await runtime.readback.read(task.params, 0, task.parameterCount * 4);
      // m = v = 0; the EMA starts at the initial weights.
      momentsData = new Float32Array(3 * task.parameterCount);
      momentsData.set(new Float32Array(params), 2 * task.parameterCount);
    }
    const moments = pool.upload(
      momentsData,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      `${task.label} moments`,
    );
    const binding = optimizer.bind(
      { params: task.params, grads: task.grads, moments: moments.buffer, state: state.buffer },
      opt,
      task.parameterCount,
      task.gradientChunks,
      `${task.label} optimizer`,
    );
    const reduceUniforms = pool.upload(
      new Uint32Array([task.lossTermCount, 0, 0, 0]),
      GPUBufferUsage.UNIFORM,
      `${task.label} loss-reduce uniforms`,
    );
    const reduceGroup = reduce.bind(
      runtime.device,
      [reduceUniforms.binding, task.lossTerms, state.buffer, history.buffer],
      `${task.label} loss reduce`,
    );
    const trainer = new Trainer(
      runtime,
      task,
      binding,
      reduce,
      reduceGroup,
      [state, history, moments, reduceUniforms],
      {
        targetSubmitMs: options.targetSubmitMs ?? 20,
        maxStepsPerSubmit: options.maxStepsPerSubmit ?? 256,
      },
    );
    // Chunk starts (batches pre-sampled by step) and the loss ring follow the GPU step counter.
    trainer.encodedSteps = initial?.step ?? 0;
    return trainer;
  }

  /**
   * The step counter, moments and EMA, read back (no chunk may be in flight: call it between
   * chunks). A new trainer given it as initialState continues bit-identically.
   */
  async exportState(): Promise<TrainerState> {
    const p = this.task.parameterCount;
    const [words, moments] = await Promise.all([
      this.runtime.readback.read(this.owned[0]!.buffer, 0, TRAIN_STATE_WORDS * 4),
      this.runtime.readback.readFloat32(this.owned[2]!.buffer, 0, 3 * p),
    ]);
    const step = decodeTrainState(words).step;
    if (step !== this.encodedSteps) {
      throw new Error(
        `exportState() found the GPU at step ${step} but ${this.encodedSteps} steps were ` +
          'submitted: wait for the chunk in flight before exporting.',
      );
    }
    return { parameterCount: p, step, words, moments };
  }

  /** Dispatches per training step, the design figure of the engine. */
  get dispatchesPerStep(): number {
    return this.task.dispatchesPerStep + 1 + this.optimizer.dispatches;
  }

  get stepsEncoded(): number {
    return this.encodedSteps;
  }

  /** Steps the next submit should hold (~targetSubmitMs of work, from measured step times). */
  get suggestedChunk(): number {
    return this.stepsPerSubmit;
  }

  /** Latest measured GPU wall time per step (ms), NaN before the first measurement. */
  get msPerStep(): number {
    return this.msPerStepEstimate;
  }

  /** Live optimizer change (e.g. learning rate) without resetting moments or the step count. */
  updateOptimizer(spec: OptimizerSpec): void {
    this.optimizer.update(resolveOptimizer(spec));
  }

  /**
   * Encodes `steps` steps into one submit and returns without waiting (benchmarks and
   * fire-and-forget training; the losses stay in the GPU history ring). Returns the first step.
   */
  submit(steps: number): number {
    if (!Number.isInteger(steps) || steps < 1 || steps > LOSS_HISTORY) {
      throw new RangeError(`A chunk must have 1 to ${LOSS_HISTORY} steps, got ${steps}.`);
    }
    const firstStep = this.encodedSteps;
    const encoder = this.runtime.device.createCommandEncoder({
      label: `${this.task.label} ${steps} steps`,
    });
    const pass = encoder.beginComputePass({ label: `${this.task.label} training` });
    const transient = this.task.encodeChunkStart?.(pass, firstStep, steps) ?? [];
    for (let i = 0; i < steps; i++) {
      this.task.encodeStep(pass);
      this.reduce.encode(pass, this.reduceGroup, 1);
      this.optimizer.encode(pass);
    }
    pass.end();
    this.runtime.device.queue.submit([encoder.finish()]);
    for (const buffer of transient) buffer.dispose();
    this.encodedSteps += steps;
    return firstStep;
  }

  /** Encodes `steps` steps into one submit; resolves when their losses are back. */
  async runChunk(steps: number): Promise<ChunkResult> {
    const firstStep = this.submit(steps);
    const started = performance.now();
    const [losses, stateBytes] = await Promise.all([
      this.readLosses(firstStep, steps),
      this.runtime.readback.read(this.owned[0]!.buffer, 0, TRAIN_STATE_WORDS * 4),
    ]);
    this.msPerStepEstimate = (performance.now() - started) / steps;
    this.adapt();
    return { firstStep, losses, state: decodeTrainState(stateBytes) };
  }

  /**
   * Trains `steps` steps in adaptively sized submits. `onChunk` sees every chunk's losses;
   * returning false stops early. Stops by itself at the first non-finite loss.
   */
  async train(
    steps: number,
    onChunk?: (chunk: ChunkResult) => boolean | void,
  ): Promise<ChunkResult[]> {
    const chunks: ChunkResult[] = [];
    let remaining = steps;
    while (remaining > 0) {
      const n = Math.min(remaining, this.stepsPerSubmit);
      const chunk = await this.runChunk(n);
      chunks.push(chunk);
      remaining -= n;
      if (chunk.state.firstNonfiniteStep !== undefined) break;
      if (onChunk?.(chunk) === false) break;
    }
    return chunks;
  }

  async readState(): Promise<TrainStateValues> {
    return decodeTrainState(
      await this.runtime.readback.read(this.owned[0]!.buffer, 0, TRAIN_STATE_WORDS * 4),
    );
  }

  async readParams(): Promise<Float32Array> {
    return this.runtime.readback.readFloat32(this.task.params, 0, this.task.parameterCount);
  }

  /** The exponential moving average of the weights (equal to the weights when EMA is off). */
  async readEmaParams(): Promise<Float32Array> {
    const p = this.task.parameterCount;
    return this.runtime.readback.readFloat32(this.owned[2]!.buffer, 2 * p * 4, p);
  }

  dispose(): void {
    this.optimizer.dispose();
    this.task.dispose();
    for (const owned of this.owned) owned.dispose();
  }

  private adapt(): void {
    if (!Number.isFinite(this.msPerStepEstimate) || this.msPerStepEstimate <= 0) return;
    const ideal = this.options.targetSubmitMs / this.msPerStepEstimate;
    // Grow at most 4× at a time so one slow submit never blocks the page for long.
    this.stepsPerSubmit = Math.max(
      1,
      Math.min(
        this.options.maxStepsPerSubmit,
        Math.round(Math.min(ideal, this.stepsPerSubmit * 4)),
      ),
    );
  }

  private async readLosses(firstStep: number, steps: number): Promise<Float32Array> {
    const history = this.owned[1]!.buffer;
    const start = firstStep % LOSS_HISTORY;
    const head = Math.min(steps, LOSS_HISTORY - start);
    const parts = [this.runtime.readback.readFloat32(history, start * 4, head)];
    if (head < steps) parts.push(this.runtime.readback.readFloat32(history, 0, steps - head));
    const read = await Promise.all(parts);
    const losses = new Float32Array(steps);
    let at = 0;
    for (const part of read) {
      losses.set(part, at);
      at += part.length;
    }
    return losses;
  }
}

/** The saved TrainState words, minus a stale non-finite flag (a resumed run starts clean). */
function resumedWords(initial: TrainerState): ArrayBuffer {
  if (initial.words.byteLength !== TRAIN_STATE_WORDS * 4) {
    throw new RangeError(
      `A trainer state has ${TRAIN_STATE_WORDS * 4} bytes of TrainState words, got ${initial.words.byteLength}.`,
    );
  }
  const words = initial.words.slice(0);
  new Uint32Array(words)[4] = NO_NONFINITE_STEP;
  return words;
}

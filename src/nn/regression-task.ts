/**
 * MLP regression of a known 2-D function on GPU-made batches: the engine's learning test and
 * the benchmark workload (MLP 2 → H × k → 2, MSE). Batches: shaders/nn/regression-batch.wgsl.
 */
import batchSource from '../../shaders/nn/regression-batch.wgsl';
import {
  defineKernel,
  workgroupsFor,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
  STORAGE_USAGE,
} from '../gpu';
import { PHILOX_LIBRARY } from '../rng/random-fill';
import { seedKey, uniform4 } from '../rng/philox';
import type { Activation } from './activations';
import { FusedMlp, type MlpBinding } from './fused-mlp';
import type { KernelTuning } from './kernels';
import { addMlpParameters, type MlpShape } from './mlp-shape';
import { ParameterLayout } from './parameters';
import { TRAIN_STATE_LIBRARY } from './train-state';
import { mseKernel } from './losses';
import type { TrainingTask } from './trainer';

const REGRESSION_STREAM = 0x52454752;

const batchKernel = defineKernel<number>({
  name: 'nn/regression-batch',
  file: 'nn/regression-batch.wgsl',
  source: batchSource,
  libraries: [PHILOX_LIBRARY, TRAIN_STATE_LIBRARY],
  bindings: ['uniform', 'storage', 'storage', 'storage'],
  workgroupSize: 64,
  dispatch: (batch, wg) => workgroupsFor(batch, wg),
});

/** The regression target, float64 (the WGSL computes it in f32). */
export function regressionTarget(x0: number, x1: number): [number, number] {
  return [Math.sin(Math.PI * x0) * Math.cos(Math.PI * x1), x0 * x0 - x1 * x1];
}

/** CPU twin of the batch kernel: inputs and targets of `step`. */
export function regressionBatchTwin(seed: number, step: number, batch: number) {
  const key = seedKey(seed);
  const inputs = new Float64Array(2 * batch);
  const targets = new Float64Array(2 * batch);
  for (let b = 0; b < batch; b++) {
    const [u0, u1] = uniform4([b, step, REGRESSION_STREAM, 0], key);
    const x0 = 2 * u0 - 1;
    const x1 = 2 * u1 - 1;
    inputs.set([x0, x1], 2 * b);
    targets.set(regressionTarget(x0, x1), 2 * b);
  }
  return { inputs, targets };
}

export interface RegressionSpec {
  hidden: number;
  hiddenLayers: number;
  activation: Activation;
  batch: number;
  seed: number;
  tuning?: Partial<KernelTuning>;
}

export class RegressionTask implements TrainingTask {
  readonly label = 'mlp-regression';
  readonly layout: ParameterLayout;
  readonly parameterCount: number;
  readonly gradientChunks: number;
  readonly lossTermCount: number;
  readonly dispatchesPerStep: number;
  private readonly owned: PooledBuffer[] = [];
  private readonly mlpBinding: MlpBinding;
  private readonly batchGroup: GPUBindGroup;
  private readonly lossGroup: GPUBindGroup;

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly spec: RegressionSpec,
    readonly mlp: FusedMlp,
    state: GPUBuffer,
    private readonly kernels: { batch: CompiledKernel; mse: CompiledKernel },
  ) {
    const { batch, seed } = spec;
    const pool = runtime.pool;
    const storage = STORAGE_USAGE;
    const own = (b: PooledBuffer) => (this.owned.push(b), b);
    this.layout = new ParameterLayout();
    addMlpParameters(this.layout, 'mlp', mlp.shape);
    this.parameterCount = this.layout.total;
    this.gradientChunks = mlp.chunks(batch);
    this.lossTermCount = batch;
    const params = own(pool.upload(this.layout.initialize(seed), storage, 'regression params'));
    const grads = own(
      pool.acquire(this.gradientChunks * this.parameterCount * 4, storage, 'regression grads'),
    );
    const inputs = own(pool.acquire(batch * 8, storage, 'regression inputs'));
    const targets = own(pool.acquire(batch * 8, storage, 'regression targets'));
    const outputs = own(pool.acquire(batch * 8, storage, 'regression outputs'));
    const gradOutputs = own(pool.acquire(batch * 8, storage, 'regression dL/dy'));
    const terms = own(pool.acquire(batch * 4, storage, 'regression loss terms'));
    const cache = own(pool.acquire(mlp.cacheFloats(batch) * 4, storage, 'regression cache'));
    const [seedLo, seedHi] = seedKey(seed);
    const batchUniforms = own(
      pool.upload(
        new Uint32Array([batch, seedLo, seedHi, 0]),
        GPUBufferUsage.UNIFORM,
        'regression batch uniforms',
      ),
    );
    const lossUniforms = own(
      pool.upload(
        new Uint32Array([batch, 2, 0, 0]),
        GPUBufferUsage.UNIFORM,
        'regression loss uniforms',
      ),
    );
    const device = runtime.device;
    this.batchGroup = kernels.batch.bind(device, [
      batchUniforms.binding,
      state,
      inputs.binding,
      targets.binding,
    ]);
    this.lossGroup = kernels.mse.bind(device, [
      lossUniforms.binding,
      outputs.binding,
      targets.binding,
      gradOutputs.binding,
      terms.binding,
    ]);
    this.mlpBinding = mlp.bind(
      {
        batch,
        params: params.binding,
        paramOffset: 0,
        input: inputs.binding,
        output: outputs.binding,
        cache: cache.binding,
        gradOutput: gradOutputs.binding,
        grads: grads.binding,
        gradStride: this.parameterCount,
      },
      'regression mlp',
    );
    this.params = params.buffer;
    this.grads = grads.buffer;
    this.lossTerms = terms.buffer;
    this.dispatchesPerStep = 2 + mlp.trainingDispatches;
  }

  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly lossTerms: GPUBuffer;

  static async create(
    runtime: GpuRuntime,
    spec: RegressionSpec,
    state: GPUBuffer,
  ): Promise<RegressionTask> {
    const shape: MlpShape = {
      inputs: 2,
      hidden: spec.hidden,
      hiddenLayers: spec.hiddenLayers,
      outputs: 2,
      activation: spec.activation,
    };
    const [mlp, batch, mse] = await Promise.all([
      FusedMlp.create(runtime, shape, spec.tuning ? { tuning: spec.tuning } : {}),
      runtime.pipelines.get(batchKernel),
      runtime.pipelines.get(mseKernel),
    ]);
    return new RegressionTask(runtime, spec, mlp, state, { batch, mse });
  }

  encodeStep(pass: GPUComputePassEncoder): void {
    const batch = this.spec.batch;
    this.kernels.batch.encode(pass, this.batchGroup, batch);
    this.mlpBinding.encodeForward(pass, true);
    this.kernels.mse.encode(pass, this.lossGroup, batch);
    this.mlpBinding.encodeBackward(pass);
  }

  dispose(): void {
    this.mlpBinding.dispose();
    for (const owned of this.owned) owned.dispose();
    this.owned.length = 0;
  }
}

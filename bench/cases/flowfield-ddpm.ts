/**
 * Flowfield's DDPM MLP workload (#6): DiffusionModel's training task — x₀ batches of a chunk
 * sampled from `8gaussians` in one dispatch, t and ε drawn on the GPU from the GPU step, x_t,
 * the sinusoidal embedding, the fused MLP forward and backward, MSE, Adam — many steps per
 * submit, no readback until the end of a run. evalLoss is the float64 loss of the current
 * weights on a fixed batch of 2048 (the twin of the GPU batch), outside the timed region.
 */
import { Dataset } from '../../src/data/dataset';
import { GpuRuntime } from '../../src/gpu';
import { DiffusionModel } from '../../src/models/diffusion/model';
import { trainingBatchTwin } from '../../src/models/diffusion/training';
import { mlpForward } from '../../src/nn/reference/dense';
import { embedConcatForward } from '../../src/nn/reference/embedding';
import { Trainer } from '../../src/nn/trainer';
import type { Implementation } from '../harness/types';
import { adamOptimizer } from './flowfield-shared';
import type { DdpmConfig } from './workloads';

const EVAL_BATCH = 2048;
const EVAL_SEED = 7;
/** Steps per submit (the x₀ bank holds that many batches). */
const STEPS_PER_SUBMIT = 256;

function checkWorkload(c: DdpmConfig): void {
  const expected = {
    dim: 2,
    timeEmbedding: 32,
    activation: 'relu',
    timesteps: 1000,
    betaStart: 1e-4,
    betaEnd: 0.02,
    data: '8gaussians',
    optimizer: 'adam',
  };
  for (const [field, value] of Object.entries(expected)) {
    if (c[field as keyof DdpmConfig] !== value) {
      throw new Error(
        `flowfield-ddpm implements ${field} = ${String(value)}, the workload asks for ` +
          `${String(c[field as keyof DdpmConfig])}: extend the case before changing the workload.`,
      );
    }
  }
  if (c.hidden.some((h) => h !== c.hidden[0])) {
    throw new Error(`flowfield-ddpm needs equal hidden widths, got ${c.hidden.join(', ')}.`);
  }
}

export const flowfieldDdpm: Implementation<DdpmConfig> = {
  impl: 'flowfield',
  async setup(workload, context) {
    const c = workload.config;
    checkWorkload(c);
    const gpu = await context.shared(
      'flowfield-gpu',
      () => GpuRuntime.open(),
      (g) => g.dispose(),
    );
    // FFJORD's 8gaussians in data coordinates (the dataset's defaults), not normalised.
    const dataset = new Dataset(gpu, { name: '8gaussians', seed: 1, normalize: 'none' });
    const model = await DiffusionModel.create(gpu, {
      family: 'diffusion',
      kind: 'ddpm',
      schedule: 'linear', // β from 1e-4 to 0.02 at T = 1000
      timesteps: c.timesteps,
      prediction: 'eps',
      hidden: c.hidden[0]!,
      layers: c.hidden.length,
      activation: c.activation,
      timeEmbedding: c.timeEmbedding,
      seed: 1,
    });
    const sampler = await dataset.sampler();
    const trainer = await Trainer.create(
      gpu,
      (state) =>
        model.createTrainingTask(state, sampler, {
          batch: c.batch,
          seed: 1,
          maxStepsPerSubmit: STEPS_PER_SUBMIT,
        }),
      {
        optimizer: adamOptimizer(c),
        maxStepsPerSubmit: STEPS_PER_SUBMIT,
      },
    );
    const evalX0 = dataset.sampleCpu(EVAL_BATCH, { seed: EVAL_SEED });
    const evalBatch = trainingBatchTwin(
      'ddpm-eps',
      model.schedule,
      evalX0,
      EVAL_SEED,
      0,
      EVAL_BATCH,
    );
    const evalInput = embedConcatForward(
      model.embedding,
      evalBatch.noised,
      evalBatch.netTime,
      EVAL_BATCH,
    );
    return {
      dispatchesPerStep: trainer.dispatchesPerStep,
      info: { parameters: model.parameterCount, stepsPerSubmit: STEPS_PER_SUBMIT },
      async run(steps) {
        for (let done = 0; done < steps;) {
          const n = Math.min(STEPS_PER_SUBMIT, steps - done);
          trainer.submit(n);
          done += n;
        }
        await gpu.device.queue.onSubmittedWorkDone();
      },
      async evalLoss() {
        const params = await trainer.readParams();
        const { y } = mlpForward(params, 0, model.shape, evalInput, EVAL_BATCH);
        let sum = 0;
        for (let i = 0; i < y.length; i++) sum += (y[i]! - evalBatch.targets[i]!) ** 2;
        return sum / y.length;
      },
      dispose() {
        trainer.dispose();
        model.dispose();
        dataset.dispose();
      },
    };
  },
};

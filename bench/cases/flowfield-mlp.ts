/**
 * Flowfield's MLP regression workload (#3 item 8): the engine's fused MLP (one forward and one
 * backward dispatch per step, plus one weight-gradient reduction per layer), GPU-made batches,
 * MSE, Adam — many steps per submit, no readback until the end of a run.
 */
import { RegressionTask } from '../../src/nn/regression-task';
import { Trainer } from '../../src/nn/trainer';
import type { Implementation } from '../harness/types';
import { adamOptimizer, sharedGpu, trainSteps } from './flowfield-shared';
import type { MlpConfig } from './workloads';

export const flowfieldMlp: Implementation<MlpConfig> = {
  impl: 'flowfield',
  async setup(workload, context) {
    const gpu = await sharedGpu(context);
    const c = workload.config;
    const trainer = await Trainer.create(
      gpu,
      (state) =>
        RegressionTask.create(
          gpu,
          {
            hidden: c.hidden,
            hiddenLayers: c.hiddenLayers,
            activation: c.activation,
            batch: c.batch,
            seed: 1,
          },
          state,
        ),
      {
        optimizer: adamOptimizer(c),
      },
    );
    const tuning = trainer.task.mlp.tuning;
    return {
      dispatchesPerStep: trainer.dispatchesPerStep,
      info: {
        samplesPerInvocation: tuning.samples,
        workgroupSize: tuning.workgroupSize,
      },
      run: (steps) => trainSteps(gpu, trainer, steps),
      dispose: () => trainer.dispose(),
    };
  },
};

/**
 * Flowfield's diffusion sampling workloads (#6): DiffusionModel.sampleToBuffer draws `count`
 * samples with the workload's sampler into a GPU buffer (no readback); run waits for the queue.
 * The model keeps its seeded initial weights: the cost does not depend on training.
 */
import { DiffusionModel } from '../../src/models/diffusion/model';
import type { Implementation } from '../harness/types';
import { sharedGpu } from './flowfield-shared';
import type { DiffusionSampleConfig } from './workloads';

/**
 * 'flowfield': the default, staged sampler (two dispatches per network evaluation);
 * 'flowfield-fused': the opt-in fused one (issue #19: many stages per dispatch with the network
 * in the kernel), run as a peer so the table pairs the two in one run.
 */
function diffusionSample(fused: boolean): Implementation<DiffusionSampleConfig> {
  return {
    impl: fused ? 'flowfield-fused' : 'flowfield',
    async setup(workload, context) {
      const c = workload.config;
      const gpu = await sharedGpu(context);
      const model = await DiffusionModel.create(gpu, {
        family: 'diffusion',
        kind: c.kind,
        ...(c.kind === 'ddpm' ? { timesteps: c.timesteps, schedule: 'linear' as const } : {}),
        hidden: c.hidden[0]!,
        layers: c.hidden.length,
        activation: c.activation,
        timeEmbedding: c.timeEmbedding,
        seed: 1,
      });
      const options = { sampler: c.sampler, steps: c.steps, seed: 3, fused };
      const nfe = model.samplePlan(options).nfe;
      if (nfe !== c.nfe) {
        model.dispose();
        throw new Error(
          `${workload.group}: the sampler runs ${nfe} NFE, the workload says ${c.nfe}.`,
        );
      }
      // Compile every pipeline of this sampler now (setup is not timed; there is no warm-up).
      await model.sample(1, options);
      let call = 0;
      return {
        // Staged, per NFE: the MLP and the solver stage; plus init and finish. Fused: init,
        // finish and one dispatch per budget-sized run of stages (lastRun does not count them).
        ...(fused ? {} : { dispatchesPerStep: 2 * nfe + 2 }),
        info: { parameters: model.parameterCount, weights: 'untrained (seeded init)', nfe },
        async run(steps) {
          for (let s = 0; s < steps; s++) {
            const samples = await model.sampleToBuffer(c.count, { ...options, seed: 3 + call++ });
            samples.dispose(); // back to the pool; queue order keeps the work valid
          }
          await gpu.device.queue.onSubmittedWorkDone();
        },
        dispose: () => model.dispose(),
      };
    },
  };
}

export const flowfieldDiffusionSample = diffusionSample(false);
export const flowfieldDiffusionSampleFused = diffusionSample(true);

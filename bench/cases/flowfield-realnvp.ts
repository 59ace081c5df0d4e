/**
 * Flowfield's RealNVP workloads (#5): 8 affine couplings (conditioner 1 → 64 → 64 → 2, tanh,
 * zero-initialised output; log-scale soft-clamped to ±3, where the peer leaves it unbounded),
 * 8gaussians batches sampled on the GPU, NLL, Adam; sampling = z ~ N(0, I) through the inverse
 * of all couplings into a GPU buffer.
 */
import { Dataset } from '../../src/data/dataset';
import { FlowModel } from '../../src/models/flows/flow-model';
import { fusedInverseTuning } from '../../src/models/flows/fused-inverse';
import { FlowTrainingTask } from '../../src/models/flows/flow-training';
import { Trainer } from '../../src/nn/trainer';
import type { FlowKind } from '../../src/models/flows/flow-spec';
import type { Implementation } from '../harness/types';
import { adamOptimizer, sharedGpu, trainSteps } from './flowfield-shared';
import type { RealNvpConfig } from './workloads';

/**
 * The RealNVP workloads with `kind` 'realnvp', or the same architecture as a spline flow.
 * `plain`: the 'flowfield-plain' peer of the sampling workloads, whose fused generator runs
 * without subgroup weight sharing (fusedInverseTuning.cpuSubgroups, read when it is compiled).
 */
export const flowfieldFlow = (kind: FlowKind, plain = false): Implementation<RealNvpConfig> => ({
  impl: plain ? 'flowfield-plain' : 'flowfield',
  async setup(workload, context) {
    const gpu = await sharedGpu(context);
    const c = workload.config;
    const model = await FlowModel.create(gpu, {
      family: 'flow',
      kind,
      layers: c.couplings,
      hidden: c.conditionerHidden[0]!,
      hiddenLayers: c.conditionerHidden.length,
      activation: c.conditionerActivation,
      seed: 1,
    });
    const data = new Dataset(gpu, { name: c.data, seed: 1 });
    const evalPoints = await data.sample(2048, { seed: 99 });
    const evalLoss = async () => {
      const logP = await model.logProb(evalPoints);
      return -logP.reduce((s, v) => s + v, 0) / logP.length;
    };
    if (workload.kind === 'sample') {
      // Compile the generator now (setup is not timed), with the kernel this peer times.
      fusedInverseTuning.cpuSubgroups = !plain;
      try {
        (await model.sampleToBuffer(1, { seed: 0 })).dispose();
      } finally {
        fusedInverseTuning.cpuSubgroups = true;
      }
      return {
        // The default path: RealNVP's whole generator in one dispatch (fused-inverse.ts); spline
        // couplings layer by layer (base, 2 per coupling, to-data).
        dispatchesPerStep: kind === 'spline' ? 2 + 2 * c.couplings : 1,
        async run(steps) {
          for (let i = 0; i < steps; i++)
            (await model.sampleToBuffer(c.batch, { seed: i })).dispose();
          await gpu.device.queue.onSubmittedWorkDone();
        },
        dispose: () => {
          model.dispose();
          data.dispose();
        },
      };
    }
    model.normalization = { shift: [...data.normalizer.shift], scale: [...data.normalizer.scale] };
    const sampler = await data.sampler();
    const trainer = await Trainer.create(
      gpu,
      (state) =>
        FlowTrainingTask.create(
          gpu,
          model,
          sampler,
          { batch: c.batch, seed: 1, maxStepsPerSubmit: 256 },
          state,
        ),
      {
        optimizer: adamOptimizer(c),
      },
    );
    return {
      dispatchesPerStep: trainer.dispatchesPerStep,
      run: (steps) => trainSteps(gpu, trainer, steps),
      evalLoss,
      dispose: () => {
        trainer.dispose();
        model.dispose();
        data.dispose();
      },
    };
  },
});

export const flowfieldRealNvp = flowfieldFlow('realnvp');
export const flowfieldRealNvpPlain = flowfieldFlow('realnvp', true);

/**
 * Flowfield's small U-Net denoiser workload (#15): UNetDenoiserTask — images, t and ε made on
 * the GPU, the U-Net forward and backward (composed of the image layers), MSE(ε̂, ε), Adam —
 * many steps per submit, no readback until the end of a run. evalLoss is the float64 twin's
 * loss of the current weights on a fixed batch, outside the timed region.
 */
import { makeSchedule } from '../../src/models/diffusion/schedule';
import {
  imageDiffusionBatchTwin,
  UNetDenoiserTask,
  type UNetDenoiserSpec,
} from '../../src/nn/conv/unet-denoiser-task';
import { unetForward } from '../../src/nn/reference/unet';
import { Trainer } from '../../src/nn/trainer';
import type { Implementation } from '../harness/types';
import { adamOptimizer, sharedGpu, trainSteps } from './flowfield-shared';
import type { UNetConfig } from './workloads';

/** Few: the float64 twin of this network costs ~0.1 s per image. */
export const EVAL_IMAGES = 8;
const EVAL_SEED = 7;

/** Mean squared error of the twin's ε̂ on `EVAL_IMAGES` fixed noised images. */
function twinLoss(spec: UNetDenoiserSpec, params: Float32Array): number {
  const evalSpec = { ...spec, batch: EVAL_IMAGES, seed: EVAL_SEED };
  const batch = imageDiffusionBatchTwin(evalSpec, 0);
  const { y } = unetForward(params, 0, spec.unet, batch.noised, batch.time, EVAL_IMAGES);
  return y.reduce((s, v, i) => s + (v - batch.noise[i]!) ** 2, 0) / y.length;
}

/** The workload as Flowfield's task spec (seed 1). */
export function unetDenoiserSpec(c: UNetConfig): UNetDenoiserSpec {
  return {
    unet: {
      channels: c.channels,
      height: c.height,
      width: c.width,
      base: c.base,
      groups: c.groups,
      timeFeatures: c.timeFeatures,
      timeHidden: c.timeHidden,
      timeScale: 1,
    },
    batch: c.batch,
    seed: 1,
    schedule: makeSchedule({
      kind: 'linear',
      timesteps: c.timesteps,
      betaStart: c.betaStart,
      betaEnd: c.betaEnd,
    }),
  };
}

export const flowfieldUNet: Implementation<UNetConfig> = {
  impl: 'flowfield',
  async setup(workload, context) {
    const gpu = await sharedGpu(context);
    const c = workload.config;
    const spec = unetDenoiserSpec(c);
    const trainer = await Trainer.create(
      gpu,
      (state) => UNetDenoiserTask.create(gpu, spec, state),
      {
        optimizer: adamOptimizer(c),
      },
    );
    return {
      dispatchesPerStep: trainer.dispatchesPerStep,
      info: { layout: 'NCHW', parameters: trainer.task.parameterCount, evalImages: EVAL_IMAGES },
      run: (steps) => trainSteps(gpu, trainer, steps),
      evalLoss: async () => twinLoss(spec, await trainer.readParams()),
      dispose: () => trainer.dispose(),
    };
  },
};

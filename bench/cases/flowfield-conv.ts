/**
 * Flowfield's small conv net workload (#15): ConvRegressionTask — random images and their box
 * blur made on the GPU, three Conv2d layers forward and backward, MSE, Adam — many steps per
 * submit, no readback until the end of a run. evalLoss is the float64 twin's loss of the current
 * weights on a fixed batch, outside the timed region.
 */
import {
  ConvRegressionTask,
  convRegressionShapes,
  imageRegressionBatchTwin,
  type ConvRegressionSpec,
} from '../../src/nn/conv/conv-regression-task';
import { conv2dForward, convParameterCount } from '../../src/nn/reference/conv';
import { Trainer } from '../../src/nn/trainer';
import type { Implementation } from '../harness/types';
import { adamOptimizer, sharedGpu, trainSteps } from './flowfield-shared';
import type { ConvConfig } from './workloads';

export const EVAL_IMAGES = 16;
const EVAL_SEED = 7;

/** Mean squared error of the twin network on `EVAL_IMAGES` fixed images. */
function twinLoss(spec: ConvRegressionSpec, params: Float32Array): number {
  const { inputs, targets } = imageRegressionBatchTwin(
    EVAL_SEED,
    0,
    EVAL_IMAGES,
    1,
    spec.height,
    spec.width,
  );
  let h: Float64Array = inputs;
  let offset = 0;
  for (const shape of convRegressionShapes(spec)) {
    h = conv2dForward(params, offset, shape, h, EVAL_IMAGES).y;
    offset += convParameterCount(shape);
  }
  return h.reduce((s, v, i) => s + (v - targets[i]!) ** 2, 0) / h.length;
}

export const flowfieldConv: Implementation<ConvConfig> = {
  impl: 'flowfield',
  async setup(workload, context) {
    const gpu = await sharedGpu(context);
    const c = workload.config;
    const spec: ConvRegressionSpec = {
      channels: c.channels,
      convLayers: c.convLayers,
      height: c.height,
      width: c.width,
      activation: c.activation,
      batch: c.batch,
      seed: 1,
    };
    const trainer = await Trainer.create(
      gpu,
      (state) => ConvRegressionTask.create(gpu, spec, state),
      {
        optimizer: adamOptimizer(c),
      },
    );
    return {
      dispatchesPerStep: trainer.dispatchesPerStep,
      info: { layout: 'NCHW', convBlock: '4 channels × 4 pixels', evalImages: EVAL_IMAGES },
      run: (steps) => trainSteps(gpu, trainer, steps),
      evalLoss: async () => twinLoss(spec, await trainer.readParams()),
      dispose: () => trainer.dispose(),
    };
  },
};

/**
 * NICE on 14 × 14 digit-like images (#16): the workload and Flowfield's implementation.
 * Images: 1024 synthetic 1 × 14 × 14 images of one to three random strokes (a fixed LCG), so the
 * bench needs no data assets; uniform dequantization and scaling to [0, 1) as in the paper.
 * Network: 4 additive couplings (alternating even/odd pixels), conditioners 98 → 256 → 256 → 98
 * (ReLU), the diagonal scaling, a logistic prior; loss = negative log-likelihood in bits/dim;
 * Adam. evalLoss: held-out bits/dim of 64 fixed images (fixed noise), outside the timed region.
 * The TF.js peers (tfjs/nice.ts) train the same network on the same images.
 */
import { ImageDataset } from '../../src/data/images/image-dataset';
import type { ImageSet } from '../../src/data/images/image-set';
import { resolvePreprocess } from '../../src/data/images/preprocess';
import { NiceModel } from '../../src/models/image-flows/nice-model';
import { resolveNiceSpec } from '../../src/models/image-flows/nice-spec';
import { NiceTrainingTask } from '../../src/models/image-flows/nice-training';
import { cpuKernelChoice } from '../../src/nn/kernels';
import { Trainer } from '../../src/nn/trainer';
import type { GpuRuntime } from '../../src/gpu';
import type { Config, Implementation, Session, Workload } from '../harness/types';
import { adamOptimizer, sharedGpu, trainSteps } from './flowfield-shared';
import { ADAM } from './workloads';

export interface NiceConfig extends Config {
  readonly side: number;
  readonly images: number;
  readonly layers: number;
  readonly hidden: number;
  readonly hiddenLayers: number;
  readonly prior: 'logistic';
  readonly batch: number;
  readonly optimizer: 'adam';
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export const NICE_WORKLOADS: readonly Workload<NiceConfig>[] = [
  {
    family: 'nice',
    group: 'nice/14x14/h256x2/b64/train',
    kind: 'train',
    itemsPerStep: 64,
    quick: false,
    config: {
      side: 14,
      images: 1024,
      layers: 4,
      hidden: 256,
      hiddenLayers: 2,
      prior: 'logistic',
      batch: 64,
      optimizer: 'adam',
      ...ADAM,
    },
  },
];

/** `count` images of one to three bright strokes on a dark ground (deterministic). */
export function strokeImages(count: number, side: number): ImageSet {
  const pixels = new Uint8Array(count * side * side);
  let state = 12345;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = 0; i < count; i++) {
    const strokes = 1 + Math.floor(3 * next());
    for (let s = 0; s < strokes; s++) {
      let x = 2 + (side - 4) * next();
      let y = 2 + (side - 4) * next();
      const angle = 2 * Math.PI * next();
      for (let k = 0; k < side; k++) {
        const px = Math.round(x);
        const py = Math.round(y);
        if (px >= 0 && px < side && py >= 0 && py < side)
          pixels[i * side * side + py * side + px] = 255;
        x += 0.6 * Math.cos(angle);
        y += 0.6 * Math.sin(angle);
      }
    }
  }
  return { count, channels: 1, height: side, width: side, pixels };
}

const EVAL_IMAGES = 64;

/** What an image-flow bench session needs from its workload. */
export interface ImageFlowTraining {
  readonly side: number;
  readonly images: number;
  readonly batch: number;
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/**
 * The Flowfield session of an image flow (NICE, RealNVP, Glow): `images` stroke images,
 * dequantized to [0, 1), Adam on the bits/dim loss, `maxStepsPerSubmit` steps per submit;
 * evalLoss is the held-out bits/dim of 64 fixed images (fixed noise). Owns `model`.
 */
export async function imageFlowSession(
  gpu: GpuRuntime,
  model: NiceModel,
  c: ImageFlowTraining,
  maxStepsPerSubmit: number,
): Promise<Session> {
  const data = new ImageDataset(gpu, { images: strokeImages(c.images, c.side) });
  const heldOut = new ImageDataset(gpu, { images: strokeImages(EVAL_IMAGES + 1, c.side) });
  const preprocess = resolvePreprocess({ transform: 'unit', dequantize: true });
  const sampler = await data.sampler();
  const trainer = await Trainer.create(
    gpu,
    (state) =>
      NiceTrainingTask.create(
        gpu,
        model,
        sampler,
        { batch: c.batch, seed: 3, maxStepsPerSubmit, preprocess, flips: false },
        state,
      ),
    { optimizer: adamOptimizer(c), maxStepsPerSubmit },
  );
  const heldOutSampler = await heldOut.sampler();
  return {
    dispatchesPerStep: trainer.dispatchesPerStep,
    info: { parameters: model.parameterCount, evalImages: EVAL_IMAGES, loss: 'bits/dim' },
    run: (steps) => trainSteps(gpu, trainer, steps),
    evalLoss: async () => {
      const logProb = await model.logProbOfDraws(heldOutSampler, preprocess, {
        first: 1,
        count: EVAL_IMAGES,
        seed: 7,
        step: 0,
      });
      const bits = logProb.reduce((sum, lp) => sum - lp / (model.dims * Math.LN2), 0);
      return bits / EVAL_IMAGES;
    },
    dispose: () => {
      trainer.dispose();
      model.dispose();
      data.dispose();
      heldOut.dispose();
    },
  };
}

/**
 * 'flowfield': the default kernels; 'flowfield-plain': the fused MLP's kernels without the
 * subgroup weight sharing (cpuKernelChoice), a same-run peer whose ratio is default ÷ plain.
 */
function niceImplementation(plain: boolean): Implementation<NiceConfig> {
  return {
    impl: plain ? 'flowfield-plain' : 'flowfield',
    async setup(workload, context) {
      if (!plain) return setupNice(workload, context);
      cpuKernelChoice.subgroups = false;
      try {
        return await setupNice(workload, context);
      } finally {
        cpuKernelChoice.subgroups = true;
      }
    },
  };
}

export const flowfieldNice = niceImplementation(false);
export const flowfieldNicePlain = niceImplementation(true);

const setupNice: Implementation<NiceConfig>['setup'] = async (workload, context) => {
  const gpu = await sharedGpu(context);
  const c = workload.config;
  const spec = resolveNiceSpec({
    family: 'image-flow',
    kind: 'nice',
    shape: [1, c.side, c.side],
    layers: c.layers,
    hidden: c.hidden,
    hiddenLayers: c.hiddenLayers,
    prior: c.prior,
    seed: 1,
  });
  return imageFlowSession(gpu, await NiceModel.create(gpu, spec), c, 256);
};

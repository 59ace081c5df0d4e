/**
 * RealNVP (multi-scale) and Glow on small stroke images (#16 item 1): the workloads and
 * Flowfield's implementation, set up as NICE's (flowfield-nice.ts: the same synthetic images,
 * dequantization, bits/dim loss, Adam and held-out bits/dim outside the timed region). No TF.js
 * peer exists; a group without peers is timed on its own (steps/s and dispatches per step).
 */
import {
  resolveMultiscaleSpec,
  type MultiscaleImageSpec,
} from '../../src/models/image-flows/multiscale-spec';
import { NiceModel } from '../../src/models/image-flows/nice-model';
import type { Config, Implementation, Workload } from '../harness/types';
import { imageFlowSession } from './flowfield-nice';
import { sharedGpu } from './flowfield-shared';
import { ADAM } from './workloads';

export interface ImageFlowConfig extends Config {
  readonly kind: 'realnvp' | 'glow';
  readonly side: number;
  readonly images: number;
  /** RealNVP: scales; Glow: levels. */
  readonly scales: number;
  /** RealNVP: couplings per mask type and scale; Glow: steps per level. */
  readonly steps: number;
  /** Conditioner width. */
  readonly channels: number;
  readonly batch: number;
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export const IMAGE_FLOW_WORKLOADS: readonly Workload<ImageFlowConfig>[] = [
  {
    family: 'image-flow',
    group: 'realnvp-image/14x14/s2c3/h32/b64/train',
    kind: 'train',
    itemsPerStep: 64,
    quick: false,
    config: {
      kind: 'realnvp',
      side: 14,
      images: 1024,
      scales: 2,
      steps: 3,
      channels: 32,
      batch: 64,
      ...ADAM,
    },
  },
  {
    family: 'image-flow',
    group: 'glow-image/16x16/l2k4/h32/b64/train',
    kind: 'train',
    itemsPerStep: 64,
    quick: false,
    config: {
      kind: 'glow',
      side: 16,
      images: 1024,
      scales: 2,
      steps: 4,
      channels: 32,
      batch: 64,
      ...ADAM,
    },
  },
];

function specOf(c: ImageFlowConfig): MultiscaleImageSpec {
  const common = {
    family: 'image-flow',
    shape: [1, c.side, c.side],
    channels: c.channels,
    seed: 1,
  } as const;
  return c.kind === 'realnvp'
    ? { ...common, kind: 'realnvp', scales: c.scales, couplingsPerScale: c.steps }
    : { ...common, kind: 'glow', levels: c.scales, stepsPerLevel: c.steps };
}

export const flowfieldImageFlow: Implementation<ImageFlowConfig> = {
  impl: 'flowfield',
  async setup(workload, context) {
    const gpu = await sharedGpu(context);
    const c = workload.config;
    const model = await NiceModel.createMultiscale(gpu, resolveMultiscaleSpec(specOf(c)));
    return imageFlowSession(gpu, model, c, 64);
  },
};

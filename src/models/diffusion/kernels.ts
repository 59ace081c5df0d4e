/** Kernel specs of the diffusion models (WGSL in shaders/diffusion/). */
import forwardProcessSource from '../../../shaders/diffusion/forward-process.wgsl';
import jvpSource from '../../../shaders/diffusion/mlp-jvp.wgsl';
import stageSource from '../../../shaders/diffusion/solver-stage.wgsl';
import fusedSamplerSource from '../../../shaders/diffusion/fused-sampler.wgsl';
import batchSource from '../../../shaders/diffusion/train-batch.wgsl';
import noiseFillSource from '../../../shaders/diffusion/noise-fill.wgsl';
import otPairingSource from '../../../shaders/diffusion/ot-pairing.wgsl';
import reflowGatherSource from '../../../shaders/diffusion/reflow-gather.wgsl';
import { defineKernel, workgroupsFor, type AdapterSummary } from '../../gpu';
import { ACTIVATIONS_LIBRARY, FAST_ACTIVATIONS_LIBRARY } from '../../nn/kernels';
import { TRAIN_STATE_LIBRARY } from '../../nn/train-state';
import { PHILOX_LIBRARY } from '../../rng/random-fill';

const perItem = (items: number, workgroupSize: number) => workgroupsFor(items, workgroupSize);

/** KIND constant of the batch kernel. */
export const BATCH_KINDS = { 'ddpm-eps': 0, 'ddpm-v': 1, flow: 2 } as const;

/**
 * NOISE constant of the batch kernel: ε drawn from Philox in the kernel (independent pairs), or
 * read from the chunk's noise bank (minibatch-OT pairing, reflow pairs).
 */
export const NOISE_SOURCES = { philox: 0, bank: 1 } as const;

export const trainBatchKernel = defineKernel<number>({
  name: 'diffusion/train-batch',
  file: 'diffusion/train-batch.wgsl',
  source: batchSource,
  libraries: [PHILOX_LIBRARY, TRAIN_STATE_LIBRARY],
  bindings: [
    'uniform',
    'storage',
    'read-only-storage',
    'read-only-storage',
    'storage',
    'storage',
    'storage',
    'read-only-storage',
  ],
  workgroupSize: 64,
  dispatch: perItem,
});

/** Standard normal batches from Philox into a bank (noise-fill.wgsl); problem: points. */
export const noiseFillKernel = defineKernel<number>({
  name: 'diffusion/noise-fill',
  file: 'diffusion/noise-fill.wgsl',
  source: noiseFillSource,
  libraries: [PHILOX_LIBRARY],
  bindings: ['uniform', 'storage'],
  workgroupSize: 64,
  dispatch: perItem,
});

/**
 * The exact OT pairing of one batch in one workgroup (ot-pairing.wgsl). COLUMNS · workgroup
 * size bounds the batch; the problem is ignored (always one workgroup).
 */
export const otPairingKernel = defineKernel<number>({
  name: 'diffusion/ot-pairing',
  file: 'diffusion/ot-pairing.wgsl',
  source: otPairingSource,
  libraries: [TRAIN_STATE_LIBRARY],
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
  workgroupSize: (c) => Number(c.WORKGROUP_SIZE ?? 64),
  dispatch: () => [1, 1, 1],
});

/** Reflow batches gathered from the pair bank (reflow-gather.wgsl); problem: points. */
export const reflowGatherKernel = defineKernel<number>({
  name: 'diffusion/reflow-gather',
  file: 'diffusion/reflow-gather.wgsl',
  source: reflowGatherSource,
  libraries: [PHILOX_LIBRARY],
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage', 'storage'],
  workgroupSize: 64,
  dispatch: perItem,
});

export const forwardProcessKernel = defineKernel<number>({
  name: 'diffusion/forward-process',
  file: 'diffusion/forward-process.wgsl',
  source: forwardProcessSource,
  libraries: [PHILOX_LIBRARY],
  bindings: ['uniform', 'read-only-storage', 'storage'],
  workgroupSize: 64,
  dispatch: perItem,
});

export const mlpJvpKernel = defineKernel<number>({
  name: 'diffusion/mlp-jvp',
  file: 'diffusion/mlp-jvp.wgsl',
  source: jvpSource,
  libraries: [ACTIVATIONS_LIBRARY],
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
  workgroupSize: (c) => Number(c.WORKGROUP_SIZE ?? 64),
  dispatch: (batch, workgroupSize, constants) =>
    workgroupsFor(Math.ceil(batch / Number(constants.SAMPLES ?? 1)), workgroupSize),
});

export type StageEntry = 'init_noise' | 'init_points' | 'stage' | 'finish';

export const solverStageKernel = (entryPoint: StageEntry) =>
  defineKernel<number>({
    name: `diffusion/solver-${entryPoint}`,
    file: 'diffusion/solver-stage.wgsl',
    source: stageSource,
    libraries: [PHILOX_LIBRARY],
    entryPoint,
    bindings: [
      'uniform',
      'read-only-storage',
      'storage',
      'read-only-storage',
      'storage',
      'storage',
      'storage',
      'storage',
    ],
    workgroupSize: 64,
    dispatch: perItem,
  });

/**
 * Many sampler stages per dispatch with the network evaluated in the kernel
 * (fused-sampler.wgsl); problem: samples (SAMPLES per invocation).
 */
export const fusedSamplerKernel = defineKernel<number>({
  name: 'diffusion/fused-sampler',
  file: 'diffusion/fused-sampler.wgsl',
  source: fusedSamplerSource,
  libraries: [PHILOX_LIBRARY, ACTIVATIONS_LIBRARY, FAST_ACTIVATIONS_LIBRARY],
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
  workgroupSize: (c) => Number(c.WORKGROUP_SIZE ?? 64),
  dispatch: (batch, workgroupSize, constants) =>
    workgroupsFor(Math.ceil(batch / Number(constants.SAMPLES ?? 1)), workgroupSize),
});

/**
 * Samples per invocation (vec4 lanes of 4) and workgroup size of the fused sampler: two lanes on
 * CPU adapters, as kernelTuning's fused MLP.
 */
export function fusedSamplerTuning(adapter: AdapterSummary) {
  return adapter.isFallback ? { samples: 8, workgroupSize: 16 } : { samples: 4, workgroupSize: 64 };
}

/** Samples per invocation and workgroup size of the JVP kernel (3 channels of private tiles). */
export function jvpTuning(adapter: AdapterSummary, width: number) {
  if (adapter.isFallback) {
    return { samples: Math.max(1, Math.min(8, Math.floor(512 / width))), workgroupSize: 16 };
  }
  return { samples: 1, workgroupSize: 64 };
}

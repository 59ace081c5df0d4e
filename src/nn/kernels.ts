/** Kernel specs of the neural-network engine (WGSL in shaders/nn/ and shaders/lib/). */
import activationsSource from '../../shaders/lib/activations.wgsl';
import fastActivationsSource from '../../shaders/lib/fast-activations.wgsl';
import mlpSource from '../../shaders/nn/mlp.wgsl';
import mlpRows4Source from '../../shaders/nn/mlp-rows4.wgsl';
import mlpRows8Source from '../../shaders/nn/mlp-rows8.wgsl';
import mlpRows8SubgroupSource from '../../shaders/nn/mlp-rows8-subgroup.wgsl';
import enableSubgroupsSource from '../../shaders/lib/enable-subgroups.wgsl';
import outerGradSource from '../../shaders/nn/outer-grad.wgsl';
import { defineKernel, workgroupsFor, type AdapterSummary } from '../gpu';

export const ACTIVATIONS_LIBRARY = {
  file: 'lib/activations.wgsl',
  source: activationsSource,
} as const;

/**
 * Cheaper tanh and sigmoid on vec4 lanes for the sampling-only kernels (fused flow generator,
 * fused diffusion sampler); links after ACTIVATIONS_LIBRARY. Training keeps the builtins.
 */
export const FAST_ACTIVATIONS_LIBRARY = {
  file: 'lib/fast-activations.wgsl',
  source: fastActivationsSource,
} as const;

/** Problem of a per-sample kernel: the batch size. */
const perSampleDispatch = (
  batch: number,
  workgroupSize: number,
  constants: Record<string, unknown>,
) => workgroupsFor(Math.ceil(batch / Number(constants.SAMPLES ?? 1)), workgroupSize);

export const mlpForwardKernel = defineKernel<number>({
  name: 'nn/mlp-forward',
  file: 'nn/mlp.wgsl',
  source: mlpSource,
  libraries: [ACTIVATIONS_LIBRARY, { file: 'nn/mlp-rows4.wgsl', source: mlpRows4Source }],
  entryPoint: 'forward',
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage', 'storage'],
  workgroupSize: (c) => Number(c.WORKGROUP_SIZE ?? 64),
  dispatch: perSampleDispatch,
});

export const mlpBackwardKernel = defineKernel<number>({
  ...mlpForwardKernel,
  name: 'nn/mlp-backward',
  entryPoint: 'backward',
});

/**
 * The same kernels with the eight-row layer loops (shaders/nn/mlp-rows8.wgsl), which wide layers
 * use on CPU adapters (kernelTuning). A kernel of its own rather than a constant branch, so a
 * four-row kernel carries no eight-row code for the shader compiler.
 */
const ROWS8 = [ACTIVATIONS_LIBRARY, { file: 'nn/mlp-rows8.wgsl', source: mlpRows8Source }];
export const mlpForwardKernelRows8 = defineKernel<number>({
  ...mlpForwardKernel,
  name: 'nn/mlp-forward-rows8',
  libraries: ROWS8,
});
export const mlpBackwardKernelRows8 = defineKernel<number>({
  ...mlpBackwardKernel,
  name: 'nn/mlp-backward-rows8',
  libraries: ROWS8,
});

/**
 * The eight-row kernels with the weights shared through subgroup broadcasts
 * (shaders/nn/mlp-rows8-subgroup.wgsl): CPU adapters whose device has the 'subgroups' feature
 * (kernelTuning's `subgroups`). The module starts with the `enable subgroups;` directive.
 */
const ROWS8_SUBGROUP = [
  { file: 'lib/enable-subgroups.wgsl', source: enableSubgroupsSource },
  ACTIVATIONS_LIBRARY,
  { file: 'nn/mlp-rows8-subgroup.wgsl', source: mlpRows8SubgroupSource },
];
export const mlpForwardKernelRows8Subgroup = defineKernel<number>({
  ...mlpForwardKernel,
  name: 'nn/mlp-forward-rows8-subgroup',
  libraries: ROWS8_SUBGROUP,
});
export const mlpBackwardKernelRows8Subgroup = defineKernel<number>({
  ...mlpForwardKernel,
  name: 'nn/mlp-backward-rows8-subgroup',
  entryPoint: 'backward',
  libraries: ROWS8_SUBGROUP,
});

/**
 * Invocations of the weight-gradient kernel per chunk: 8 × 8 blocks of W (outputs × inputs) plus
 * one bias block per 8 rows (shaders/nn/outer-grad.wgsl).
 */
export function outerGradBlocks(inputs: number, outputs: number): number {
  return Math.ceil(outputs / 8) * (Math.ceil(inputs / 8) + 1);
}

export interface OuterGradProblem {
  blocks: number;
  chunks: number;
}

export const outerGradKernel = defineKernel<OuterGradProblem>({
  name: 'nn/outer-grad',
  file: 'nn/outer-grad.wgsl',
  source: outerGradSource,
  libraries: [ACTIVATIONS_LIBRARY],
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
  workgroupSize: 16,
  dispatch: ({ blocks, chunks }, workgroupSize) => [Math.ceil(blocks / workgroupSize), chunks, 1],
});

/** Width from which CPU adapters use the eight-row layer loops of the fused MLP. */
const WIDE_LAYER = 128;

/** Per-adapter shape of the per-sample kernels (see WEBGPU-ON-CPU.md for the measurements). */
export interface KernelTuning {
  /** Samples per invocation in the fused MLP kernels (weight reuse): 4 or 8 (vec4 lanes). */
  samples: number;
  /** Outputs (inputs, backward) per read of the fused MLP's activation tile: 4 or 8. */
  rows: number;
  workgroupSize: number;
  /** Samples per chunk of the weight-gradient reduction. */
  chunkSize: number;
  /**
   * Share the fused MLP's weight loads through subgroup broadcasts (eight rows) where the device
   * has the 'subgroups' feature; FusedMlp falls back to `rows` without it.
   */
  subgroups: boolean;
}

/**
 * Whether CPU adapters use the fused MLP's subgroup kernels where the device allows (the default).
 * The bench's `flowfield-plain` peers turn it off while they build their models, to time the
 * plain kernels in the same run.
 */
export const cpuKernelChoice = { subgroups: true };

export function kernelTuning(
  adapter: AdapterSummary,
  width: number,
  subgroupsAvailable = false,
): KernelTuning {
  if (adapter.isFallback) {
    // The subgroup kernels are eight-row kernels: only where eight rows pay (below). They keep
    // padding invocations running (their lanes feed the broadcasts), so a small workgroup wastes
    // less on a small batch; 4 invocations (one SwiftShader SIMD group) per workgroup also give
    // a batch of 64 two workgroups for the two threads (bench/profile/mlp-variants.profile.ts:
    // NICE conditioner forward 1.18×, backward + dW 2.16×, diffusion denoiser forward 1.16× the
    // plain eight-row kernel at 16).
    const subgroups = cpuKernelChoice.subgroups && subgroupsAvailable && width >= WIDE_LAYER;
    // CPU adapters: many samples per invocation, small workgroups (measured on SwiftShader).
    // Width 256 too: since the fused kernels use each tile load for four rows, 8 samples beat 4
    // there (mlp/h256/b4096 0.375 → 0.867 steps/s) for ~2 s more compile time. Eight rows per
    // tile read are ~15% faster again at width 256 but double the compile time (the fused-MLP
    // tests: 9.9 → 19.2 s), which only wide layers repay.
    return {
      samples: 8,
      rows: width >= WIDE_LAYER ? 8 : 4,
      workgroupSize: subgroups ? 4 : 16,
      chunkSize: 1024,
      subgroups,
    };
  }
  return { samples: 4, rows: 4, workgroupSize: 64, chunkSize: 256, subgroups: false };
}

/**
 * A flow's whole generator in one dispatch (shaders/flows/fused-inverse.wgsl, issue #19): base
 * noise, every layer inverted with its conditioner MLP evaluated in the kernel, data
 * coordinates out. For flows made of coupling layers of one conditioner shape and per-coordinate
 * layers (NICE, RealNVP); others (Glow's LU layers, spline couplings) keep the layer-by-layer
 * path. The same samples as that path to float32 rounding (tested).
 */
import enableSubgroupsSource from '../../../shaders/lib/enable-subgroups.wgsl';
import fusedInverseSource from '../../../shaders/flows/fused-inverse.wgsl';
import fusedInverseRows4Source from '../../../shaders/flows/fused-inverse-rows4.wgsl';
import fusedInverseRows4SubgroupSource from '../../../shaders/flows/fused-inverse-rows4-subgroup.wgsl';
import { defineKernel, workgroupsFor, type AdapterSummary, type KernelSpec } from '../../gpu';
import { activationId } from '../../nn/activations';
import { ACTIVATIONS_LIBRARY, FAST_ACTIVATIONS_LIBRARY } from '../../nn/kernels';
import type { MlpShape } from '../../nn/mlp-shape';
import { PHILOX_LIBRARY } from '../../rng/random-fill';
import { CouplingLayer, SCALE_BOUND } from './coupling';
import { ActNormLayer, ReverseLayer, ScalingLayer } from './elementwise';
import type { FlowLayer } from './flow-layer';

export const fusedInverseKernel: KernelSpec<number> = defineKernel<number>({
  name: 'flows/fused-inverse',
  file: 'flows/fused-inverse.wgsl',
  source: fusedInverseSource,
  libraries: [
    PHILOX_LIBRARY,
    ACTIVATIONS_LIBRARY,
    FAST_ACTIVATIONS_LIBRARY,
    { file: 'flows/fused-inverse-rows4.wgsl', source: fusedInverseRows4Source },
  ],
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
  workgroupSize: (c) => Number(c.WORKGROUP_SIZE ?? 64),
  dispatch: (count, workgroupSize, constants) =>
    workgroupsFor(Math.ceil(count / Number(constants.SAMPLES ?? 1)), workgroupSize),
});

/**
 * The same generator with the hidden layers' weights shared through subgroup broadcasts
 * (shaders/flows/fused-inverse-rows4-subgroup.wgsl): CPU adapters whose device has 'subgroups'.
 */
export const fusedInverseSubgroupKernel: KernelSpec<number> = defineKernel<number>({
  ...fusedInverseKernel,
  name: 'flows/fused-inverse-subgroup',
  libraries: [
    { file: 'lib/enable-subgroups.wgsl', source: enableSubgroupsSource },
    PHILOX_LIBRARY,
    ACTIVATIONS_LIBRARY,
    FAST_ACTIVATIONS_LIBRARY,
    { file: 'flows/fused-inverse-rows4-subgroup.wgsl', source: fusedInverseRows4SubgroupSource },
  ],
});

/**
 * Samples per invocation (vec4 lanes of 4) and workgroup size on CPU adapters (SwiftShader), and
 * whether they use the subgroup kernel where the device allows (tests turn it off to check the
 * plain kernel on the same adapter).
 */
export const fusedInverseTuning = { cpuSamples: 8, cpuWorkgroup: 16, cpuSubgroups: true };

/** The layer table and kernel constants of a flow the fused kernel can run, else undefined. */
export function fusedInversePlan(
  layers: readonly FlowLayer[],
  adapter: AdapterSummary,
  subgroupsAvailable = false,
):
  | { table: Uint32Array; constants: Record<string, number | boolean>; kernel: KernelSpec<number> }
  | undefined {
  const couplings = layers.filter((l): l is CouplingLayer => l instanceof CouplingLayer);
  const shape: MlpShape | undefined = couplings[0]?.shape;
  // The kernel's conditioners read one coordinate (2-D flows) through ≥ 1 hidden layer.
  if (!shape || shape.hiddenLayers < 1 || shape.inputs !== 1) return undefined;
  const same = (other: MlpShape) =>
    other.hidden === shape.hidden &&
    other.hiddenLayers === shape.hiddenLayers &&
    other.outputs === shape.outputs &&
    other.activation === shape.activation;
  if (!couplings.every((l) => same(l.shape))) return undefined;
  const table = new Uint32Array(2 * layers.length);
  for (const [k, layer] of layers.entries()) {
    let kind: number;
    if (layer instanceof CouplingLayer) kind = layer.spec.cond;
    else if (layer instanceof ScalingLayer) kind = 2;
    else if (layer instanceof ActNormLayer) kind = 3;
    else if (layer instanceof ReverseLayer) kind = 4;
    else return undefined;
    table[2 * k] = kind;
    table[2 * k + 1] =
      layer instanceof CouplingLayer ? layer.offset : (layer as ScalingLayer).offset;
  }
  const samples = adapter.isFallback ? fusedInverseTuning.cpuSamples : 4;
  const subgroups = adapter.isFallback && fusedInverseTuning.cpuSubgroups && subgroupsAvailable;
  return {
    table,
    kernel: subgroups ? fusedInverseSubgroupKernel : fusedInverseKernel,
    constants: {
      HIDDEN: shape.hidden,
      HIDDEN_LAYERS: shape.hiddenLayers,
      OUTPUTS: shape.outputs,
      ACTIVATION: activationId(shape.activation),
      SCALE_BOUND,
      SAMPLES: samples,
      WORKGROUP_SIZE: adapter.isFallback ? fusedInverseTuning.cpuWorkgroup : 64,
    },
  };
}

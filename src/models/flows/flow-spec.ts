/** The spec of a normalizing flow, its validation, and the layer stack each kind builds. */
import { ACTIVATIONS, type Activation } from '../../nn/activations';
import type { ParameterLayout } from '../../nn/parameters';
import { seedKey, uniform4 } from '../../rng/philox';
import { CouplingLayer } from './coupling';
import { ActNormLayer, ScalingLayer } from './elementwise';
import type { FlowLayer } from './flow-layer';
import { LuLinearLayer } from './lu-linear';
import { MAX_BINS, MIN_BINS, SplineCouplingLayer } from './spline-coupling';

export const FLOW_KINDS = ['nice', 'realnvp', 'glow', 'spline'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

export interface FlowModelSpec {
  family: 'flow';
  kind: FlowKind;
  /** Coupling layers (glow: steps of ActNorm → LU linear → coupling). */
  layers: number;
  /** Width of the conditioner MLPs' hidden layers. */
  hidden: number;
  /** Hidden layers per conditioner (default 2). */
  hiddenLayers?: number;
  /** Conditioner activation (default tanh). */
  activation?: Activation;
  /** spline: bins of each rational-quadratic spline (default 8). */
  bins?: number;
  seed: number;
}

export type ResolvedFlowSpec = Required<FlowModelSpec>;

export const FLOW_LIMITS = {
  layers: [1, 32],
  hidden: [1, 256],
  hiddenLayers: [1, 4],
  bins: [MIN_BINS, MAX_BINS],
} as const;

/** A spec field outside its allowed range or set. */
export class ModelSpecError extends RangeError {
  override readonly name = 'ModelSpecError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function integerIn(field: string, value: unknown, [min, max]: readonly [number, number]): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ModelSpecError(
      field,
      `model.${field} must be an integer in [${min}, ${max}], got ${String(value)}.`,
    );
  }
  return value;
}

export function resolveFlowSpec(spec: FlowModelSpec): ResolvedFlowSpec {
  if (!FLOW_KINDS.includes(spec.kind)) {
    throw new ModelSpecError(
      'kind',
      `model.kind for family 'flow' must be one of ${FLOW_KINDS.join(', ')}, got "${String(spec.kind)}".`,
    );
  }
  const activation = spec.activation ?? 'tanh';
  if (!ACTIVATIONS.includes(activation)) {
    throw new ModelSpecError(
      'activation',
      `model.activation must be one of ${ACTIVATIONS.join(', ')}, got "${String(activation)}".`,
    );
  }
  if (!Number.isSafeInteger(spec.seed) || spec.seed < 0) {
    throw new ModelSpecError(
      'seed',
      `model.seed must be an integer in [0, 2^53), got ${String(spec.seed)}.`,
    );
  }
  return {
    family: 'flow',
    kind: spec.kind,
    layers: integerIn('layers', spec.layers, FLOW_LIMITS.layers),
    hidden: integerIn('hidden', spec.hidden, FLOW_LIMITS.hidden),
    hiddenLayers: integerIn('hiddenLayers', spec.hiddenLayers ?? 2, FLOW_LIMITS.hiddenLayers),
    activation,
    bins: integerIn('bins', spec.bins ?? 8, FLOW_LIMITS.bins),
    seed: spec.seed,
  };
}

/** Angle of the k-th LU layer's initial rotation, from the seed (Philox stream "LUIN"). */
function rotationAngle(seed: number, k: number): number {
  return 2 * Math.PI * uniform4([k, 0, 0x4c55494e, 0], seedKey(seed))[0];
}

/**
 * nice:    additive couplings with alternating conditioning coordinate, then a scaling layer
 * realnvp: affine couplings, alternating
 * glow:    steps of ActNorm → LU linear → affine coupling (alternating)
 * spline:  rational-quadratic spline couplings (Durkan et al. 2019), alternating
 */
export function buildFlowLayers(spec: ResolvedFlowSpec, layout: ParameterLayout): FlowLayer[] {
  const coupling = (k: number, transform: 'additive' | 'affine') =>
    new CouplingLayer(layout, `coupling${k}`, {
      transform,
      cond: (k % 2) as 0 | 1,
      hidden: spec.hidden,
      hiddenLayers: spec.hiddenLayers,
      activation: spec.activation,
    });
  const layers: FlowLayer[] = [];
  for (let k = 0; k < spec.layers; k++) {
    if (spec.kind === 'glow') {
      layers.push(new ActNormLayer(layout, `actnorm${k}`));
      layers.push(new LuLinearLayer(layout, `lu${k}`, rotationAngle(spec.seed, k)));
    }
    if (spec.kind === 'spline') {
      layers.push(
        new SplineCouplingLayer(layout, `spline${k}`, {
          cond: (k % 2) as 0 | 1,
          bins: spec.bins,
          hidden: spec.hidden,
          hiddenLayers: spec.hiddenLayers,
          activation: spec.activation,
        }),
      );
      continue;
    }
    layers.push(coupling(k, spec.kind === 'nice' ? 'additive' : 'affine'));
  }
  if (spec.kind === 'nice') layers.push(new ScalingLayer(layout, 'scaling'));
  return layers;
}

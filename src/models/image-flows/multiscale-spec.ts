/**
 * The specs of the multi-scale image flows, their validation, and the plan both the float64 twin
 * (multiscale-reference.ts) and a GPU model run: a list of operations on a C × H × W map with the
 * parameter layout.
 *
 * RealNVP (Dinh et al. 2016), per scale s < scales − 1: couplingsPerScale affine couplings with
 * checkerboard masks (parities 0, 1, 0, …), squeeze (C × H × W → 4C × H/2 × W/2), couplingsPerScale
 * couplings with channel masks, then half the channels are factored out (they go to the prior);
 * the last scale: couplingsPerScale + 1 checkerboard couplings.
 *
 * Glow (Kingma & Dhariwal 2018), per level l: squeeze, stepsPerLevel steps of ActNorm →
 * invertible 1 × 1 convolution (LU) → affine coupling (channel mask), then (but for the last level)
 * factor out half the channels.
 *
 * The affine coupling: the conditioning part x_a (the checkerboard's parity squares, or one
 * channel half) feeds a conditioner 3 × 3 conv → ReLU → 3 × 3 conv whose 2·n outputs are raw log-
 * scales r and shifts t of the n transformed values: y_b = x_b · exp(tanh(r)) + t. tanh bounds each
 * log-scale to (−1, 1): an exp of an unbounded output overflows early in training, and a coupling
 * repeats often enough that ±1 per layer is not a limit in practice. The conditioner's last conv
 * starts at zero, ActNorm at (logs, b) = 0 and the 1 × 1 convolution at the permutation P (L = I,
 * U = 0, log|s| = 0): a fresh flow is a permutation of the pixels, so its bits/dim has the same
 * closed form as NICE's. Glow's data-dependent ActNorm initialisation is not done (the identity
 * init keeps that closed form and the first step needs no extra pass).
 */
import { addConv2dParameters } from '../../nn/conv/conv2d';
import { ParameterLayout } from '../../nn/parameters';
import type { MapShape } from '../../nn/reference/image';
import { ModelSpecError } from '../flows/flow-spec';
import { IMAGE_FLOW_PRIORS, type ImageFlowPrior } from './nice-spec';

interface MultiscaleCommon {
  family: 'image-flow';
  /** [channels, height, width] of the images; must equal the training set's shape. */
  shape: readonly [number, number, number];
  /** Width (channels) of the conditioners' hidden map (default 32). */
  channels?: number;
  /** The base density: 'gaussian' (default, as the papers) or 'logistic'. */
  prior?: ImageFlowPrior;
  /** Philox seed of the initial weights, an integer in [0, 2^53). Default 0. */
  seed?: number;
}

export interface RealNvpImageSpec extends MultiscaleCommon {
  kind: 'realnvp';
  /** Scales (default 2); height and width must be divisible by 2^(scales − 1). */
  scales?: number;
  /** Couplings of each mask type per scale (default 3, as the paper). */
  couplingsPerScale?: number;
}

export interface GlowImageSpec extends MultiscaleCommon {
  kind: 'glow';
  /** Levels (default 2), each starting with a squeeze: height and width divisible by 2^levels. */
  levels?: number;
  /** ActNorm → 1×1 conv → coupling steps per level (default 4). */
  stepsPerLevel?: number;
}

export type MultiscaleImageSpec = RealNvpImageSpec | GlowImageSpec;

interface ResolvedCommon {
  family: 'image-flow';
  shape: [number, number, number];
  channels: number;
  prior: ImageFlowPrior;
  seed: number;
}

/** A resolved spec keeps the fields' names, so that it is a valid spec itself. */
export type ResolvedMultiscaleSpec =
  | (ResolvedCommon & { kind: 'realnvp'; scales: number; couplingsPerScale: number })
  | (ResolvedCommon & { kind: 'glow'; levels: number; stepsPerLevel: number });

/** RealNVP's scales or Glow's levels, and its couplings per mask type or steps per level. */
export function multiscaleDepth(spec: ResolvedMultiscaleSpec): { scales: number; steps: number } {
  return spec.kind === 'realnvp'
    ? { scales: spec.scales, steps: spec.couplingsPerScale }
    : { scales: spec.levels, steps: spec.stepsPerLevel };
}

/**
 * Ranges. The parameters are capped as NICE's (parameters, gradients and optimizer moments within
 * ~160 MB); the conditioner width of 256 covers the papers' small models.
 */
export const MULTISCALE_LIMITS = {
  channels: [1, 4],
  side: [2, 64],
  scales: [1, 4],
  steps: [1, 16],
  hidden: [1, 256],
  parameters: 8_000_000,
} as const;

const FIELDS: Record<'realnvp' | 'glow', string[]> = {
  realnvp: ['scales', 'couplingsPerScale'],
  glow: ['levels', 'stepsPerLevel'],
};
const COMMON = ['family', 'kind', 'shape', 'channels', 'prior', 'seed'];

function integerIn(field: string, value: unknown, [min, max]: readonly [number, number]): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ModelSpecError(
      field,
      `model.${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** Validates a RealNVP or Glow spec and fills the defaults; ModelSpecError names the bad field. */
export function resolveMultiscaleSpec(spec: MultiscaleImageSpec): ResolvedMultiscaleSpec {
  const s = spec as unknown as Record<string, unknown>;
  const kind = s.kind;
  if (kind !== 'realnvp' && kind !== 'glow') {
    throw new ModelSpecError(
      'kind',
      `model.kind of a multi-scale image flow must be 'realnvp' or 'glow', got ${JSON.stringify(kind)}.`,
    );
  }
  const allowed = [...COMMON, ...FIELDS[kind]];
  for (const key of Object.keys(s)) {
    if (!allowed.includes(key) && s[key] !== undefined) {
      throw new ModelSpecError(
        key,
        `Unknown field '${key}' in a ${kind} spec; allowed fields: ${allowed.join(', ')}.`,
      );
    }
  }
  const shape = s.shape;
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw new ModelSpecError(
      'shape',
      `model.shape must be [channels, height, width] (e.g. the dataset's shape, [1, 28, 28]), got ${JSON.stringify(shape)}.`,
    );
  }
  const c = integerIn('shape[0] (channels)', shape[0], MULTISCALE_LIMITS.channels);
  const h = integerIn('shape[1] (height)', shape[1], MULTISCALE_LIMITS.side);
  const w = integerIn('shape[2] (width)', shape[2], MULTISCALE_LIMITS.side);
  const scaleField = kind === 'realnvp' ? 'scales' : 'levels';
  const stepField = kind === 'realnvp' ? 'couplingsPerScale' : 'stepsPerLevel';
  const scales = integerIn(scaleField, s[scaleField] ?? 2, MULTISCALE_LIMITS.scales);
  const steps = integerIn(stepField, s[stepField] ?? (kind === 'realnvp' ? 3 : 4), [
    ...MULTISCALE_LIMITS.steps,
  ] as const);
  const squeezes = kind === 'realnvp' ? scales - 1 : scales;
  const divisor = 2 ** squeezes;
  if (h % divisor !== 0 || w % divisor !== 0) {
    throw new ModelSpecError(
      scaleField,
      `A ${kind} with ${scales} ${scaleField} squeezes the image ${squeezes} times, so height and ` +
        `width must be divisible by ${divisor}; got ${h}×${w}. Use fewer ${scaleField} or crop/pad the images.`,
    );
  }
  if (kind === 'realnvp' && scales === 1 && c * h * w < 2) {
    throw new ModelSpecError('shape', 'A one-scale RealNVP needs at least 2 values per image.');
  }
  const prior = s.prior ?? 'gaussian';
  if (!IMAGE_FLOW_PRIORS.includes(prior as ImageFlowPrior)) {
    throw new ModelSpecError(
      'prior',
      `model.prior must be 'logistic' or 'gaussian', got ${JSON.stringify(prior)}.`,
    );
  }
  const seed = s.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new ModelSpecError(
      'seed',
      `model.seed must be an integer in [0, 2^53), got ${String(seed)}.`,
    );
  }
  const common = {
    family: 'image-flow' as const,
    shape: [c, h, w] as [number, number, number],
    channels: integerIn('channels', s.channels ?? 32, MULTISCALE_LIMITS.hidden),
    prior: prior as ImageFlowPrior,
    seed,
  };
  const resolved: ResolvedMultiscaleSpec =
    kind === 'realnvp'
      ? { ...common, kind, scales, couplingsPerScale: steps }
      : { ...common, kind, levels: scales, stepsPerLevel: steps };
  const count = multiscalePlan(resolved).layout.total;
  if (count > MULTISCALE_LIMITS.parameters) {
    throw new ModelSpecError(
      'channels',
      `This ${kind} has ${count} parameters, more than the ${MULTISCALE_LIMITS.parameters} allowed; ` +
        `use fewer conditioner channels, ${scaleField} or ${stepField}.`,
    );
  }
  return resolved;
}

/** An affine coupling: the conditioner is conv3×3 (condition → hidden, ReLU) → conv3×3 (→ 2n). */
export interface CouplingOp {
  kind: 'coupling';
  mask: 'checkerboard' | 'channel';
  /** Checkerboard: squares with (y + x + parity) even condition. Channel: half `parity` conditions. */
  parity: 0 | 1;
  shape: MapShape;
  /** Channels of the conditioner's input and hidden map, and of its output (raw log-scales, then shifts). */
  conditionChannels: number;
  hidden: number;
  outputChannels: number;
  /** Offsets of the two convs' weights (each followed by its bias). */
  conv1: number;
  conv2: number;
}

export interface ActNormOp {
  kind: 'actnorm';
  shape: MapShape;
  /** logs (C), then b (C). */
  offset: number;
}

/**
 * 1 × 1 convolution y = W x at every pixel, W = P · L · (U + diag(exp(logs))): P reverses the
 * channels (fixed), L is unit lower triangular, U strictly upper. Parameters: one C × C matrix
 * holding L below and U above its (unused) diagonal, then logs (C). log|det| = H·W·Σ logs.
 */
export interface InvConvOp {
  kind: 'invconv';
  shape: MapShape;
  offset: number;
}

/** C × H × W → 4C × H/2 × W/2 (src/nn/reference/image.ts squeeze); `shape` is the large side. */
export interface SqueezeOp {
  kind: 'squeeze';
  shape: MapShape;
}

/** Keeps channels [0, C/2) and sends [C/2, C) to the prior as latent `latent`. */
export interface FactorOp {
  kind: 'factor';
  shape: MapShape;
  latent: number;
}

export type MultiscaleOp = CouplingOp | ActNormOp | InvConvOp | SqueezeOp | FactorOp;

export interface MultiscalePlan {
  layout: ParameterLayout;
  ops: MultiscaleOp[];
  /** The shapes of the latents, in the order they leave (the factored ones, then the last map). */
  latents: MapShape[];
}

/** Values per image: channels × height × width. */
export function multiscaleDims(spec: Pick<ResolvedMultiscaleSpec, 'shape'>): number {
  return spec.shape[0] * spec.shape[1] * spec.shape[2];
}

function addCoupling(
  layout: ParameterLayout,
  name: string,
  mask: CouplingOp['mask'],
  parity: 0 | 1,
  shape: MapShape,
  hidden: number,
): CouplingOp {
  const half = shape.channels / 2;
  const conditionChannels = mask === 'checkerboard' ? shape.channels : Math.floor(half);
  const outputChannels = mask === 'checkerboard' ? 2 * shape.channels : 2 * Math.floor(half);
  const { height, width } = shape;
  const conv1 = addConv2dParameters(layout, `${name}.conv1`, {
    inputChannels: conditionChannels,
    outputChannels: hidden,
    height,
    width,
    kernel: 3,
    stride: 1,
    activation: 'relu',
  });
  // The last conv starts at zero: r = t = 0, so the coupling starts as the identity.
  const conv2 = layout.add(`${name}.conv2.weight`, [outputChannels, hidden, 3, 3], {
    kind: 'constant',
    value: 0,
  }).offset;
  layout.add(`${name}.conv2.bias`, [outputChannels], { kind: 'constant', value: 0 });
  return {
    kind: 'coupling',
    mask,
    parity,
    shape,
    conditionChannels,
    hidden,
    outputChannels,
    conv1,
    conv2,
  };
}

/** The operations in forward order and the parameter layout. */
export function multiscalePlan(spec: ResolvedMultiscaleSpec): MultiscalePlan {
  const layout = new ParameterLayout();
  const ops: MultiscaleOp[] = [];
  const latents: MapShape[] = [];
  let shape: MapShape = { channels: spec.shape[0], height: spec.shape[1], width: spec.shape[2] };
  const squeeze = () => {
    ops.push({ kind: 'squeeze', shape });
    shape = { channels: 4 * shape.channels, height: shape.height / 2, width: shape.width / 2 };
  };
  const factor = () => {
    const kept = Math.floor(shape.channels / 2);
    ops.push({ kind: 'factor', shape, latent: latents.length });
    latents.push({ ...shape, channels: shape.channels - kept });
    shape = { ...shape, channels: kept };
  };
  const depth = multiscaleDepth(spec);
  for (let s = 0; s < depth.scales; s++) {
    const last = s === depth.scales - 1;
    if (spec.kind === 'realnvp') {
      const checkers = last ? depth.steps + 1 : depth.steps;
      for (let k = 0; k < checkers; k++) {
        ops.push(
          addCoupling(
            layout,
            `s${s}.checker${k}`,
            'checkerboard',
            (k % 2) as 0 | 1,
            shape,
            spec.channels,
          ),
        );
      }
      if (last) break;
      squeeze();
      for (let k = 0; k < depth.steps; k++) {
        ops.push(
          addCoupling(
            layout,
            `s${s}.channel${k}`,
            'channel',
            (k % 2) as 0 | 1,
            shape,
            spec.channels,
          ),
        );
      }
      factor();
    } else {
      squeeze();
      for (let k = 0; k < depth.steps; k++) {
        const name = `l${s}.step${k}`;
        const actnorm = layout.add(`${name}.actnorm.logs`, [shape.channels], {
          kind: 'constant',
          value: 0,
        }).offset;
        layout.add(`${name}.actnorm.bias`, [shape.channels], { kind: 'constant', value: 0 });
        ops.push({ kind: 'actnorm', shape, offset: actnorm });
        const lu = layout.add(`${name}.invconv.lu`, [shape.channels, shape.channels], {
          kind: 'constant',
          value: 0,
        }).offset;
        layout.add(`${name}.invconv.logs`, [shape.channels], { kind: 'constant', value: 0 });
        ops.push({ kind: 'invconv', shape, offset: lu });
        ops.push(addCoupling(layout, `${name}.coupling`, 'channel', 0, shape, spec.channels));
      }
      if (!last) factor();
    }
  }
  latents.push(shape);
  return { layout, ops, latents };
}

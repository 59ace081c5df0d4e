/**
 * The spec of an image flow (NICE, Dinh et al. 2014), its validation and its parameter layout.
 * NICE acts on the flattened pixels y ∈ [0, 1)^D (D = channels × height × width, after uniform
 * dequantization and scaling by 1/256: the 'unit' pre-processing of src/data/images):
 *   coupling l (l = 0 … L−1), parity p = l mod 2: the conditioning half x_a = x[2k + p] and the
 *   transformed half x_b = x[2k + 1 − p] (k = 0 … D/2 − 1); x_b ← x_b + m_l(x_a)
 *   scaling: z = h ⊙ exp(s), log|det| = Σ_d s_d
 * m_l is an MLP (D/2 → hidden × hiddenLayers, ReLU → D/2). Its last layer and s start at 0, so
 * a fresh model is the identity and its bits/dim have a closed form.
 */
import { ParameterLayout } from '../../nn/parameters';
import type { MlpShape } from '../../nn/mlp-shape';
import { ModelSpecError } from '../flows/flow-spec';

export const IMAGE_FLOW_PRIORS = ['logistic', 'gaussian'] as const;
export type ImageFlowPrior = (typeof IMAGE_FLOW_PRIORS)[number];

export interface NiceModelSpec {
  family: 'image-flow';
  kind: 'nice';
  /** [channels, height, width] of the images; must equal the training set's shape. */
  shape: readonly [number, number, number];
  /** Additive coupling layers (default 4, as the paper). */
  layers?: number;
  /** Width of the conditioner MLPs' hidden layers (default 128). */
  hidden?: number;
  /** Hidden layers per conditioner (default 2). */
  hiddenLayers?: number;
  /** The base density: 'logistic' (default, as the paper) or 'gaussian'. */
  prior?: ImageFlowPrior;
  /** Philox seed of the initial weights, an integer in [0, 2^53). Default 0. */
  seed?: number;
}

/** Every image model spec the lab knows (one kind so far). */
export type ImageModelSpec = NiceModelSpec;

export interface ResolvedNiceSpec {
  family: 'image-flow';
  kind: 'nice';
  shape: [number, number, number];
  layers: number;
  hidden: number;
  hiddenLayers: number;
  prior: ImageFlowPrior;
  seed: number;
}

/**
 * Ranges of the fields. The hidden width and parameter count are capped so that parameters,
 * gradients and the optimizer's moments (5 copies) stay within ~160 MB of GPU memory; the side
 * of 64 covers every shipped set (28) and user sets (≤ 28) with room.
 */
export const NICE_LIMITS = {
  channels: [1, 4],
  side: [2, 64],
  layers: [1, 16],
  hidden: [1, 1024],
  hiddenLayers: [1, 5],
  parameters: 8_000_000,
} as const;

const FIELDS = ['family', 'kind', 'shape', 'layers', 'hidden', 'hiddenLayers', 'prior', 'seed'];

function integerIn(field: string, value: unknown, [min, max]: readonly [number, number]): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ModelSpecError(
      field,
      `model.${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** Validates an image-flow spec and fills the defaults; ModelSpecError names the bad field. */
export function resolveNiceSpec(spec: NiceModelSpec): ResolvedNiceSpec {
  const s = spec as unknown as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    if (!FIELDS.includes(key) && s[key] !== undefined) {
      throw new ModelSpecError(
        key,
        `Unknown field '${key}' in an image-flow spec; allowed fields: ${FIELDS.join(', ')}.`,
      );
    }
  }
  if (s.kind !== 'nice') {
    throw new ModelSpecError(
      'kind',
      `model.kind of an image flow must be 'nice', got ${JSON.stringify(s.kind)}.`,
    );
  }
  const shape = s.shape;
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw new ModelSpecError(
      'shape',
      `model.shape must be [channels, height, width] (e.g. the dataset's shape, [1, 14, 14]), got ${JSON.stringify(shape)}.`,
    );
  }
  const channels = integerIn('shape[0] (channels)', shape[0], NICE_LIMITS.channels);
  const height = integerIn('shape[1] (height)', shape[1], NICE_LIMITS.side);
  const width = integerIn('shape[2] (width)', shape[2], NICE_LIMITS.side);
  if ((channels * height * width) % 2 !== 0) {
    throw new ModelSpecError(
      'shape',
      `NICE splits the ${channels}×${height}×${width} = ${channels * height * width} values of an ` +
        'image into two equal halves, so channels × height × width must be even; crop or pad the images.',
    );
  }
  const prior = s.prior ?? 'logistic';
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
  const resolved: ResolvedNiceSpec = {
    family: 'image-flow',
    kind: 'nice',
    shape: [channels, height, width],
    layers: integerIn('layers', s.layers ?? 4, NICE_LIMITS.layers),
    hidden: integerIn('hidden', s.hidden ?? 128, NICE_LIMITS.hidden),
    hiddenLayers: integerIn('hiddenLayers', s.hiddenLayers ?? 2, NICE_LIMITS.hiddenLayers),
    prior: prior as ImageFlowPrior,
    seed,
  };
  const count = niceParameterCount(resolved);
  if (count > NICE_LIMITS.parameters) {
    throw new ModelSpecError(
      'hidden',
      `This NICE has ${count} parameters, more than the ${NICE_LIMITS.parameters} allowed; ` +
        'use a smaller hidden width, fewer hidden layers or fewer coupling layers.',
    );
  }
  return resolved;
}

/** Values per image: channels × height × width. */
export function niceDims(spec: Pick<ResolvedNiceSpec, 'shape'>): number {
  return spec.shape[0] * spec.shape[1] * spec.shape[2];
}

/** The conditioner MLP of every coupling layer: D/2 → hidden × hiddenLayers (ReLU) → D/2. */
export function niceConditionerShape(spec: ResolvedNiceSpec): MlpShape {
  const half = niceDims(spec) / 2;
  return {
    inputs: half,
    hidden: spec.hidden,
    hiddenLayers: spec.hiddenLayers,
    outputs: half,
    activation: 'relu',
  };
}

export function niceParameterCount(spec: ResolvedNiceSpec): number {
  const { inputs, hidden, hiddenLayers, outputs } = niceConditionerShape(spec);
  const mlp =
    (inputs + 1) * hidden + (hiddenLayers - 1) * (hidden + 1) * hidden + (hidden + 1) * outputs;
  return spec.layers * mlp + niceDims(spec);
}

/** Where the parameters sit: each conditioner's contiguous MLP block, then the scales s. */
export interface NiceLayout {
  layout: ParameterLayout;
  /** Offset of conditioner l's MLP (layout of src/nn/mlp-shape.ts linearLayers). */
  conditioners: number[];
  /** Offset of the D log-scales s. */
  scale: number;
}

export function niceLayout(spec: ResolvedNiceSpec): NiceLayout {
  const layout = new ParameterLayout();
  const mlp = niceConditionerShape(spec);
  const conditioners: number[] = [];
  for (let l = 0; l < spec.layers; l++) {
    for (let j = 0; j <= mlp.hiddenLayers; j++) {
      const inputs = j === 0 ? mlp.inputs : mlp.hidden;
      const last = j === mlp.hiddenLayers;
      const outputs = last ? mlp.outputs : mlp.hidden;
      const weight = layout.add(
        `coupling${l}.dense${j}.weight`,
        [outputs, inputs],
        // The last layer starts at 0: every coupling starts as the identity.
        last
          ? { kind: 'constant', value: 0 }
          : { kind: 'kaiming-uniform', fanIn: inputs, gain: Math.SQRT2 },
      );
      layout.add(
        `coupling${l}.dense${j}.bias`,
        [outputs],
        last ? { kind: 'constant', value: 0 } : { kind: 'fan-in-uniform', fanIn: inputs },
      );
      if (j === 0) conditioners.push(weight.offset);
    }
  }
  const scale = layout.add('scale', [niceDims(spec)], { kind: 'constant', value: 0 }).offset;
  return { layout, conditioners, scale };
}

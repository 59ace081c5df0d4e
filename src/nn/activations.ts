/**
 * Activation functions: ids shared with shaders/lib/activations.wgsl, and their float64 twins
 * (value and derivative with respect to the pre-activation z).
 */
export const ACTIVATIONS = [
  'identity',
  'relu',
  'leaky-relu',
  'tanh',
  'silu',
  'gelu',
  'softplus',
] as const;

export type Activation = (typeof ACTIVATIONS)[number];

/** The id used by the WGSL switch in shaders/lib/activations.wgsl. */
export function activationId(activation: Activation): number {
  const id = ACTIVATIONS.indexOf(activation);
  if (id < 0) {
    throw new RangeError(
      `Unknown activation "${String(activation)}"; expected one of ${ACTIVATIONS.join(', ')}.`,
    );
  }
  return id;
}

function sigmoid(z: number): number {
  const e = Math.exp(-Math.abs(z));
  return z >= 0 ? 1 / (1 + e) : e / (1 + e);
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

export function activate(activation: Activation, z: number): number {
  switch (activation) {
    case 'identity':
      return z;
    case 'relu':
      return Math.max(z, 0);
    case 'leaky-relu':
      return z > 0 ? z : 0.01 * z;
    case 'tanh':
      return Math.tanh(z);
    case 'silu':
      return z * sigmoid(z);
    case 'gelu':
      return 0.5 * z * (1 + Math.tanh(GELU_C * (z + GELU_A * z ** 3)));
    case 'softplus':
      return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  }
}

export function activationGrad(activation: Activation, z: number): number {
  switch (activation) {
    case 'identity':
      return 1;
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'leaky-relu':
      return z > 0 ? 1 : 0.01;
    case 'tanh': {
      const t = Math.tanh(z);
      return 1 - t * t;
    }
    case 'silu': {
      const s = sigmoid(z);
      return s * (1 + z * (1 - s));
    }
    case 'gelu': {
      const t = Math.tanh(GELU_C * (z + GELU_A * z ** 3));
      return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * z * z);
    }
    case 'softplus':
      return sigmoid(z);
  }
}

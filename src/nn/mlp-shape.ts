/** The shape of a multilayer perceptron and where its weights sit in a flat parameter buffer. */
import { ACTIVATIONS, type Activation } from './activations';
import type { ParameterLayout, ParameterView } from './parameters';

/** inputs → hidden × hiddenLayers → outputs; hidden layers use `activation`, the output none. */
export interface MlpShape {
  inputs: number;
  hidden: number;
  hiddenLayers: number;
  outputs: number;
  activation: Activation;
}

/** Largest width the fused MLP kernels support (private arrays are sized by it). */
export const MAX_MLP_WIDTH = 256;
export const MAX_HIDDEN_LAYERS = 8;

export interface LinearLayerShape {
  inputs: number;
  outputs: number;
  /** Offset of W (outputs × inputs, row-major) relative to the MLP's first parameter. */
  weightOffset: number;
  /** Offset of the bias (outputs) relative to the MLP's first parameter. */
  biasOffset: number;
}

export function validateMlpShape(shape: MlpShape, owner = 'MLP'): void {
  const check = (field: keyof MlpShape, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(
        `${owner}: ${field} must be an integer in [${min}, ${max}], got ${value}.`,
      );
    }
  };
  check('inputs', shape.inputs, 1, MAX_MLP_WIDTH);
  check('hidden', shape.hidden, 1, MAX_MLP_WIDTH);
  check('hiddenLayers', shape.hiddenLayers, 1, MAX_HIDDEN_LAYERS);
  check('outputs', shape.outputs, 1, MAX_MLP_WIDTH);
  if (!ACTIVATIONS.includes(shape.activation)) {
    throw new RangeError(
      `${owner}: activation must be one of ${ACTIVATIONS.join(', ')}, got "${String(shape.activation)}".`,
    );
  }
}

/** The hiddenLayers + 1 linear layers, with their offsets in the contiguous parameter block. */
export function linearLayers(shape: MlpShape): LinearLayerShape[] {
  const layers: LinearLayerShape[] = [];
  let offset = 0;
  for (let l = 0; l <= shape.hiddenLayers; l++) {
    const inputs = l === 0 ? shape.inputs : shape.hidden;
    const outputs = l === shape.hiddenLayers ? shape.outputs : shape.hidden;
    layers.push({ inputs, outputs, weightOffset: offset, biasOffset: offset + inputs * outputs });
    offset += (inputs + 1) * outputs;
  }
  return layers;
}

export function mlpParameterCount(shape: MlpShape): number {
  return linearLayers(shape).reduce((sum, l) => sum + (l.inputs + 1) * l.outputs, 0);
}

export interface MlpParameters {
  /** Offset of the MLP's contiguous block in the flat buffer. */
  offset: number;
  views: ParameterView[];
}

/**
 * Adds an MLP's weights and biases (contiguous, in the order the fused kernels expect).
 * `zeroLast` starts the output layer at zero, so the MLP outputs 0 (identity couplings).
 */
export function addMlpParameters(
  layout: ParameterLayout,
  prefix: string,
  shape: MlpShape,
  options: { zeroLast?: boolean } = {},
): MlpParameters {
  validateMlpShape(shape, prefix);
  const reluLike = ['relu', 'leaky-relu', 'silu', 'gelu'].includes(shape.activation);
  const views: ParameterView[] = [];
  const layers = linearLayers(shape);
  layers.forEach((layer, l) => {
    const last = l === layers.length - 1;
    const weightInit =
      last && options.zeroLast
        ? ({ kind: 'constant', value: 0 } as const)
        : reluLike && !last
          ? ({ kind: 'kaiming-uniform', fanIn: layer.inputs, gain: Math.SQRT2 } as const)
          : ({
              kind: 'xavier-uniform',
              fanIn: layer.inputs,
              fanOut: layer.outputs,
              gain: 1,
            } as const);
    views.push(layout.add(`${prefix}.${l}.weight`, [layer.outputs, layer.inputs], weightInit));
    views.push(
      layout.add(
        `${prefix}.${l}.bias`,
        [layer.outputs],
        last && options.zeroLast
          ? { kind: 'constant', value: 0 }
          : { kind: 'fan-in-uniform', fanIn: layer.inputs },
      ),
    );
  });
  return { offset: views[0]!.offset, views };
}

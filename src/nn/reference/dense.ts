/**
 * Float64 twin of a dense layer y = f(W x + b) and of the MLP built from such layers: the test
 * oracle for the WGSL kernels, and the CPU fallback for sampling without WebGPU.
 * Arrays are row-major: x is batch × inputs, W is outputs × inputs.
 */
import { activate, activationGrad, type Activation } from '../activations';
import { linearLayers, type MlpShape } from '../mlp-shape';

export type Floats = ArrayLike<number>;

export interface DenseCache {
  /** Input, batch × inputs. */
  x: Float64Array;
  /** Pre-activation, batch × outputs. */
  z: Float64Array;
}

export function denseForward(
  params: Floats,
  weightOffset: number,
  biasOffset: number,
  inputs: number,
  outputs: number,
  activation: Activation,
  x: Floats,
  batch: number,
): { y: Float64Array; cache: DenseCache } {
  const z = new Float64Array(batch * outputs);
  const y = new Float64Array(batch * outputs);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outputs; o++) {
      let acc = params[biasOffset + o]!;
      for (let j = 0; j < inputs; j++)
        acc += params[weightOffset + o * inputs + j]! * x[b * inputs + j]!;
      z[b * outputs + o] = acc;
      y[b * outputs + o] = activate(activation, acc);
    }
  }
  return { y, cache: { x: Float64Array.from(x), z } };
}

/**
 * Backward of a dense layer: accumulates dL/dW and dL/db into `grads` (same layout as params)
 * and returns dL/dx. `delta` receives dL/dz (batch × outputs) when given.
 */
export function denseBackward(
  params: Floats,
  weightOffset: number,
  biasOffset: number,
  inputs: number,
  outputs: number,
  activation: Activation,
  cache: DenseCache,
  dy: Floats,
  batch: number,
  grads: Float64Array,
): Float64Array {
  const dx = new Float64Array(batch * inputs);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outputs; o++) {
      const d = dy[b * outputs + o]! * activationGrad(activation, cache.z[b * outputs + o]!);
      grads[biasOffset + o] = grads[biasOffset + o]! + d;
      for (let j = 0; j < inputs; j++) {
        const w = weightOffset + o * inputs + j;
        grads[w] = grads[w]! + d * cache.x[b * inputs + j]!;
        dx[b * inputs + j] = dx[b * inputs + j]! + d * params[w]!;
      }
    }
  }
  return dx;
}

export interface MlpCache {
  layers: DenseCache[];
}

/** The MLP whose contiguous parameters start at `offset` (layout of src/nn/mlp-shape.ts). */
export function mlpForward(
  params: Floats,
  offset: number,
  shape: MlpShape,
  x: Floats,
  batch: number,
): { y: Float64Array; cache: MlpCache } {
  const layers = linearLayers(shape);
  const caches: DenseCache[] = [];
  let h: Floats = x;
  layers.forEach((layer, l) => {
    const activation = l === layers.length - 1 ? 'identity' : shape.activation;
    const { y, cache } = denseForward(
      params,
      offset + layer.weightOffset,
      offset + layer.biasOffset,
      layer.inputs,
      layer.outputs,
      activation,
      h,
      batch,
    );
    caches.push(cache);
    h = y;
  });
  return { y: h as Float64Array, cache: { layers: caches } };
}

/** Accumulates parameter gradients into `grads` and returns dL/dx. */
export function mlpBackward(
  params: Floats,
  offset: number,
  shape: MlpShape,
  cache: MlpCache,
  dy: Floats,
  batch: number,
  grads: Float64Array,
): Float64Array {
  const layers = linearLayers(shape);
  let g: Floats = dy;
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l]!;
    const activation = l === layers.length - 1 ? 'identity' : shape.activation;
    g = denseBackward(
      params,
      offset + layer.weightOffset,
      offset + layer.biasOffset,
      layer.inputs,
      layer.outputs,
      activation,
      cache.layers[l]!,
      g,
      batch,
      grads,
    );
  }
  return g as Float64Array;
}

/** Residual block y = x + MLP(x) (inputs = outputs). */
export function residualForward(
  params: Floats,
  offset: number,
  shape: MlpShape,
  x: Floats,
  batch: number,
): { y: Float64Array; cache: MlpCache } {
  const { y, cache } = mlpForward(params, offset, shape, x, batch);
  for (let i = 0; i < y.length; i++) y[i] = y[i]! + x[i]!;
  return { y, cache };
}

/** Backward of the residual block: dL/dx = dL/dy + MLPᵀ(dL/dy). */
export function residualBackward(
  params: Floats,
  offset: number,
  shape: MlpShape,
  cache: MlpCache,
  dy: Floats,
  batch: number,
  grads: Float64Array,
): Float64Array {
  const dx = mlpBackward(params, offset, shape, cache, dy, batch, grads);
  for (let i = 0; i < dx.length; i++) dx[i] = dx[i]! + dy[i]!;
  return dx;
}

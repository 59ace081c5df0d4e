/**
 * Float64 twin of the 2-D convolution (shaders/nn/conv.wgsl): the test
 * oracle for the WGSL kernels. Every tensor is an NCHW batch, flat, row-major:
 * element (n, c, y, x) of a batch × C × H × W tensor sits at ((n·C + c)·H + y)·W + x.
 */
import { activate, activationGrad, type Activation } from '../activations';
import type { Floats } from './dense';

export interface Conv2dShape {
  inputChannels: number;
  outputChannels: number;
  /** Input height and width. */
  height: number;
  width: number;
  /** Kernel size: 1 or 3 (zero padding kernel / 2 on every side). */
  kernel: 1 | 3;
  stride: 1 | 2;
  activation: Activation;
}

/** Output height and width: ⌊(H + 2·pad − K) / stride⌋ + 1. */
export function convOutputSize(shape: Conv2dShape): { height: number; width: number } {
  const pad = Math.floor(shape.kernel / 2);
  return {
    height: Math.floor((shape.height + 2 * pad - shape.kernel) / shape.stride) + 1,
    width: Math.floor((shape.width + 2 * pad - shape.kernel) / shape.stride) + 1,
  };
}

/** Floats of W (COUT × CIN × K × K, OIHW) then b (COUT). */
export function convParameterCount(shape: Conv2dShape): number {
  return shape.outputChannels * (shape.inputChannels * shape.kernel ** 2 + 1);
}

export interface Conv2dCache {
  x: Float64Array;
  /** Pre-activation, batch × COUT × HO × WO. */
  z: Float64Array;
}

/**
 * z = W ∗ x + b, y = act(z), written as a gather over output pixels (the GPU's formulation):
 * z[n, co, oy, ox] = b[co] + Σ_ci Σ_ky Σ_kx W[co, ci, ky, kx] x[n, ci, oy·S + ky − p, ox·S + kx − p].
 */
export function conv2dForward(
  params: Floats,
  offset: number,
  shape: Conv2dShape,
  x: Floats,
  batch: number,
): { y: Float64Array; cache: Conv2dCache } {
  const { inputChannels: cin, outputChannels: cout, height: h, width: w, kernel: k } = shape;
  const s = shape.stride;
  const pad = Math.floor(k / 2);
  const { height: ho, width: wo } = convOutputSize(shape);
  const z = new Float64Array(batch * cout * ho * wo);
  const y = new Float64Array(z.length);
  const biasOffset = offset + cout * cin * k * k;
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < cout; co++) {
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          let acc = params[biasOffset + co]!;
          for (let ci = 0; ci < cin; ci++) {
            for (let ky = 0; ky < k; ky++) {
              const iy = oy * s + ky - pad;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < k; kx++) {
                const ix = ox * s + kx - pad;
                if (ix < 0 || ix >= w) continue;
                acc +=
                  params[offset + ((co * cin + ci) * k + ky) * k + kx]! *
                  x[((n * cin + ci) * h + iy) * w + ix]!;
              }
            }
          }
          const i = ((n * cout + co) * ho + oy) * wo + ox;
          z[i] = acc;
          y[i] = activate(shape.activation, acc);
        }
      }
    }
  }
  return { y, cache: { x: Float64Array.from(x), z } };
}

/**
 * Backward of conv2dForward: accumulates dL/dW and dL/db into `grads` (same layout as params,
 * at `offset`) and returns dL/dx. Written as a scatter (each output pixel's δ flows back to the
 * inputs it read), the transpose of the forward's gather.
 */
export function conv2dBackward(
  params: Floats,
  offset: number,
  shape: Conv2dShape,
  cache: Conv2dCache,
  dy: Floats,
  batch: number,
  grads: Float64Array,
): Float64Array {
  const { inputChannels: cin, outputChannels: cout, height: h, width: w, kernel: k } = shape;
  const s = shape.stride;
  const pad = Math.floor(k / 2);
  const { height: ho, width: wo } = convOutputSize(shape);
  const dx = new Float64Array(batch * cin * h * w);
  const biasOffset = offset + cout * cin * k * k;
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < cout; co++) {
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          const i = ((n * cout + co) * ho + oy) * wo + ox;
          const d = dy[i]! * activationGrad(shape.activation, cache.z[i]!);
          grads[biasOffset + co] = grads[biasOffset + co]! + d;
          for (let ci = 0; ci < cin; ci++) {
            for (let ky = 0; ky < k; ky++) {
              const iy = oy * s + ky - pad;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < k; kx++) {
                const ix = ox * s + kx - pad;
                if (ix < 0 || ix >= w) continue;
                const wi = offset + ((co * cin + ci) * k + ky) * k + kx;
                const xi = ((n * cin + ci) * h + iy) * w + ix;
                grads[wi] = grads[wi]! + d * cache.x[xi]!;
                dx[xi] = dx[xi]! + d * params[wi]!;
              }
            }
          }
        }
      }
    }
  }
  return dx;
}

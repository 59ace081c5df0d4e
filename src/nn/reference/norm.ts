/**
 * Float64 twin of GroupNorm over NCHW batches (shaders/nn/norm.wgsl). Parameters at `offset`:
 * γ (C floats) then β (C floats).
 */
import type { Floats } from './dense';

export interface GroupNormShape {
  channels: number;
  /** Divides channels. */
  groups: number;
  height: number;
  width: number;
  /** Added to the variance (1e-5 in PyTorch). */
  eps: number;
}

export interface GroupNormCache {
  x: Float64Array;
  /** Per (sample, group): mean and 1 / √(variance + eps). */
  mean: Float64Array;
  rstd: Float64Array;
}

function geometry(shape: GroupNormShape) {
  const pixels = shape.height * shape.width;
  const perGroup = shape.channels / shape.groups;
  return { pixels, perGroup, size: perGroup * pixels };
}

export function groupNormForward(
  params: Floats,
  offset: number,
  shape: GroupNormShape,
  x: Floats,
  batch: number,
): { y: Float64Array; cache: GroupNormCache } {
  const { pixels, perGroup, size } = geometry(shape);
  const C = shape.channels;
  const mean = new Float64Array(batch * shape.groups);
  const rstd = new Float64Array(batch * shape.groups);
  const y = new Float64Array(batch * C * pixels);
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < shape.groups; g++) {
      const start = (n * C + g * perGroup) * pixels;
      let sum = 0;
      for (let k = 0; k < size; k++) sum += x[start + k]!;
      const mu = sum / size;
      let squares = 0;
      for (let k = 0; k < size; k++) squares += (x[start + k]! - mu) ** 2;
      const r = 1 / Math.sqrt(squares / size + shape.eps);
      mean[n * shape.groups + g] = mu;
      rstd[n * shape.groups + g] = r;
      for (let k = 0; k < size; k++) {
        const c = g * perGroup + Math.floor(k / pixels);
        y[start + k] = params[offset + c]! * (x[start + k]! - mu) * r + params[offset + C + c]!;
      }
    }
  }
  return { y, cache: { x: Float64Array.from(x), mean, rstd } };
}

/** Accumulates dL/dγ, dL/dβ into `grads` (at `offset`) and returns dL/dx. */
export function groupNormBackward(
  params: Floats,
  offset: number,
  shape: GroupNormShape,
  cache: GroupNormCache,
  dy: Floats,
  batch: number,
  grads: Float64Array,
): Float64Array {
  const { pixels, perGroup, size } = geometry(shape);
  const C = shape.channels;
  const dx = new Float64Array(batch * C * pixels);
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < shape.groups; g++) {
      const start = (n * C + g * perGroup) * pixels;
      const mu = cache.mean[n * shape.groups + g]!;
      const r = cache.rstd[n * shape.groups + g]!;
      const xhat = (k: number) => (cache.x[start + k]! - mu) * r;
      const channel = (k: number) => g * perGroup + Math.floor(k / pixels);
      let meanG = 0;
      let meanGx = 0;
      for (let k = 0; k < size; k++) {
        const c = channel(k);
        const gk = dy[start + k]! * params[offset + c]!;
        meanG += gk / size;
        meanGx += (gk * xhat(k)) / size;
        grads[offset + c] = grads[offset + c]! + dy[start + k]! * xhat(k);
        grads[offset + C + c] = grads[offset + C + c]! + dy[start + k]!;
      }
      for (let k = 0; k < size; k++) {
        const gk = dy[start + k]! * params[offset + channel(k)]!;
        dx[start + k] = r * (gk - meanG - xhat(k) * meanGx);
      }
    }
  }
  return dx;
}

/** ActNorm (Glow): y = x · exp(logs[c]) + b[c]; parameters logs (C) then b (C) at `offset`. */
export interface ActNormShape {
  channels: number;
  height: number;
  width: number;
}

export function actNormForward(
  params: Floats,
  offset: number,
  shape: ActNormShape,
  x: Floats,
  batch: number,
): { y: Float64Array; logDet: Float64Array } {
  const pixels = shape.height * shape.width;
  const C = shape.channels;
  const y = Float64Array.from({ length: batch * C * pixels }, (_, i) => {
    const c = Math.floor(i / pixels) % C;
    return x[i]! * Math.exp(params[offset + c]!) + params[offset + C + c]!;
  });
  let sumLogs = 0;
  for (let c = 0; c < C; c++) sumLogs += params[offset + c]!;
  return { y, logDet: new Float64Array(batch).fill(pixels * sumLogs) };
}

export function actNormInverse(
  params: Floats,
  offset: number,
  shape: ActNormShape,
  y: Floats,
  batch: number,
): Float64Array {
  const pixels = shape.height * shape.width;
  const C = shape.channels;
  return Float64Array.from({ length: batch * C * pixels }, (_, i) => {
    const c = Math.floor(i / pixels) % C;
    return (y[i]! - params[offset + C + c]!) * Math.exp(-params[offset + c]!);
  });
}

/** Accumulates dL/dlogs, dL/db into `grads` and returns dL/dx. */
export function actNormBackward(
  params: Floats,
  offset: number,
  shape: ActNormShape,
  x: Floats,
  dy: Floats,
  batch: number,
  grads: Float64Array,
): Float64Array {
  const pixels = shape.height * shape.width;
  const C = shape.channels;
  const dx = new Float64Array(batch * C * pixels);
  for (let i = 0; i < dx.length; i++) {
    const c = Math.floor(i / pixels) % C;
    const scale = Math.exp(params[offset + c]!);
    dx[i] = dy[i]! * scale;
    grads[offset + c] = grads[offset + c]! + dy[i]! * x[i]! * scale;
    grads[offset + C + c] = grads[offset + C + c]! + dy[i]!;
  }
  return dx;
}

/**
 * Glow's data-dependent initialisation: logs, b such that every channel of `x` leaves with mean 0
 * and standard deviation 1 (over the batch and the pixels).
 */
export function actNormInitialParameters(
  shape: ActNormShape,
  x: Floats,
  batch: number,
  eps = 1e-6,
): Float64Array {
  const pixels = shape.height * shape.width;
  const C = shape.channels;
  const params = new Float64Array(2 * C);
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < batch; n++)
      for (let p = 0; p < pixels; p++) sum += x[(n * C + c) * pixels + p]!;
    const mean = sum / (batch * pixels);
    let squares = 0;
    for (let n = 0; n < batch; n++)
      for (let p = 0; p < pixels; p++) squares += (x[(n * C + c) * pixels + p]! - mean) ** 2;
    const std = Math.sqrt(squares / (batch * pixels)) + eps;
    params[c] = -Math.log(std);
    params[C + c] = -mean / std;
  }
  return params;
}

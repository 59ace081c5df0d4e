/**
 * Float64 twins of the layers the multi-scale image flows add (multiscale-spec.ts): the affine
 * coupling with checkerboard or channel masks and its conv conditioner, and the invertible 1 × 1
 * convolution with the LU parameterisation. Each has forward (with log|det|), inverse and backward
 * (dL/dx, parameter gradients into `grads`, and the log|det| term weighted by gLogDet per image).
 */
import {
  conv2dBackward,
  conv2dForward,
  type Conv2dCache,
  type Conv2dShape,
} from '../../nn/reference/conv';
import type { MapShape } from '../../nn/reference/image';
import type { CouplingOp, InvConvOp } from './multiscale-spec';

type Floats = ArrayLike<number>;

export const mapSize = (s: MapShape) => s.channels * s.height * s.width;

/**
 * Where a coupling reads and writes, within one image: the conditioner's input element i copies
 * x[gather[i]] (−1: a masked zero); transformed element k is x[target[k]], with raw log-scale
 * out[scaleAt[k]] and shift out[scaleAt[k] + n·H·W] (n = outputChannels / 2).
 */
export interface CouplingMap {
  gather: Int32Array;
  target: Int32Array;
  scaleAt: Int32Array;
}

export function couplingMap(op: CouplingOp): CouplingMap {
  const { channels: c, height: h, width: w } = op.shape;
  const pixels = h * w;
  const gather = new Int32Array(op.conditionChannels * pixels).fill(-1);
  const target: number[] = [];
  const scaleAt: number[] = [];
  if (op.mask === 'checkerboard') {
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const at = (ch * h + y) * w + x;
          if ((y + x + op.parity) % 2 === 0) gather[at] = at;
          else {
            target.push(at);
            scaleAt.push(at);
          }
        }
  } else {
    const n = op.conditionChannels;
    // parity 0: channels [0, n) condition [n, 2n); parity 1: the other way round.
    const from = op.parity === 0 ? 0 : n;
    const to = op.parity === 0 ? n : 0;
    for (let i = 0; i < n * pixels; i++) {
      gather[i] = from * pixels + i;
      target.push(to * pixels + i);
      scaleAt.push(i);
    }
  }
  return { gather, target: Int32Array.from(target), scaleAt: Int32Array.from(scaleAt) };
}

export function conditionerShapes(op: CouplingOp): [Conv2dShape, Conv2dShape] {
  const base = { height: op.shape.height, width: op.shape.width, kernel: 3, stride: 1 } as const;
  return [
    { ...base, inputChannels: op.conditionChannels, outputChannels: op.hidden, activation: 'relu' },
    {
      ...base,
      inputChannels: op.hidden,
      outputChannels: op.outputChannels,
      activation: 'identity',
    },
  ];
}

export interface CouplingCache {
  x: Float64Array;
  caches: [Conv2dCache, Conv2dCache];
  /** The conditioner's output: raw log-scales, then shifts. */
  out: Float64Array;
}

export function conditioner(
  params: Floats,
  op: CouplingOp,
  map: CouplingMap,
  x: Floats,
  batch: number,
) {
  const [first, second] = conditionerShapes(op);
  const size = mapSize(op.shape);
  const input = new Float64Array(batch * map.gather.length);
  for (let b = 0; b < batch; b++)
    map.gather.forEach((from, i) => {
      if (from >= 0) input[b * map.gather.length + i] = x[b * size + from]!;
    });
  const one = conv2dForward(params, op.conv1, first, input, batch);
  const two = conv2dForward(params, op.conv2, second, one.y, batch);
  return { out: two.y, caches: [one.cache, two.cache] as [Conv2dCache, Conv2dCache] };
}

/** y = coupling(x) and Σ log-scales per image. */
export function couplingForward(params: Floats, op: CouplingOp, x: Float64Array, batch: number) {
  const map = couplingMap(op);
  const { out, caches } = conditioner(params, op, map, x, batch);
  const size = mapSize(op.shape);
  const outSize = op.outputChannels * op.shape.height * op.shape.width;
  const shiftAt = outSize / 2;
  const y = Float64Array.from(x);
  const logDet = new Float64Array(batch);
  for (let b = 0; b < batch; b++)
    map.target.forEach((at, k) => {
      const s = Math.tanh(out[b * outSize + map.scaleAt[k]!]!);
      const t = out[b * outSize + map.scaleAt[k]! + shiftAt]!;
      y[b * size + at] = x[b * size + at]! * Math.exp(s) + t;
      logDet[b]! += s;
    });
  return { y, logDet, cache: { x, caches, out } as CouplingCache };
}

export function couplingInverse(params: Floats, op: CouplingOp, y: Float64Array, batch: number) {
  const map = couplingMap(op);
  // The conditioning part passes unchanged, so the conditioner sees the same input.
  const { out } = conditioner(params, op, map, y, batch);
  const size = mapSize(op.shape);
  const outSize = op.outputChannels * op.shape.height * op.shape.width;
  const x = Float64Array.from(y);
  for (let b = 0; b < batch; b++)
    map.target.forEach((at, k) => {
      const s = Math.tanh(out[b * outSize + map.scaleAt[k]!]!);
      const t = out[b * outSize + map.scaleAt[k]! + outSize / 2]!;
      x[b * size + at] = (y[b * size + at]! - t) * Math.exp(-s);
    });
  return x;
}

/** dL/dx from dL/dy; dL/d(log|det| per image) = gLogDet (the same for every image). */
export function couplingBackward(
  params: Floats,
  op: CouplingOp,
  cache: CouplingCache,
  gy: Float64Array,
  gLogDet: number,
  batch: number,
  grads: Float64Array,
): Float64Array {
  const map = couplingMap(op);
  const [first, second] = conditionerShapes(op);
  const size = mapSize(op.shape);
  const outSize = op.outputChannels * op.shape.height * op.shape.width;
  const gOut = new Float64Array(batch * outSize);
  const gx = Float64Array.from(gy);
  for (let b = 0; b < batch; b++)
    map.target.forEach((at, k) => {
      const ri = b * outSize + map.scaleAt[k]!;
      const s = Math.tanh(cache.out[ri]!);
      const e = Math.exp(s);
      const g = gy[b * size + at]!;
      gx[b * size + at] = g * e;
      gOut[ri] = (g * cache.x[b * size + at]! * e + gLogDet) * (1 - s * s);
      gOut[ri + outSize / 2] = g;
    });
  const gHidden = conv2dBackward(params, op.conv2, second, cache.caches[1], gOut, batch, grads);
  const gInput = conv2dBackward(params, op.conv1, first, cache.caches[0], gHidden, batch, grads);
  for (let b = 0; b < batch; b++)
    map.gather.forEach((from, i) => {
      if (from >= 0) gx[b * size + from]! += gInput[b * map.gather.length + i]!;
    });
  return gx;
}

/** The LU factors' action at one pixel: a = M x (M = U + diag(exp(logs))), b = L a, y = P b. */
export function invConvPixel(
  params: Floats,
  op: InvConvOp,
  x: Float64Array,
): { a: Float64Array; y: Float64Array } {
  const c = op.shape.channels;
  const lu = op.offset;
  const logs = lu + c * c;
  const a = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    let sum = Math.exp(params[logs + i]!) * x[i]!;
    for (let j = i + 1; j < c; j++) sum += params[lu + i * c + j]! * x[j]!;
    a[i] = sum;
  }
  const y = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    let sum = a[i]!;
    for (let j = 0; j < i; j++) sum += params[lu + i * c + j]! * a[j]!;
    y[c - 1 - i] = sum;
  }
  return { a, y };
}

/** Applies `fn` to the C-vector of every pixel of every image, writing its result in place. */
export function perPixel(
  shape: MapShape,
  data: Float64Array,
  batch: number,
  fn: (v: Float64Array) => Float64Array,
): Float64Array {
  const c = shape.channels;
  const pixels = shape.height * shape.width;
  const out = new Float64Array(data.length);
  const v = new Float64Array(c);
  for (let b = 0; b < batch; b++)
    for (let p = 0; p < pixels; p++) {
      for (let i = 0; i < c; i++) v[i] = data[(b * c + i) * pixels + p]!;
      const r = fn(v);
      for (let i = 0; i < c; i++) out[(b * c + i) * pixels + p] = r[i]!;
    }
  return out;
}

export function invConvForward(params: Floats, op: InvConvOp, x: Float64Array, batch: number) {
  const c = op.shape.channels;
  let sumLogs = 0;
  for (let i = 0; i < c; i++) sumLogs += params[op.offset + c * c + i]!;
  const y = perPixel(op.shape, x, batch, (v) => invConvPixel(params, op, v).y);
  return { y, logDet: op.shape.height * op.shape.width * sumLogs };
}

export function invConvInverse(params: Floats, op: InvConvOp, y: Float64Array, batch: number) {
  const c = op.shape.channels;
  const lu = op.offset;
  return perPixel(op.shape, y, batch, (v) => {
    // b = Pᵀ y; a = L⁻¹ b (forward substitution); x = M⁻¹ a (back substitution).
    const a = new Float64Array(c);
    for (let i = 0; i < c; i++) {
      let sum = v[c - 1 - i]!;
      for (let j = 0; j < i; j++) sum -= params[lu + i * c + j]! * a[j]!;
      a[i] = sum;
    }
    const x = new Float64Array(c);
    for (let i = c - 1; i >= 0; i--) {
      let sum = a[i]!;
      for (let j = i + 1; j < c; j++) sum -= params[lu + i * c + j]! * x[j]!;
      x[i] = sum * Math.exp(-params[lu + c * c + i]!);
    }
    return x;
  });
}

export function invConvBackward(
  params: Floats,
  op: InvConvOp,
  x: Float64Array,
  gy: Float64Array,
  gLogDet: number,
  batch: number,
  grads: Float64Array,
): Float64Array {
  const c = op.shape.channels;
  const pixels = op.shape.height * op.shape.width;
  const lu = op.offset;
  const logs = lu + c * c;
  const gx = new Float64Array(x.length);
  const v = new Float64Array(c);
  for (let b = 0; b < batch; b++)
    for (let p = 0; p < pixels; p++) {
      for (let i = 0; i < c; i++) v[i] = x[(b * c + i) * pixels + p]!;
      const { a } = invConvPixel(params, op, v);
      // gb = Pᵀ gy; ga = Lᵀ gb; gx = Mᵀ ga.
      const gb = new Float64Array(c);
      for (let i = 0; i < c; i++) gb[i] = gy[(b * c + c - 1 - i) * pixels + p]!;
      const ga = Float64Array.from(gb);
      for (let i = 0; i < c; i++)
        for (let j = 0; j < i; j++) {
          ga[j]! += params[lu + i * c + j]! * gb[i]!;
          grads[lu + i * c + j]! += gb[i]! * a[j]!;
        }
      for (let i = 0; i < c; i++) {
        const e = Math.exp(params[logs + i]!);
        let sum = e * ga[i]!;
        grads[logs + i]! += ga[i]! * v[i]! * e;
        for (let j = 0; j < i; j++) sum += params[lu + j * c + i]! * ga[j]!;
        for (let j = i + 1; j < c; j++) grads[lu + i * c + j]! += ga[i]! * v[j]!;
        gx[(b * c + i) * pixels + p] = sum;
      }
    }
  for (let i = 0; i < c; i++) grads[logs + i]! += gLogDet * pixels * batch;
  return gx;
}

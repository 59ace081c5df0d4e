/**
 * Checks every flow layer must pass: the twin against finite differences (inverse, log|det J|,
 * gradients) and the GPU kernels against the twin.
 */
import { expect } from '@esm-bundle/chai';
import type { GpuRuntime } from '../../../src/gpu';
import type { FlowLayer } from '../../../src/models/flows/flow-layer';
import {
  maxRelativeError,
  readFloats,
  runPass,
  uploadFloats,
  zeros,
} from '../../support/gpu-helpers';

/** ||a − b|| / ||b||. */
export function normRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff / Math.max(norm, 1e-300));
}

export function checkTwinInverse(
  layer: FlowLayer,
  params: Float64Array,
  x: Float64Array,
  n: number,
): void {
  const { y, logDet } = layer.forwardTwin(params, x, n);
  const back = layer.inverseTwin(params, y, n);
  expect(maxRelativeError(back.y, x), 'inverse(forward(x)) = x').to.be.lessThan(1e-12);
  for (let b = 0; b < n; b++) expect(back.logDet[b]).to.be.closeTo(-logDet[b]!, 1e-12);
}

/** log|det J| against the determinant of a central-difference Jacobian, per point. */
export function checkTwinLogDet(
  layer: FlowLayer,
  params: Float64Array,
  x: Float64Array,
  n: number,
): void {
  const h = 1e-6;
  const { logDet } = layer.forwardTwin(params, x, n);
  const fd = new Float64Array(n);
  const column = (d: number) => {
    const plus = x.slice();
    const minus = x.slice();
    for (let b = 0; b < n; b++) {
      plus[2 * b + d] = plus[2 * b + d]! + h;
      minus[2 * b + d] = minus[2 * b + d]! - h;
    }
    const yp = layer.forwardTwin(params, plus, n).y;
    const ym = layer.forwardTwin(params, minus, n).y;
    return Array.from(yp, (v, i) => (v - ym[i]!) / (2 * h));
  };
  const c0 = column(0);
  const c1 = column(1);
  for (let b = 0; b < n; b++) {
    fd[b] = Math.log(Math.abs(c0[2 * b]! * c1[2 * b + 1]! - c1[2 * b]! * c0[2 * b + 1]!));
  }
  // log|det| can be near 0; compare the determinants' ratio.
  for (let b = 0; b < n; b++) {
    expect(Math.abs(Math.expm1(logDet[b]! - fd[b]!)), `point ${b}`).to.be.lessThan(1e-6);
  }
}

/** Gradients of L = Σ r ⊙ y + w Σ log|det J| with respect to parameters and inputs. */
export function checkTwinGradients(
  layer: FlowLayer,
  params: Float64Array,
  x: Float64Array,
  n: number,
  r: Float64Array,
  w: number,
): void {
  const loss = (p: Float64Array, input: Float64Array) => {
    const { y, logDet } = layer.forwardTwin(p, input, n);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += r[i]! * y[i]!;
    for (let b = 0; b < n; b++) s += w * logDet[b]!;
    return s;
  };
  const grads = new Float64Array(params.length);
  const dx = layer.backwardTwin(params, x, n, r, w, grads);
  const h = 1e-6;
  const fd = (vector: Float64Array, f: (v: Float64Array) => number) =>
    Array.from(vector, (_, i) => {
      const plus = vector.slice();
      const minus = vector.slice();
      plus[i] = plus[i]! + h;
      minus[i] = minus[i]! - h;
      return (f(plus) - f(minus)) / (2 * h);
    });
  expect(
    normRelativeError(
      grads,
      fd(params, (p) => loss(p, x)),
    ),
    'dL/dθ',
  ).to.be.lessThan(1e-6);
  expect(
    normRelativeError(
      dx,
      fd(x, (v) => loss(params, v)),
    ),
    'dL/dx',
  ).to.be.lessThan(1e-6);
}

/** GPU forward, inverse and backward against the twin (f32 tolerance). */
export async function checkGpuAgainstTwin(
  gpu: GpuRuntime,
  layer: FlowLayer,
  params: Float32Array,
  x: Float64Array,
  n: number,
  gradY: Float64Array,
  w: number,
  tolerance = 1e-4,
): Promise<void> {
  await layer.compile(gpu, true);
  const b = {
    params: uploadFloats(gpu, params, 'params'),
    x: uploadFloats(gpu, x, 'x'),
    y: zeros(gpu, 2 * n, 'y'),
    logDet: zeros(gpu, n, 'logdet'),
    gradY: uploadFloats(gpu, gradY, 'dy'),
    gradX: zeros(gpu, 2 * n, 'dx'),
    grads: zeros(gpu, params.length * 8, 'grads'), // room for several gradient chunks
    back: zeros(gpu, 2 * n, 'x back'),
    backLogDet: zeros(gpu, n, 'logdet back'),
  };
  const bound = layer.bind(gpu, {
    batch: n,
    params: b.params.binding,
    x: b.x.binding,
    y: b.y.binding,
    logDet: b.logDet.binding,
    logDetOffset: 0,
    grads: b.grads.binding,
    gradStride: params.length,
    gradX: b.gradX.binding,
    gradY: b.gradY.binding,
    logDetWeight: w,
  });
  const inverse = layer.bind(gpu, {
    batch: n,
    params: b.params.binding,
    x: b.back.binding,
    y: b.y.binding,
    logDet: b.backLogDet.binding,
    logDetOffset: 0,
  });
  runPass(gpu, (pass) => {
    bound.encodeForward(pass, true);
    bound.encodeBackward(pass);
    inverse.encodeInverse(pass);
  });
  const [y, logDet, gradX, partials, back, backLogDet] = await Promise.all([
    readFloats(gpu, b.y, 2 * n),
    readFloats(gpu, b.logDet, n),
    readFloats(gpu, b.gradX, 2 * n),
    readFloats(gpu, b.grads),
    readFloats(gpu, b.back, 2 * n),
    readFloats(gpu, b.backLogDet, n),
  ]);
  bound.dispose();
  inverse.dispose();
  Object.values(b).forEach((o) => o.dispose());
  const p64 = Float64Array.from(params);
  const twin = layer.forwardTwin(p64, x, n);
  const twinGrads = new Float64Array(params.length);
  const twinDx = layer.backwardTwin(p64, x, n, gradY, w, twinGrads);
  const grads = new Float64Array(params.length);
  for (let c = 0; c * params.length < partials.length; c++) {
    for (let i = 0; i < params.length; i++) grads[i] = grads[i]! + partials[c * params.length + i]!;
  }
  expect(maxRelativeError(y, twin.y), 'GPU forward').to.be.lessThan(tolerance);
  expect(maxRelativeError(logDet, twin.logDet), 'GPU log|det J|').to.be.lessThan(tolerance);
  expect(maxRelativeError(gradX, twinDx), 'GPU dL/dx').to.be.lessThan(tolerance);
  expect(maxRelativeError(grads, twinGrads), 'GPU dL/dθ').to.be.lessThan(tolerance);
  expect(maxRelativeError(back, x), 'GPU inverse(forward(x))').to.be.lessThan(tolerance);
  expect(
    maxRelativeError(
      backLogDet,
      Array.from(twin.logDet, (v) => -v),
    ),
    'GPU inverse log|det|',
  ).to.be.lessThan(tolerance);
}

/**
 * Rational-quadratic neural spline coupling in 2-D (Durkan et al. 2019, "Neural Spline Flows"),
 * with nflows' conventions: coordinate `cond` conditions an MLP whose 3K − 1 outputs define a
 * monotone spline of K bins on [−B, B] that moves the other coordinate; outside [−B, B] the map
 * is the identity (linear tails, boundary derivatives 1). Kernels: shaders/flows/spline-coupling.wgsl
 * (+ the fused MLP); two dispatches forward, two inverse, 2 + layers of the MLP backward.
 *
 * Raw conditioner outputs per point: K widths, K heights, K − 1 interior derivatives.
 *   widths  = MIN_BIN + (1 − K·MIN_BIN)·softmax(raw widths), knots x_i = B(2·Σ_{j<i} w_j − 1)
 *   heights = likewise, knots y_i
 *   d_i     = MIN_DERIVATIVE + softplus(raw_i + DERIVATIVE_SHIFT) (0 < i < K), d_0 = d_K = 1
 * DERIVATIVE_SHIFT = log(e^(1 − MIN_DERIVATIVE) − 1) is nflows' identity-init constant: a zero raw
 * output gives d = 1, and with equal bins the spline is then exactly y = x. The conditioner's last
 * layer starts at zero, so a fresh layer is the identity (up to rounding on the GPU).
 */
import splineSource from '../../../shaders/flows/spline-coupling.wgsl';
import type { GpuRuntime } from '../../gpu';
import { activate, activationGrad } from '../../nn/activations';
import type { MlpShape } from '../../nn/mlp-shape';
import type { ParameterLayout } from '../../nn/parameters';
import { mlpBackward } from '../../nn/reference/dense';
import {
  addConditioner,
  bindConditionedCoupling,
  compileConditionedCoupling,
  COUPLING_IO_LIBRARY,
  conditionerTwin,
  type ConditionedCouplingKernels,
} from './conditioned-coupling';
import type { BoundLayer, FlowLayer, Floats, LayerBuffers, TwinForward } from './flow-layer';
import { layerKernelSpecs } from './flow-kernels';

/** Smallest bin width and height, as a fraction of the interval (nflows default). */
export const MIN_BIN = 1e-3;
/** Smallest knot derivative (nflows default). */
export const MIN_DERIVATIVE = 1e-3;
/** softplus(DERIVATIVE_SHIFT) = 1 − MIN_DERIVATIVE: a zero raw derivative gives d = 1. */
export const DERIVATIVE_SHIFT = Math.log(Math.expm1(1 - MIN_DERIVATIVE));
export const MIN_BINS = 2;
export const MAX_BINS = 16;

export interface SplineCouplingSpec {
  /** The conditioning coordinate (0 or 1). */
  cond: 0 | 1;
  /** Number of bins K (2..16, default 8). */
  bins?: number;
  /** Half-width B of the spline's interval [−B, B] (default 3); identity outside. */
  tailBound?: number;
  hidden: number;
  hiddenLayers: number;
  activation: MlpShape['activation'];
}

const splineKernel = layerKernelSpecs(
  'flows/spline-coupling',
  'flows/spline-coupling.wgsl',
  splineSource,
  [COUPLING_IO_LIBRARY],
);

/** One point's spline: knots (K + 1 each), knot derivatives (K + 1), softmax probabilities (K). */
interface Spline {
  knotX: Float64Array;
  knotY: Float64Array;
  deriv: Float64Array;
  probW: Float64Array;
  probH: Float64Array;
}

/** The bin a point falls in: lower knot (x0, y0), size (w, h), end derivatives (d0, d1). */
interface Bin {
  x0: number;
  w: number;
  y0: number;
  h: number;
  d0: number;
  d1: number;
}

/** Softmax of raw[base .. base + K), floored at MIN_BIN, accumulated into knots on [−B, B]. */
function binKnots(raw: Floats, base: number, bins: number, bound: number) {
  let top = -Infinity;
  for (let i = 0; i < bins; i++) top = Math.max(top, raw[base + i]!);
  const probs = new Float64Array(bins);
  let total = 0;
  for (let i = 0; i < bins; i++) total += probs[i] = Math.exp(raw[base + i]! - top);
  const knots = new Float64Array(bins + 1);
  knots[0] = -bound;
  let acc = 0;
  for (let i = 0; i < bins; i++) {
    probs[i] = probs[i]! / total;
    acc += MIN_BIN + (1 - MIN_BIN * bins) * probs[i]!;
    knots[i + 1] = bound * (2 * acc - 1);
  }
  knots[bins] = bound;
  return { probs, knots };
}

function splineOf(raw: Floats, base: number, bins: number, bound: number): Spline {
  const w = binKnots(raw, base, bins, bound);
  const h = binKnots(raw, base + bins, bins, bound);
  const deriv = new Float64Array(bins + 1).fill(1);
  for (let i = 1; i < bins; i++) {
    deriv[i] =
      MIN_DERIVATIVE + activate('softplus', raw[base + 2 * bins + i - 1]! + DERIVATIVE_SHIFT);
  }
  return { knotX: w.knots, knotY: h.knots, deriv, probW: w.probs, probH: h.probs };
}

/** The last bin whose lower knot is ≤ v (v inside [−B, B]). */
function findBin(knots: Float64Array, v: number): number {
  let k = 0;
  for (let i = 1; i < knots.length - 1; i++) if (v >= knots[i]!) k = i;
  return k;
}

function binAt(s: Spline, k: number): Bin {
  return {
    x0: s.knotX[k]!,
    w: s.knotX[k + 1]! - s.knotX[k]!,
    y0: s.knotY[k]!,
    h: s.knotY[k + 1]! - s.knotY[k]!,
    d0: s.deriv[k]!,
    d1: s.deriv[k + 1]!,
  };
}

/** log dy/dx at θ in a bin: 2 log s + log(d1 θ² + 2sθ(1−θ) + d0(1−θ)²) − 2 log(denominator). */
function logSlope({ w, h, d0, d1 }: Bin, theta: number): number {
  const s = h / w;
  const t = theta * (1 - theta);
  const den = s + (d0 + d1 - 2 * s) * t;
  const q = d1 * theta * theta + 2 * s * t + d0 * (1 - theta) ** 2;
  return 2 * Math.log(s) + Math.log(q) - 2 * Math.log(den);
}

/** Forward inside a bin (Durkan et al. eq. 4): y and log dy/dx. */
function rqForward(bin: Bin, x: number): [number, number] {
  const { x0, w, y0, h, d0, d1 } = bin;
  const s = h / w;
  const theta = (x - x0) / w;
  const t = theta * (1 - theta);
  const den = s + (d0 + d1 - 2 * s) * t;
  return [y0 + (h * (s * theta * theta + d0 * t)) / den, logSlope(bin, theta)];
}

/** Inverse inside a bin: the root of a quadratic in θ (eq. 6), in the stable form 2c/(−b − √Δ). */
function rqInverse(bin: Bin, y: number): [number, number] {
  const { x0, w, y0, h, d0, d1 } = bin;
  const s = h / w;
  const dy = y - y0;
  const e = d0 + d1 - 2 * s;
  const a = dy * e + h * (s - d0);
  const b = h * d0 - dy * e;
  const c = -s * dy;
  const disc = Math.max(b * b - 4 * a * c, 0);
  const theta = (2 * c) / (-b - Math.sqrt(disc));
  return [x0 + theta * w, logSlope(bin, theta)];
}

/**
 * Reverse mode of L = gy·y + gl·log dy/dx through one bin's formula: dL/d(x, x0, w, y0, h, d0, d1).
 * Each block undoes one line of the forward, last line first.
 */
function rqBackward(bin: Bin, x: number, gy: number, gl: number) {
  const { x0, w, h, d0, d1 } = bin;
  const s = h / w;
  const th = (x - x0) / w;
  const t = th * (1 - th);
  const e = d0 + d1 - 2 * s;
  const num = h * (s * th * th + d0 * t);
  const den = s + e * t;
  const q = d1 * th * th + 2 * s * t + d0 * (1 - th) ** 2;
  // y = y0 + num / den;  log slope = 2 log s + log q − 2 log den
  const gNum = gy / den;
  const gDen = (-gy * num) / (den * den) - (2 * gl) / den;
  const gQ = gl / q;
  let gS = (2 * gl) / s;
  // q = d1 θ² + 2 s t + d0 (1 − θ)²
  let gD1 = gQ * th * th;
  let gD0 = gQ * (1 - th) ** 2;
  gS += 2 * gQ * t;
  let gT = 2 * gQ * s;
  let gTh = gQ * (2 * d1 * th - 2 * d0 * (1 - th));
  // den = s + (d0 + d1 − 2s) t
  gS += gDen * (1 - 2 * t);
  gD0 += gDen * t;
  gD1 += gDen * t;
  gT += gDen * e;
  // num = h (s θ² + d0 t)
  let gH = gNum * (s * th * th + d0 * t);
  gS += gNum * h * th * th;
  gTh += 2 * gNum * h * s * th;
  gD0 += gNum * h * t;
  gT += gNum * h * d0;
  // t = θ (1 − θ)
  gTh += gT * (1 - 2 * th);
  // θ = (x − x0) / w;  s = h / w
  gH += gS / w;
  return {
    x: gTh / w,
    x0: -gTh / w,
    w: -(gTh * th + gS * s) / w,
    y0: gy,
    h: gH,
    d0: gD0,
    d1: gD1,
  };
}

/**
 * dL/draw for one row of raw sizes, given dL/d(lower knot) and dL/d(upper knot) of bin k.
 * Knot i (0 < i < K) = B(2·Σ_{j<i} q_j − 1), q = MIN_BIN + (1 − K·MIN_BIN)·softmax(raw); the end
 * knots ±B are constants.
 */
function knotGrads(
  probs: Float64Array,
  k: number,
  gLower: number,
  gUpper: number,
  bound: number,
  out: Float64Array,
  base: number,
): void {
  const bins = probs.length;
  const lower = k > 0 ? gLower : 0;
  const upper = k + 1 < bins ? gUpper : 0;
  const scale = 2 * bound * (1 - MIN_BIN * bins);
  const gp = (j: number) => scale * ((j < k ? lower : 0) + (j <= k ? upper : 0));
  let dot = 0;
  for (let j = 0; j < bins; j++) dot += probs[j]! * gp(j);
  for (let j = 0; j < bins; j++) out[base + j] = probs[j]! * (gp(j) - dot);
}

export class SplineCouplingLayer implements FlowLayer {
  readonly kind = 'spline-coupling';
  readonly bins: number;
  readonly tailBound: number;
  readonly shape: MlpShape;
  /** Offset of the conditioner's parameters in the model's flat buffer. */
  readonly offset: number;
  private compiled: ConditionedCouplingKernels | undefined;

  constructor(
    layout: ParameterLayout,
    readonly name: string,
    readonly spec: SplineCouplingSpec,
  ) {
    const bins = spec.bins ?? 8;
    const tailBound = spec.tailBound ?? 3;
    if (!Number.isInteger(bins) || bins < MIN_BINS || bins > MAX_BINS) {
      throw new RangeError(
        `Spline coupling ${name}: bins must be an integer in [${MIN_BINS}, ${MAX_BINS}], got ${bins}.`,
      );
    }
    if (!Number.isFinite(tailBound) || tailBound <= 0) {
      throw new RangeError(
        `Spline coupling ${name}: tailBound must be a finite number > 0, got ${tailBound}.`,
      );
    }
    if (spec.cond !== 0 && spec.cond !== 1) {
      throw new RangeError(
        `Spline coupling ${name}: cond must be 0 or 1, got ${String(spec.cond)}.`,
      );
    }
    this.bins = bins;
    this.tailBound = tailBound;
    // Zero-initialised output layer: uniform bins, unit derivatives, so the layer starts as y = x.
    ({ shape: this.shape, offset: this.offset } = addConditioner(layout, name, spec, 3 * bins - 1));
  }

  /** Raw conditioner outputs per point (3K − 1). */
  private get outputs(): number {
    return this.shape.outputs;
  }

  private conditioner(params: Floats, rows: Floats, n: number) {
    return conditionerTwin(params, this.offset, this.shape, this.spec.cond, rows, n);
  }

  private inside(v: number): boolean {
    return v >= -this.tailBound && v <= this.tailBound;
  }

  /** Applies `map` to the transformed coordinate of every point inside [−B, B]. */
  private transform(
    params: Floats,
    input: Floats,
    n: number,
    map: (s: Spline, v: number) => [number, number],
  ): TwinForward {
    const { y: raw } = this.conditioner(params, input, n);
    const out = Float64Array.from(input);
    const logDet = new Float64Array(n);
    const t = 1 - this.spec.cond;
    for (let b = 0; b < n; b++) {
      const v = input[2 * b + t]!;
      if (!this.inside(v)) continue;
      const [mapped, ld] = map(splineOf(raw, b * this.outputs, this.bins, this.tailBound), v);
      out[2 * b + t] = mapped;
      logDet[b] = ld;
    }
    return { y: out, logDet };
  }

  forwardTwin(params: Floats, x: Floats, n: number): TwinForward {
    return this.transform(params, x, n, (s, v) => rqForward(binAt(s, findBin(s.knotX, v)), v));
  }

  inverseTwin(params: Floats, y: Floats, n: number): TwinForward {
    return this.transform(params, y, n, (s, v) => {
      const [x, ld] = rqInverse(binAt(s, findBin(s.knotY, v)), v);
      return [x, -ld];
    });
  }

  backwardTwin(
    params: Floats,
    x: Floats,
    n: number,
    gradY: Floats,
    logDetWeight: number,
    grads: Float64Array,
  ): Float64Array {
    const { y: raw, cache } = this.conditioner(params, x, n);
    const { bins, tailBound, outputs } = this;
    const a = this.spec.cond;
    const t = 1 - a;
    const gradX = new Float64Array(2 * n);
    const gradH = new Float64Array(n * outputs);
    for (let b = 0; b < n; b++) {
      const v = x[2 * b + t]!;
      const gy = gradY[2 * b + t]!;
      gradX[2 * b + t] = gy;
      if (!this.inside(v)) continue;
      const base = b * outputs;
      const s = splineOf(raw, base, bins, tailBound);
      const k = findBin(s.knotX, v);
      const g = rqBackward(binAt(s, k), v, gy, logDetWeight);
      gradX[2 * b + t] = g.x;
      // w = x_{k+1} − x_k and h = y_{k+1} − y_k: the bin sizes feed both knots.
      knotGrads(s.probW, k, g.x0 - g.w, g.w, tailBound, gradH, base);
      knotGrads(s.probH, k, g.y0 - g.h, g.h, tailBound, gradH, base + bins);
      for (let i = 1; i < bins; i++) {
        const gd = (i === k ? g.d0 : 0) + (i === k + 1 ? g.d1 : 0);
        const r = base + 2 * bins + i - 1;
        gradH[r] = gd * activationGrad('softplus', raw[r]! + DERIVATIVE_SHIFT);
      }
    }
    const gradA = mlpBackward(params, this.offset, this.shape, cache, gradH, n, grads);
    for (let b = 0; b < n; b++) gradX[2 * b + a] = gradY[2 * b + a]! + gradA[b]!;
    return gradX;
  }

  async compile(runtime: GpuRuntime, training: boolean): Promise<void> {
    this.compiled = await compileConditionedCoupling(runtime, this.shape, training, splineKernel, {
      BINS: this.bins,
      TAIL_BOUND: this.tailBound,
      MIN_BIN,
      MIN_DERIVATIVE,
      DERIVATIVE_SHIFT,
    });
  }

  bind(runtime: GpuRuntime, buffers: LayerBuffers): BoundLayer {
    return bindConditionedCoupling(
      runtime,
      buffers,
      { name: this.name, cond: this.spec.cond, offset: this.offset, outputs: this.outputs },
      this.compiled,
    );
  }
}

/**
 * Closed forms for 2-D Gaussian data N(μ, Σ): the exact ε, v, score and flow-matching velocity
 * (the functions a perfectly trained denoiser would compute) with their Jacobians, and the
 * log-density. Plugged into the samplers as the "model" they test the whole sampling and
 * likelihood path against the analytic answer. Symmetric 2×2 matrices are [xx, xy, yy].
 */

export type Vec2 = readonly [number, number];
export type Sym2 = readonly [number, number, number];
/** Row-major 2×2 matrix [m00, m01, m10, m11]. */
export type Mat2 = [number, number, number, number];

export interface Gaussian2 {
  mean: Vec2;
  covariance: Sym2;
}

function inverse(m: Sym2): Sym2 {
  const det = m[0] * m[2] - m[1] * m[1];
  if (!(det > 0)) throw new RangeError(`The covariance must be positive definite, det = ${det}.`);
  return [m[2] / det, -m[1] / det, m[0] / det];
}

function apply(m: Sym2, v: Vec2): [number, number] {
  return [m[0] * v[0] + m[1] * v[1], m[1] * v[0] + m[2] * v[1]];
}

/** log N(x; μ, Σ) in nats. */
export function gaussianLogDensity(g: Gaussian2, x: Vec2): number {
  const c = g.covariance;
  const det = c[0] * c[2] - c[1] * c[1];
  const d: Vec2 = [x[0] - g.mean[0], x[1] - g.mean[1]];
  const w = apply(inverse(c), d);
  return -0.5 * (d[0] * w[0] + d[1] * w[1]) - Math.log(2 * Math.PI) - 0.5 * Math.log(det);
}

/** A value and its Jacobian d(value)/dx. */
export interface WithJacobian {
  value: [number, number];
  jacobian: Mat2;
}

/** The marginal of diffusion at ᾱ: N(√ᾱ μ, ᾱ Σ + (1 − ᾱ) I). */
export function diffusedGaussian(g: Gaussian2, alphaBar: number): Gaussian2 {
  const a = Math.sqrt(alphaBar);
  const [xx, xy, yy] = g.covariance;
  return {
    mean: [a * g.mean[0], a * g.mean[1]],
    covariance: [alphaBar * xx + 1 - alphaBar, alphaBar * xy, alphaBar * yy + 1 - alphaBar],
  };
}

/**
 * The exact noise prediction E[ε | x_t] = −σ ∇log p_t(x) = σ C⁻¹ (x − √ᾱ μ) with
 * C = ᾱΣ + (1 − ᾱ)I and σ = √(1 − ᾱ).
 */
export function exactEps(g: Gaussian2, alphaBar: number, x: Vec2): WithJacobian {
  const p = diffusedGaussian(g, alphaBar);
  const sigma = Math.sqrt(1 - alphaBar);
  const inv = inverse(p.covariance);
  const w = apply(inv, [x[0] - p.mean[0], x[1] - p.mean[1]]);
  return {
    value: [sigma * w[0], sigma * w[1]],
    jacobian: [sigma * inv[0], sigma * inv[1], sigma * inv[1], sigma * inv[2]],
  };
}

/** The exact v-prediction v = √ᾱ ε − σ x̂₀ = (ε − σ x)/√ᾱ. */
export function exactV(g: Gaussian2, alphaBar: number, x: Vec2): WithJacobian {
  const e = exactEps(g, alphaBar, x);
  const sigma = Math.sqrt(1 - alphaBar);
  const r = 1 / Math.sqrt(alphaBar);
  const j = e.jacobian;
  return {
    value: [r * (e.value[0] - sigma * x[0]), r * (e.value[1] - sigma * x[1])],
    jacobian: [r * (j[0] - sigma), r * j[1], r * j[2], r * (j[3] - sigma)],
  };
}

/**
 * The exact flow-matching velocity of the linear interpolant x_t = (1 − t) x₀ + t ε (t = 0 data,
 * t = 1 noise): v(x, t) = E[ε − x₀ | x_t = x] = −μ + (tI − (1 − t)Σ) C_t⁻¹ (x − (1 − t)μ),
 * C_t = (1 − t)² Σ + t² I.
 */
export function exactFlowVelocity(g: Gaussian2, t: number, x: Vec2): WithJacobian {
  const s = 1 - t;
  const [xx, xy, yy] = g.covariance;
  const inv = inverse([s * s * xx + t * t, s * s * xy, s * s * yy + t * t]);
  // K = (tI − sΣ) C⁻¹ (not symmetric in general).
  const a: Sym2 = [t - s * xx, -s * xy, t - s * yy];
  const k: Mat2 = [
    a[0] * inv[0] + a[1] * inv[1],
    a[0] * inv[1] + a[1] * inv[2],
    a[1] * inv[0] + a[2] * inv[1],
    a[1] * inv[1] + a[2] * inv[2],
  ];
  const d = [x[0] - s * g.mean[0], x[1] - s * g.mean[1]] as const;
  return {
    value: [-g.mean[0] + k[0] * d[0] + k[1] * d[1], -g.mean[1] + k[2] * d[0] + k[3] * d[1]],
    jacobian: k,
  };
}

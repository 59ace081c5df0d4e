/**
 * The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian (the
 * statistic of FID, Heusel et al. 2017, on a small classifier's features instead of Inception's):
 *   d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½),
 * in float64 on the CPU (feature dimensions ≤ 64: microseconds). tr((Σ₁Σ₂)^½) is computed as
 * tr((√Σ₁ Σ₂ √Σ₁)^½), a symmetric positive semi-definite matrix with the same eigenvalues as Σ₁Σ₂,
 * so both roots come from symmetric eigendecompositions (cyclic Jacobi); round-off's tiny
 * negative eigenvalues are taken as 0.
 */

/** Eigenvalues and eigenvectors (columns of `vectors`, n × n row-major) of a symmetric matrix. */
export function symmetricEigen(
  matrix: ArrayLike<number>,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  if (matrix.length !== n * n) {
    throw new RangeError(
      `symmetricEigen expects an ${n}×${n} matrix (${n * n} values), got ${matrix.length}.`,
    );
  }
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      scale += a[i * n + i]! ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j]! ** 2;
    }
    if (off <= 1e-30 * Math.max(scale, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J with the rotation J in the (p, q) plane; V ← V J.
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]!), vectors: v };
}

/** The symmetric square root V diag(√max(λ, 0)) Vᵀ of a symmetric PSD matrix. */
export function symmetricSqrt(matrix: ArrayLike<number>, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const root = Math.sqrt(Math.max(values[k]!, 0));
    for (let i = 0; i < n; i++) {
      const vi = vectors[i * n + k]! * root;
      for (let j = 0; j < n; j++) out[i * n + j] = out[i * n + j]! + vi * vectors[j * n + k]!;
    }
  }
  return out;
}

function multiply(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      for (let j = 0; j < n; j++) out[i * n + j] = out[i * n + j]! + aik * b[k * n + j]!;
    }
  return out;
}

/** The mean and the (unbiased, n − 1) covariance of `rows` vectors of `dims` values. */
export function meanAndCovariance(
  features: ArrayLike<number>,
  dims: number,
): { mean: Float64Array; covariance: Float64Array; count: number } {
  const count = features.length / dims;
  if (!Number.isInteger(count) || count < 2) {
    throw new RangeError(
      `A covariance needs at least 2 whole vectors of ${dims} values, got ${features.length} values.`,
    );
  }
  const mean = new Float64Array(dims);
  for (let r = 0; r < count; r++)
    for (let i = 0; i < dims; i++) mean[i] = mean[i]! + features[r * dims + i]! / count;
  const covariance = new Float64Array(dims * dims);
  const centred = new Float64Array(dims);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < dims; i++) centred[i] = features[r * dims + i]! - mean[i]!;
    for (let i = 0; i < dims; i++)
      for (let j = 0; j < dims; j++)
        covariance[i * dims + j] = covariance[i * dims + j]! + centred[i]! * centred[j]!;
  }
  for (let k = 0; k < covariance.length; k++) covariance[k] = covariance[k]! / (count - 1);
  return { mean, covariance, count };
}

/** d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½) of two Gaussians in `dims` dimensions. */
export function gaussianFrechetDistance(
  mean1: ArrayLike<number>,
  covariance1: ArrayLike<number>,
  mean2: ArrayLike<number>,
  covariance2: ArrayLike<number>,
  dims: number,
): number {
  let distance = 0;
  for (let i = 0; i < dims; i++) distance += (mean1[i]! - mean2[i]!) ** 2;
  const root1 = symmetricSqrt(covariance1, dims);
  const inner = multiply(multiply(root1, covariance2, dims), root1, dims);
  // Symmetrise against round-off before the eigendecomposition.
  for (let i = 0; i < dims; i++)
    for (let j = i + 1; j < dims; j++) {
      const m = 0.5 * (inner[i * dims + j]! + inner[j * dims + i]!);
      inner[i * dims + j] = m;
      inner[j * dims + i] = m;
    }
  const { values } = symmetricEigen(inner, dims);
  let crossTrace = 0;
  for (const value of values) crossTrace += Math.sqrt(Math.max(value, 0));
  for (let i = 0; i < dims; i++) {
    distance += covariance1[i * dims + i]! + covariance2[i * dims + i]!;
  }
  // Round-off can leave a tiny negative for identical statistics.
  return Math.max(0, distance - 2 * crossTrace);
}

/** The Fréchet distance between the Gaussians fitted to two feature sets (rows of `dims`). */
export function frechetDistance(a: ArrayLike<number>, b: ArrayLike<number>, dims: number): number {
  const first = meanAndCovariance(a, dims);
  const second = meanAndCovariance(b, dims);
  return gaussianFrechetDistance(
    first.mean,
    first.covariance,
    second.mean,
    second.covariance,
    dims,
  );
}

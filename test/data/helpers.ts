/** Statistics and quadrature helpers shared by the data tests (float64). */

/** Mean vector and covariance (xx, xy, yy) of flat points, with standard errors of each entry. */
export interface MomentEstimate {
  mean: [number, number];
  cov: [number, number, number];
  meanSe: [number, number];
  covSe: [number, number, number];
}

export function estimateMoments(points: ArrayLike<number>): MomentEstimate {
  const n = points.length / 2;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += points[2 * i]!;
    my += points[2 * i + 1]!;
  }
  mx /= n;
  my /= n;
  const sums = [0, 0, 0];
  const squares = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const dx = points[2 * i]! - mx;
    const dy = points[2 * i + 1]! - my;
    const terms = [dx * dx, dx * dy, dy * dy];
    for (let k = 0; k < 3; k++) {
      sums[k]! += terms[k]!;
      squares[k]! += terms[k]! * terms[k]!;
    }
  }
  const cov = sums.map((s) => s / n) as [number, number, number];
  const covSe = squares.map((s, k) => Math.sqrt((s / n - cov[k]! ** 2) / n)) as [
    number,
    number,
    number,
  ];
  return {
    mean: [mx, my],
    cov,
    meanSe: [Math.sqrt(cov[0] / n), Math.sqrt(cov[2] / n)],
    covSe,
  };
}

/** Gauss–Legendre nodes and weights on [a, b] (Newton on P_n; accurate to ~1e-15). */
export function gaussLegendre(n: number, a: number, b: number): [number[], number[]] {
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let i = 1; i <= n; i++) {
    let x = Math.cos((Math.PI * (i - 0.25)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    nodes.push(((b - a) / 2) * x + (a + b) / 2);
    weights.push(((b - a) / ((1 - x * x) * dp * dp)) * 1);
  }
  return [nodes, weights];
}

/**
 * Gauss–Hermite rule for E[f(Z)], Z ~ N(0, 1): exact for polynomials of degree < 2n
 * (Numerical Recipes gauher, then t ↦ √2·t and weights / √π).
 */
export function gaussHermiteNormal(n: number): [number[], number[]] {
  const nodes = new Array<number>(n).fill(0);
  const weights = new Array<number>(n).fill(0);
  const m = Math.floor((n + 1) / 2);
  let z = 0;
  for (let i = 0; i < m; i++) {
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** -0.16667;
    else if (i === 1) z -= (1.14 * n ** 0.426) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * nodes[0]!;
    else if (i === 3) z = 1.91 * z - 0.91 * nodes[1]!;
    else z = 2 * z - nodes[i - 2]!;
    let pp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p1 = Math.PI ** -0.25;
      let p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / j) * p2 - Math.sqrt((j - 1) / j) * p3;
      }
      pp = Math.sqrt(2 * n) * p2;
      const dz = p1 / pp;
      z -= dz;
      if (Math.abs(dz) < 1e-14) break;
    }
    nodes[i] = z;
    nodes[n - 1 - i] = -z;
    weights[i] = 2 / (pp * pp);
    weights[n - 1 - i] = weights[i]!;
  }
  return [nodes.map((t) => Math.SQRT2 * t), weights.map((w) => w / Math.sqrt(Math.PI))];
}

/** Upper critical value of χ² with `df` degrees of freedom at z standard deviations (Wilson–Hilferty). */
export function chiSquareCritical(df: number, z = 3.09): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** Pearson's χ² of observed counts against expected probabilities (bins with p = 0 must be empty). */
export function chiSquare(
  observed: ArrayLike<number>,
  probabilities: ArrayLike<number>,
): {
  statistic: number;
  df: number;
  emptyViolations: number;
} {
  let total = 0;
  for (let i = 0; i < observed.length; i++) total += observed[i]!;
  let statistic = 0;
  let df = -1;
  let emptyViolations = 0;
  for (let i = 0; i < observed.length; i++) {
    const expected = total * probabilities[i]!;
    if (expected === 0) {
      if (observed[i]! > 0) emptyViolations++;
      continue;
    }
    statistic += (observed[i]! - expected) ** 2 / expected;
    df++;
  }
  return { statistic, df, emptyViolations };
}

/** Midpoint-rule cells of [x0, x1]×[y0, y1] with step h: calls f(x, y) at each cell centre. */
export function forEachCell(
  bounds: readonly [number, number, number, number],
  h: number,
  f: (x: number, y: number) => void,
): number {
  const nx = Math.round((bounds[2] - bounds[0]) / h);
  const ny = Math.round((bounds[3] - bounds[1]) / h);
  for (let j = 0; j < ny; j++) {
    const y = bounds[1] + (j + 0.5) * h;
    for (let i = 0; i < nx; i++) f(bounds[0] + (i + 0.5) * h, y);
  }
  return h * h;
}

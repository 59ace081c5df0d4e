/**
 * Sample-quality metrics in float64: the energy distance between two 2-D point sets, and the
 * sample mean and covariance.
 */

/**
 * Squared energy distance D² = 2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ (Székely & Rizzo), with the
 * unbiased within-set means (pairs i ≠ j). Zero in expectation iff the distributions are equal;
 * O(n·m) work, so keep each set to a few thousand points. Points are flat (x0, y0, x1, y1, …).
 */
export function energyDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length / 2;
  const m = b.length / 2;
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 2 || m < 2) {
    throw new RangeError(
      `energyDistance needs two flat 2-D point sets of ≥ 2 points, got ${a.length} and ${b.length} numbers.`,
    );
  }
  const meanDistance = (p: ArrayLike<number>, q: ArrayLike<number>, same: boolean) => {
    const np = p.length / 2;
    const nq = q.length / 2;
    let sum = 0;
    for (let i = 0; i < np; i++) {
      const px = p[2 * i]!;
      const py = p[2 * i + 1]!;
      for (let j = same ? i + 1 : 0; j < nq; j++) {
        sum += Math.hypot(px - q[2 * j]!, py - q[2 * j + 1]!);
      }
    }
    return same ? sum / ((np * (np - 1)) / 2) : sum / (np * nq);
  };
  return 2 * meanDistance(a, b, false) - meanDistance(a, a, true) - meanDistance(b, b, true);
}

/** Sample mean and covariance [xx, xy, yy] (unbiased) of flat 2-D points. */
export function sampleMoments(points: ArrayLike<number>): {
  mean: [number, number];
  covariance: [number, number, number];
} {
  const n = points.length / 2;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += points[2 * i]!;
    my += points[2 * i + 1]!;
  }
  mx /= n;
  my /= n;
  let xx = 0;
  let xy = 0;
  let yy = 0;
  for (let i = 0; i < n; i++) {
    const dx = points[2 * i]! - mx;
    const dy = points[2 * i + 1]! - my;
    xx += dx * dx;
    xy += dx * dy;
    yy += dy * dy;
  }
  return { mean: [mx, my], covariance: [xx / (n - 1), xy / (n - 1), yy / (n - 1)] };
}

/**
 * Exact minibatch optimal-transport pairing (Tong et al. 2023, Pooladian et al. 2023): the
 * permutation π minimising Σᵢ ‖xᵢ − ε_π(i)‖² over the points of one training batch. The float64
 * twin of shaders/diffusion/ot-pairing.wgsl: the same column reduction, then the same
 * shortest-augmenting-path Hungarian method with row and column potentials (Jonker–Volgenant
 * style, O(n³)) for the rows left unmatched, in order, with the same tie-breaking (lowest index).
 */

/** Largest batch the exact pairing accepts (the GPU kernel's per-thread column arrays). */
export const MAX_OT_BATCH = 512;

/** Squared distance between point i of `a` and point j of `b` (flat 2-D arrays). */
export function squaredDistance(
  a: ArrayLike<number>,
  i: number,
  b: ArrayLike<number>,
  j: number,
): number {
  const dx = a[2 * i]! - b[2 * j]!;
  const dy = a[2 * i + 1]! - b[2 * j + 1]!;
  return dx * dx + dy * dy;
}

/**
 * The optimal assignment of `noise` points to `data` points (flat 2-D, n points each):
 * `assignment[i]` is the noise point paired with data point i.
 */
export function otAssignment(data: ArrayLike<number>, noise: ArrayLike<number>): Int32Array {
  const n = data.length / 2;
  if (!Number.isInteger(n) || noise.length !== data.length) {
    throw new RangeError(
      `otAssignment needs two flat 2-D point sets of equal size, got ${data.length} and ${noise.length} numbers.`,
    );
  }
  // 1-based columns; column 0 is the virtual start of each augmenting path.
  const u = new Float64Array(n + 1); // row potentials (row r ↔ data point r − 1)
  const v = new Float64Array(n + 1); // column potentials
  const rowOf = new Int32Array(n + 1); // rowOf[j]: row matched to column j (0 = none)
  const way = new Int32Array(n + 1); // previous column on the shortest path
  const minv = new Float64Array(n + 1);
  const used = new Uint8Array(n + 1);
  // Column reduction (Jonker–Volgenant): v_j = min_i c_ij keeps every reduced cost ≥ 0, and each
  // column, in order, takes its nearest row (lowest on ties) while that row is free — a tight
  // partial matching, so only the rows left over need an augmenting path.
  const matched = new Uint8Array(n + 1);
  for (let j = 1; j <= n; j++) {
    let best = Infinity;
    let nearest = 0;
    for (let i = 1; i <= n; i++) {
      const cost = squaredDistance(data, i - 1, noise, j - 1);
      if (nearest === 0 || cost < best) {
        best = cost;
        nearest = i;
      }
    }
    v[j] = best;
    if (!matched[nearest]) {
      matched[nearest] = 1;
      rowOf[j] = nearest;
    }
  }
  for (let row = 1; row <= n; row++) {
    if (matched[row]) continue;
    rowOf[0] = row;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = rowOf[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const reduced = squaredDistance(data, i0 - 1, noise, j - 1) - u[i0]! - v[j]!;
        if (reduced < minv[j]!) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          const r = rowOf[j]!;
          u[r] = u[r]! + delta;
          v[j] = v[j]! - delta;
        } else {
          minv[j] = minv[j]! - delta;
        }
      }
      j0 = j1;
    } while (rowOf[j0] !== 0);
    // Flip the path: every column on it takes the row of its predecessor.
    do {
      const j1 = way[j0]!;
      rowOf[j0] = rowOf[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const assignment = new Int32Array(n);
  for (let j = 1; j <= n; j++) assignment[rowOf[j]! - 1] = j - 1;
  return assignment;
}

/** Σᵢ ‖dataᵢ − noise_assignment[i]‖² (float64). */
export function pairingCost(
  data: ArrayLike<number>,
  noise: ArrayLike<number>,
  assignment: ArrayLike<number>,
): number {
  let cost = 0;
  for (let i = 0; i < assignment.length; i++) {
    cost += squaredDistance(data, i, noise, assignment[i]!);
  }
  return cost;
}

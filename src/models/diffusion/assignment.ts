/**
 * Exact minibatch optimal-transport pairing (Tong et al. 2023, Pooladian et al. 2023): the
 * permutation π minimising Σᵢ ‖xᵢ − ε_π(i)‖² over the points of one training batch. The float64
 * twin of shaders/diffusion/ot-pairing.wgsl: the same column reduction, then the same
 * shortest-augmenting-path method with row and column potentials (Jonker–Volgenant / Crouse,
 * O(n³)) for the rows left unmatched, in order, with the same tie-breaking (lowest index).
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
  // Then one shortest augmenting path per free row (Dijkstra on reduced costs, lazy potentials
  // as in Crouse 2016 / scipy's linear_sum_assignment): `pathCost[j]` is the shortest distance
  // from the row to column j, potentials change once per row.
  const pathCost = new Float64Array(n + 1);
  const visited = new Uint8Array(n + 1);
  for (let row = 1; row <= n; row++) {
    if (matched[row]) continue;
    pathCost.fill(Infinity);
    visited.fill(0);
    let distance = 0; // of the latest column reached
    let i0 = row;
    let j0 = 0; // column 0: the virtual start
    let sink: number;
    for (;;) {
      let nearest = 0;
      for (let j = 1; j <= n; j++) {
        if (visited[j]) continue;
        const reduced = distance + squaredDistance(data, i0 - 1, noise, j - 1) - u[i0]! - v[j]!;
        if (reduced < pathCost[j]!) {
          pathCost[j] = reduced;
          way[j] = j0;
        }
        if (nearest === 0 || pathCost[j]! < pathCost[nearest]!) nearest = j;
      }
      distance = pathCost[nearest]!;
      visited[nearest] = 1;
      if (rowOf[nearest] === 0) {
        sink = nearest;
        break;
      }
      j0 = nearest;
      i0 = rowOf[nearest]!;
    }
    // Potentials: every column reached before the sink, and its row, move by what it saved.
    u[row] = u[row]! + distance;
    for (let j = 1; j <= n; j++) {
      if (!visited[j]) continue;
      const gain = distance - pathCost[j]!;
      v[j] = v[j]! - gain;
      const r = rowOf[j]!;
      if (r !== 0) u[r] = u[r]! + gain;
    }
    // Flip the path: every column on it takes the row of its predecessor.
    rowOf[0] = row;
    let j = sink;
    do {
      const previous = way[j]!;
      rowOf[j] = rowOf[previous]!;
      j = previous;
    } while (j !== 0);
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

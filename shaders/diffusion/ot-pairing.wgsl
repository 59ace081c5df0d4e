// Minibatch optimal-transport pairing (OT-CFM): within the training batch of the current step,
// permutes the noise points ε (in place, in the noise bank) so that Σᵢ ‖x₀ᵢ − ε_π(i)‖² is
// minimal. Exact, in ONE workgroup of WORKGROUP_SIZE invocations: column reduction (each noise
// column's potential is its least cost; columns in order take their nearest free data row),
// then one shortest augmenting path per row left over (Dijkstra on reduced costs with lazy
// potentials, as in Crouse 2016 / scipy's linear_sum_assignment).
//
// Invocation `lid` owns the noise columns j = lid + k·WORKGROUP_SIZE (k < COLUMNS): their ε,
// potential v, path cost and `visited` flag live in its private memory. Per Dijkstra
// iteration each invocation scans its columns, offers its best (lowest path cost, then lowest
// column) in `candidates`, and workgroupUniformLoad hands every invocation the whole offer list:
// all of them pick the same winner by a fixed-order scan (no atomics, no float reductions in a
// data-dependent order), so the result is deterministic and identical on every run. Potentials
// of rows (u) and the matching (row_of, way) are shared in workgroup memory.
// Twin: otAssignment in src/models/diffusion/assignment.ts (same method, same tie-breaking).

struct OtUniforms {
  batch: u32,
  // Step of the bank's first batch (written before each chunk).
  first_step: u32,
  pad0: u32,
  pad1: u32,
}

struct Candidate {
  value: f32,
  // 1-based column; 0 = no candidate.
  column: u32,
  // row_of[column]: 0 when the column is free (the path ends there).
  row: u32,
}

const WG: u32 = {{WORKGROUP_SIZE}}u;
const COLUMNS: u32 = {{COLUMNS}}u;
const MAX_N: u32 = WG * COLUMNS;
const BIG: f32 = 3.0e38;

@group(0) @binding(0) var<uniform> u: OtUniforms;
@group(0) @binding(1) var<storage, read> state: TrainState;
@group(0) @binding(2) var<storage, read> bank: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> noise: array<vec2<f32>>;

// Index 0 is the virtual column where each row's path starts (row_of[0] = the new row).
var<workgroup> row_potential: array<f32, MAX_N + 1u>;
var<workgroup> row_of: array<u32, MAX_N + 1u>;
var<workgroup> way: array<u32, MAX_N + 1u>;
// pending[0] = how many rows the column reduction left unmatched, pending[1 …] = those rows.
var<workgroup> pending: array<u32, MAX_N + 1u>;
// Double-buffered so an invocation may offer for the next iteration while others still read.
var<workgroup> candidates: array<array<Candidate, WG>, 2>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(local_invocation_index) lid: u32) {
  let n = u.batch;
  let base = (state.step - u.first_step) * n;
  var eps: array<vec2<f32>, COLUMNS>;
  var v: array<f32, COLUMNS>;
  var path_cost: array<f32, COLUMNS>;
  var visited: array<bool, COLUMNS>;
  for (var k = 0u; k < COLUMNS; k++) {
    let j = lid + k * WG;
    if (j < n) { eps[k] = noise[base + j]; }
    v[k] = 0.0;
  }
  for (var j = lid; j <= n; j += WG) {
    row_potential[j] = 0.0;
    row_of[j] = 0u;
    pending[j] = 0u;
  }
  // Column reduction: v_j = min_i c_ij (every reduced cost ≥ 0); way[j] = the nearest row.
  for (var k = 0u; k < COLUMNS; k++) {
    let j = lid + k * WG;
    if (j < n) {
      var best = BIG;
      var nearest = 0u;
      for (var i = 0u; i < n; i++) {
        let d = bank[base + i] - eps[k];
        let cost = dot(d, d);
        if (nearest == 0u || cost < best) {
          best = cost;
          nearest = i + 1u;
        }
      }
      v[k] = best;
      way[j + 1u] = nearest;
    }
  }
  workgroupBarrier();
  if (lid == 0u) {
    // Columns in order take their nearest row while it is free (pending[r] = 1: taken) ...
    for (var j = 1u; j <= n; j++) {
      let r = way[j];
      if (r != 0u && pending[r] == 0u) {
        pending[r] = 1u;
        row_of[j] = r;
      }
    }
    // ... then pending becomes the list of free rows, compacted in place (count ≤ r).
    var count = 0u;
    for (var r = 1u; r <= n; r++) {
      if (pending[r] == 0u) {
        count++;
        pending[count] = r;
      }
    }
    pending[0] = count;
  }
  let free_rows = workgroupUniformLoad(&pending[0]);

  for (var q = 1u; q <= free_rows; q++) {
    let row = workgroupUniformLoad(&pending[q]);
    for (var k = 0u; k < COLUMNS; k++) {
      path_cost[k] = BIG;
      visited[k] = false;
    }
    // Dijkstra from `row` on reduced costs; `distance` is that of the latest column reached.
    var distance = 0.0;
    var j0 = 0u;
    var i0 = row;
    var sink = 0u;
    var parity = 0u;
    // Each iteration reaches one more column, so n iterations always reach a free one.
    for (var iteration = 0u; iteration < n; iteration++) {
      let x = bank[base + i0 - 1u];
      let base_cost = distance - row_potential[i0];
      var best = Candidate(BIG, 0u, 0u);
      for (var k = 0u; k < COLUMNS; k++) {
        let j = lid + k * WG;
        if (j < n && !visited[k]) {
          let d = x - eps[k];
          let reduced = base_cost + dot(d, d) - v[k];
          if (reduced < path_cost[k]) {
            path_cost[k] = reduced;
            way[j + 1u] = j0;
          }
          if (best.column == 0u || path_cost[k] < best.value) {
            best = Candidate(path_cost[k], j + 1u, 0u);
          }
        }
      }
      if (best.column != 0u) { best.row = row_of[best.column]; }
      candidates[parity][lid] = best;
      let offers = workgroupUniformLoad(&candidates[parity]);
      var j1 = 0u;
      var i1 = 0u;
      for (var t = 0u; t < WG; t++) {
        let c = offers[t];
        if (c.column != 0u && (j1 == 0u || c.value < distance || (c.value == distance && c.column < j1))) {
          distance = c.value;
          j1 = c.column;
          i1 = c.row;
        }
      }
      if (j1 == 0u) { break; } // only with non-finite inputs: leave the pairing as it is
      if ((j1 - 1u) % WG == lid) { visited[(j1 - 1u) / WG] = true; }
      if (i1 == 0u) {
        sink = j1;
        break;
      }
      j0 = j1;
      i0 = i1;
      parity ^= 1u;
    }
    // Potentials, once per row (no one reads them until the barrier): each column reached and
    // its row move by what the path saved there; the new row by the whole distance.
    for (var k = 0u; k < COLUMNS; k++) {
      let j = lid + k * WG;
      if (j < n && visited[k]) {
        let gain = distance - path_cost[k];
        v[k] -= gain;
        let r = row_of[j + 1u];
        if (r != 0u) { row_potential[r] += gain; }
      }
    }
    if (lid == 0u) { row_potential[row] += distance; }
    // Everyone is done reading row_of before invocation 0 flips the path.
    workgroupBarrier();
    if (lid == 0u && sink != 0u) {
      row_of[0] = row;
      var j = sink;
      loop {
        let previous = way[j];
        row_of[j] = row_of[previous];
        j = previous;
        if (j == 0u) { break; }
      }
    }
    workgroupBarrier();
  }

  for (var k = 0u; k < COLUMNS; k++) {
    let j = lid + k * WG;
    if (j < n && row_of[j + 1u] != 0u) { noise[base + row_of[j + 1u] - 1u] = eps[k]; }
  }
}

// Exact log-densities of the datasets that have one: out[i] = log p(points[i]) in nats.
// Twins (float64): logProb in src/data/builtins.ts and src/data/grid.ts.
// Inputs in model coordinates are mapped to data coordinates first, x = z · scale + shift, and
// the result is the model-space density log p(x) + log(scale.x · scale.y).

struct LogProbParams {
  // Number of points, dataset id, flags (bit 0: inputs are model coordinates), grid width.
  shape: vec4<u32>,
  // Grid height, unused ×3.
  grid: vec4<u32>,
  // shift.x, shift.y, scale.x, scale.y.
  affine: vec4<f32>,
  // log(scale.x · scale.y), −∞ (WGSL has no infinity literal), unused ×2.
  extra: vec4<f32>,
  // The dataset's packed parameters (builtins.ts pack(); grid: x_min, y_max, cell w, cell h).
  q: array<vec4<f32>, 4>,
}

@group(0) @binding(0) var<uniform> params: LogProbParams;
@group(0) @binding(1) var<storage, read> points: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// Grid: log p of each cell (−∞ for empty cells). Unused by the other datasets.
@group(0) @binding(3) var<storage, read> aux: array<f32>;

const LOG_2PI: f32 = 1.8378770664093453;

fn q(i: u32) -> f32 {
  return params.q[i / 4u][i % 4u];
}

fn log_prob_gaussian(x: vec2<f32>) -> f32 {
  let d = x - vec2<f32>(q(0u), q(1u));
  return q(8u) - 0.5 * (q(5u) * d.x * d.x + 2.0 * q(6u) * d.x * d.y + q(7u) * d.y * d.y);
}

// An equally weighted mixture of K isotropic Gaussians of std σ (8gaussians: K = 8, on a ring;
// 25gaussians: K = 25, on a grid), by a two-pass log-sum-exp.
fn log_prob_mixture(x: vec2<f32>, ring: bool) -> f32 {
  let count = select(25u, 8u, ring);
  let sigma = q(1u);
  let inv = 1.0 / (2.0 * sigma * sigma);
  var largest = -3.0e38;
  for (var k = 0u; k < count; k++) {
    let c = select(data_grid_centre(k, q(0u)), data_eight_centre(k, q(0u)), ring);
    let d = x - c;
    largest = max(largest, -dot(d, d) * inv);
  }
  var sum = 0.0;
  for (var k = 0u; k < count; k++) {
    let c = select(data_grid_centre(k, q(0u)), data_eight_centre(k, q(0u)), ring);
    let d = x - c;
    sum += exp(-dot(d, d) * inv - largest);
  }
  return largest + log(sum) - log(f32(count)) - LOG_2PI - 2.0 * log(sigma);
}

fn log_prob_checkerboard(x: vec2<f32>) -> f32 {
  if (x.x < -4.0 || x.x >= 4.0 || x.y < -4.0 || x.y >= 4.0) { return params.extra.y; }
  let cells = floor(x.x / 2.0) + floor(x.y / 2.0);
  if (cells - 2.0 * floor(cells / 2.0) != 0.0) { return params.extra.y; }
  return -3.4657359027997265; // −log 32
}

// Row 0 is the top row: column ⌊(x − x_min)/w⌋, row ⌊(y_max − y)/h⌋.
fn log_prob_grid(x: vec2<f32>) -> f32 {
  let col = floor((x.x - q(0u)) / q(2u));
  let row = floor((q(1u) - x.y) / q(3u));
  let width = params.shape.w;
  let height = params.grid.x;
  if (col < 0.0 || row < 0.0 || col >= f32(width) || row >= f32(height)) { return params.extra.y; }
  return aux[u32(row) * width + u32(col)];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (i >= params.shape.x) { return; }
  var x = points[i];
  let model = (params.shape.z & 1u) != 0u;
  if (model) {
    x = x * params.affine.zw + params.affine.xy;
  }
  var lp: f32;
  switch (params.shape.y) {
    case DATASET_GAUSSIAN: { lp = log_prob_gaussian(x); }
    case DATASET_8GAUSSIANS: { lp = log_prob_mixture(x, true); }
    case DATASET_25GAUSSIANS: { lp = log_prob_mixture(x, false); }
    case DATASET_CHECKERBOARD: { lp = log_prob_checkerboard(x); }
    case DATASET_GRID: { lp = log_prob_grid(x); }
    default: { lp = params.extra.z; }
  }
  if (model) {
    lp += params.extra.x;
  }
  out[i] = lp;
}

// Samples Flowfield's 2-D datasets: invocation i writes point (i mod count) of the batch at step
// step_base + ⌊i / count⌋ into out[first + i], so one dispatch can fill several training steps.
// Twins: src/data/builtins.ts (built-ins), src/data/grid.ts, src/data/points.ts; the random
// numbers of a point (choice, u1..u3, n1..n4) are described in src/data/draws.ts.

struct SampleParams {
  // Philox key (seed low word, seed high word), stream, step of the first batch.
  rng: vec4<u32>,
  // Points per batch, number of batches, first output point, dataset id.
  shape: vec4<u32>,
  // Entries of aux (grid cells or points), grid width in cells, flags (bit 0: write model
  // coordinates), unused.
  source: vec4<u32>,
  // model = (data − shift) · inv_scale: shift.x, shift.y, inv_scale.x, inv_scale.y.
  affine: vec4<f32>,
  // The dataset's packed parameters q[0..15] (builtins.ts pack(); grid/points: see below).
  q: array<vec4<f32>, 4>,
}

@group(0) @binding(0) var<uniform> params: SampleParams;
@group(0) @binding(1) var<storage, read_write> out: array<vec2<f32>>;
// Grid: (probability as f32 bits, alias) per cell. Points: (x, y) as f32 bits per point.
@group(0) @binding(2) var<storage, read> aux: array<u32>;

fn q(i: u32) -> f32 {
  return params.q[i / 4u][i % 4u];
}

// The draws of one point: raw words B and the counter of its normals (see draws.ts).
struct Draws {
  b: vec4<u32>,
  normal_counter: vec4<u32>,
}

fn choice(d: Draws, count: u32) -> u32 {
  return philox_mulhilo(d.b.x, count).x;
}

fn u1(d: Draws) -> f32 { return philox_unit(d.b.y); }
fn u2(d: Draws) -> f32 { return philox_unit(d.b.z); }
fn u3(d: Draws) -> f32 { return philox_unit(d.b.w); }

fn normals(d: Draws) -> vec4<f32> {
  return philox_normal4(d.normal_counter, params.rng.xy);
}

fn unit_circle(a: f32) -> vec2<f32> {
  let w = data_wrap(a);
  return vec2<f32>(cos(w), sin(w));
}

fn sample_gaussian(d: Draws) -> vec2<f32> {
  let n = normals(d);
  return vec2<f32>(q(0u) + q(2u) * n.x, q(1u) + q(3u) * n.x + q(4u) * n.y);
}

fn sample_moons(d: Draws) -> vec2<f32> {
  let theta = DATA_PI * u1(d);
  var m = vec2<f32>(cos(theta), sin(theta));
  if (choice(d, 2u) != 0u) {
    m = vec2<f32>(1.0 - m.x, 0.5 - m.y);
  }
  let n = normals(d);
  return 2.0 * (m + q(0u) * n.xy) - vec2<f32>(1.0, 0.2);
}

fn sample_circles(d: Draws) -> vec2<f32> {
  let r = select(q(1u), 1.0, choice(d, 2u) == 0u);
  let n = normals(d);
  return 3.0 * (r * unit_circle(DATA_TAU * u1(d)) + q(0u) * n.xy);
}

fn sample_rings(d: Draws) -> vec2<f32> {
  let r = 3.0 * (1.0 - f32(choice(d, 4u)) / 4.0);
  let n = normals(d);
  return r * unit_circle(DATA_TAU * u1(d)) + q(0u) * n.xy;
}

fn sample_8gaussians(d: Draws) -> vec2<f32> {
  let n = normals(d);
  return data_eight_centre(choice(d, 8u), q(0u)) + q(1u) * n.xy;
}

fn sample_25gaussians(d: Draws) -> vec2<f32> {
  let n = normals(d);
  return data_grid_centre(choice(d, 25u), q(0u)) + q(1u) * n.xy;
}

fn sample_pinwheel(d: Draws) -> vec2<f32> {
  let arms = u32(q(0u));
  let k = choice(d, arms);
  let n = normals(d);
  let f0 = 1.0 + q(1u) * n.x;
  let f1 = q(2u) * n.y;
  let a = DATA_TAU * f32(k) / q(0u) + q(3u) * exp(f0);
  let cs = unit_circle(a);
  return 2.0 * vec2<f32>(f0 * cs.x + f1 * cs.y, -f0 * cs.y + f1 * cs.x);
}

fn sample_swissroll(d: Draws) -> vec2<f32> {
  let t = 1.5 * DATA_PI * (1.0 + 2.0 * u1(d));
  let n = normals(d);
  return (t * unit_circle(t) + q(0u) * n.xy) / 5.0;
}

fn sample_2spirals(d: Draws) -> vec2<f32> {
  let s = sqrt(u1(d)) * 3.0 * DATA_PI;
  let sign = select(-1.0, 1.0, choice(d, 2u) == 0u);
  let cs = unit_circle(s);
  let v = vec2<f32>(-cs.x * s + 0.5 * u2(d), cs.y * s + 0.5 * u3(d));
  let n = normals(d);
  return sign * v / 3.0 + q(0u) * n.xy;
}

fn sample_checkerboard(d: Draws) -> vec2<f32> {
  let x1 = 4.0 * u1(d) - 2.0;
  let f = floor(x1);
  let parity = f - 2.0 * floor(f / 2.0);
  let x2 = u2(d) - 2.0 * f32(choice(d, 2u)) + parity;
  return 2.0 * vec2<f32>(x1, x2);
}

fn sample_line(d: Draws) -> vec2<f32> {
  let x = 5.0 * u1(d) - 2.5;
  return vec2<f32>(x, x);
}

fn sample_sine(d: Draws) -> vec2<f32> {
  let x = 5.0 * u1(d) - 2.5;
  return vec2<f32>(x, 2.5 * sin(x));
}

fn sample_smiley(d: Draws) -> vec2<f32> {
  let k = choice(d, 10u);
  var p: vec2<f32>;
  if (k <= 4u) {
    p = 3.0 * unit_circle(DATA_TAU * u1(d));
  } else if (k <= 6u) {
    let centre = vec2<f32>(select(1.1, -1.1, k == 5u), 1.1);
    p = centre + 0.35 * sqrt(u2(d)) * unit_circle(DATA_TAU * u1(d));
  } else {
    let phi = DATA_PI + 0.5 + (DATA_PI - 1.0) * u1(d);
    p = vec2<f32>(0.0, 0.3) + 1.8 * unit_circle(phi);
  }
  let n = normals(d);
  return p + q(0u) * n.xy;
}

// Grid: q = (x_min, y_max, cell width, cell height); row 0 is the top row. Alias sampling:
// cell j = choice(cells); keep j if u1 < probability[j], else take alias[j]; uniform in the cell.
fn sample_grid(d: Draws) -> vec2<f32> {
  var j = choice(d, params.source.x);
  if (u1(d) >= bitcast<f32>(aux[2u * j])) {
    j = aux[2u * j + 1u];
  }
  let width = params.source.y;
  let col = f32(j % width);
  let row = f32(j / width);
  return vec2<f32>(q(0u) + (col + u2(d)) * q(2u), q(1u) - (row + u3(d)) * q(3u));
}

// Point set: a uniformly chosen point (with replacement) plus jitter q(0)·(n1, n2).
fn sample_points(d: Draws) -> vec2<f32> {
  let j = choice(d, params.source.x);
  var p = vec2<f32>(bitcast<f32>(aux[2u * j]), bitcast<f32>(aux[2u * j + 1u]));
  if (q(0u) > 0.0) {
    p += q(0u) * normals(d).xy;
  }
  return p;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  let count = params.shape.x;
  if (i >= count * params.shape.y) { return; }
  let index = i % count;
  let step = params.rng.w + i / count;
  let stream = params.rng.z;
  var d: Draws;
  d.b = philox4x32_10(vec4<u32>(index, step, stream, 0u), params.rng.xy);
  d.normal_counter = vec4<u32>(index, step, stream, 1u);
  var p: vec2<f32>;
  switch (params.shape.w) {
    case DATASET_GAUSSIAN: { p = sample_gaussian(d); }
    case DATASET_MOONS: { p = sample_moons(d); }
    case DATASET_CIRCLES: { p = sample_circles(d); }
    case DATASET_RINGS: { p = sample_rings(d); }
    case DATASET_8GAUSSIANS: { p = sample_8gaussians(d); }
    case DATASET_25GAUSSIANS: { p = sample_25gaussians(d); }
    case DATASET_PINWHEEL: { p = sample_pinwheel(d); }
    case DATASET_SWISSROLL: { p = sample_swissroll(d); }
    case DATASET_2SPIRALS: { p = sample_2spirals(d); }
    case DATASET_CHECKERBOARD: { p = sample_checkerboard(d); }
    case DATASET_LINE: { p = sample_line(d); }
    case DATASET_SINE: { p = sample_sine(d); }
    case DATASET_SMILEY: { p = sample_smiley(d); }
    case DATASET_GRID: { p = sample_grid(d); }
    case DATASET_POINTS: { p = sample_points(d); }
    default: { p = vec2<f32>(0.0, 0.0); }
  }
  if ((params.source.z & 1u) != 0u) {
    p = (p - params.affine.xy) * params.affine.zw;
  }
  out[params.shape.z + i] = p;
}

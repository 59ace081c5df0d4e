// Per-coordinate flow layers in 2-D. Twin: src/models/flows/elementwise.ts.
//   MODE 0, ActNorm (Kingma & Dhariwal 2018):  y_d = x_d·exp(ls_d) + b_d     log|det J| = Σ ls_d
//   MODE 1, NICE's diagonal scaling layer:      y_d = x_d·exp(ls_d)           log|det J| = Σ ls_d
//   MODE 2, reversal (a fixed permutation):     y = (x₁, x₀)                 log|det J| = 0
// Parameters at u.param_offset: ls₀, ls₁ then (ActNorm) b₀, b₁. Backward writes dL/dx and the
// per-sample parameter gradients into `contrib` (rows of 4), summed by nn/column-sum.wgsl.

struct ElementwiseUniforms {
  batch: u32,
  logdet_offset: u32,
  param_offset: u32,
  pad0: u32,
  logdet_weight: f32,
  pad1: f32,
  pad2: f32,
  pad3: f32,
}

const MODE: u32 = {{MODE}};

@group(0) @binding(0) var<uniform> u: ElementwiseUniforms;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> logdet: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_y: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad_x: array<f32>;
@group(0) @binding(7) var<storage, read_write> contrib: array<f32>;

fn sample_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

fn log_scale(d: u32) -> f32 {
  if (MODE == 2u) { return 0.0; }
  return params[u.param_offset + d];
}

fn bias(d: u32) -> f32 {
  if (MODE != 0u) { return 0.0; }
  return params[u.param_offset + 2u + d];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  if (MODE == 2u) {
    let x0 = x[2u * b];
    y[2u * b] = x[2u * b + 1u];
    y[2u * b + 1u] = x0;
    logdet[u.logdet_offset + b] = 0.0;
    return;
  }
  for (var d = 0u; d < 2u; d++) { y[2u * b + d] = x[2u * b + d] * exp(log_scale(d)) + bias(d); }
  logdet[u.logdet_offset + b] = log_scale(0u) + log_scale(1u);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn inverse(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  if (MODE == 2u) {
    let y0 = y[2u * b];
    x[2u * b] = y[2u * b + 1u];
    x[2u * b + 1u] = y0;
    logdet[u.logdet_offset + b] = 0.0;
    return;
  }
  for (var d = 0u; d < 2u; d++) { x[2u * b + d] = (y[2u * b + d] - bias(d)) * exp(-log_scale(d)); }
  logdet[u.logdet_offset + b] = -(log_scale(0u) + log_scale(1u));
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  if (MODE == 2u) {
    let g0 = grad_y[2u * b];
    grad_x[2u * b] = grad_y[2u * b + 1u];
    grad_x[2u * b + 1u] = g0;
    return;
  }
  for (var d = 0u; d < 2u; d++) {
    let e = exp(log_scale(d));
    let gy = grad_y[2u * b + d];
    grad_x[2u * b + d] = gy * e;
    contrib[4u * b + d] = gy * x[2u * b + d] * e + u.logdet_weight;
    contrib[4u * b + 2u + d] = gy;
  }
}

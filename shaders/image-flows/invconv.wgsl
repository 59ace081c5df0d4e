// Glow's invertible 1 × 1 convolution on NCHW batches, forward, inverse and backward side by side:
// at every pixel y = W x with W = P · L · M, M = U + diag(exp(logs)); P reverses the channels, L is
// unit lower triangular, U strictly upper. Parameters at param_offset: one C × C matrix with L
// below and U above its (unused) diagonal, then logs (C). log|det| = PIXELS · Σ logs per image
// (added by multiscale-plumbing.wgsl log_det_params). Reductions run in one invocation each, in a
// fixed order: no atomics. Twin: src/models/image-flows/flow-layers-reference.ts.

struct InvConvUniforms {
  batch: u32,
  param_offset: u32,
  pad0: u32,
  grad_log_det: f32,
}

const C: u32 = {{C}};
const PIXELS: u32 = {{PIXELS}};

@group(0) @binding(0) var<uniform> u: InvConvUniforms;
@group(0) @binding(1) var<storage, read> params: array<f32>;
// forward, backward_params: x; inverse: y; backward_input: unused.
@group(0) @binding(2) var<storage, read> src: array<f32>;
// backward: dL/dy (else src again).
@group(0) @binding(3) var<storage, read> dy: array<f32>;
// forward: y; inverse: x; backward_input: dL/dx; backward_params: the gradients.
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

fn entry(i: u32, j: u32) -> f32 {
  return params[u.param_offset + i * C + j];
}

fn scale(i: u32) -> f32 {
  return exp(params[u.param_offset + C * C + i]);
}

fn at(b: u32, c: u32, p: u32) -> u32 {
  return (b * C + c) * PIXELS + p;
}

// a_j = (M x)_j at pixel p of image b.
fn m_times_x(b: u32, p: u32, j: u32) -> f32 {
  var sum = scale(j) * src[at(b, j, p)];
  for (var k = j + 1u; k < C; k++) { sum += entry(j, k) * src[at(b, k, p)]; }
  return sum;
}

// (Lᵀ gb)_i with gb = Pᵀ dL/dy at pixel p of image b.
fn lt_times_gb(b: u32, p: u32, i: u32) -> f32 {
  var sum = dy[at(b, C - 1u - i, p)];
  for (var k = i + 1u; k < C; k++) { sum += entry(k, i) * dy[at(b, C - 1u - k, p)]; }
  return sum;
}

// One invocation per pixel: a = M x, b = L a, y = P b.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  if (q >= u.batch * PIXELS) { return; }
  let b = q / PIXELS;
  let p = q % PIXELS;
  var a: array<f32, C>;
  for (var i = 0u; i < C; i++) {
    a[i] = m_times_x(b, p, i);
    var sum = a[i];
    for (var j = 0u; j < i; j++) { sum += entry(i, j) * a[j]; }
    dst[at(b, C - 1u - i, p)] = sum;
  }
}

// One invocation per pixel: b = Pᵀ y; a = L⁻¹ b (forward substitution); x = M⁻¹ a (back).
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn inverse(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  if (q >= u.batch * PIXELS) { return; }
  let b = q / PIXELS;
  let p = q % PIXELS;
  var a: array<f32, C>;
  for (var i = 0u; i < C; i++) {
    var sum = src[at(b, C - 1u - i, p)];
    for (var j = 0u; j < i; j++) { sum -= entry(i, j) * a[j]; }
    a[i] = sum;
  }
  var x: array<f32, C>;
  for (var r = 0u; r < C; r++) {
    let i = C - 1u - r;
    var sum = a[i];
    for (var j = i + 1u; j < C; j++) { sum -= entry(i, j) * x[j]; }
    x[i] = sum / scale(i);
    dst[at(b, i, p)] = x[i];
  }
}

// One invocation per pixel: dL/dx = Mᵀ Lᵀ Pᵀ dL/dy.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  if (q >= u.batch * PIXELS) { return; }
  let b = q / PIXELS;
  let p = q % PIXELS;
  var ga: array<f32, C>;
  for (var i = 0u; i < C; i++) { ga[i] = lt_times_gb(b, p, i); }
  for (var i = 0u; i < C; i++) {
    var sum = scale(i) * ga[i];
    for (var j = 0u; j < i; j++) { sum += entry(j, i) * ga[j]; }
    dst[at(b, i, p)] = sum;
  }
}

// One invocation per parameter, over the images then the pixels in order:
//   L_ij (i > j): Σ gb_i a_j;  U_ij (i < j): Σ ga_i x_j;  logs_i: Σ ga_i x_i e^logs_i + PIXELS ·
//   batch · dL/dlog|det|. The unused diagonal gets 0.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_params(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  if (q >= C * C + C) { return; }
  var sum = 0.0;
  if (q < C * C) {
    let i = q / C;
    let j = q % C;
    for (var b = 0u; b < u.batch; b++) {
      for (var p = 0u; p < PIXELS; p++) {
        if (i > j) {
          sum += dy[at(b, C - 1u - i, p)] * m_times_x(b, p, j);
        } else if (i < j) {
          sum += lt_times_gb(b, p, i) * src[at(b, j, p)];
        }
      }
    }
  } else {
    let i = q - C * C;
    for (var b = 0u; b < u.batch; b++) {
      for (var p = 0u; p < PIXELS; p++) { sum += lt_times_gb(b, p, i) * src[at(b, i, p)]; }
    }
    sum = sum * scale(i) + f32(PIXELS * u.batch) * u.grad_log_det;
  }
  dst[u.param_offset + q] = sum;
}

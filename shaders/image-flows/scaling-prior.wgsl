// NICE's diagonal scaling z = h ⊙ exp(s) and the prior, forward, inverse and backward side by
// side, plus the prior draws of sampling. Twin: src/models/image-flows/nice-reference.ts.
//   log p(y) = Σ_d log p_Z(z_d) + Σ_d s_d (+ the pre-processing's log-det, to the pixel scale)
//   prior 0 logistic: log p_Z(z) = −|z| − 2 log(1 + e^−|z|),  d/dz = −tanh(z/2)
//   prior 1 gaussian: log p_Z(z) = −z²/2 − ln(2π)/2,          d/dz = −z
// Training loss term of row b: −log p_b · w with w = 1 / (D ln 2 · batch): mean bits/dim.
// Every reduction runs in a fixed order in one invocation (rows in scale_forward, the batch in
// scale_backward): no atomics, bit-reproducible.

struct ScalingUniforms {
  batch: u32,
  dims: u32,
  // Where s sits in the parameters.
  scale_offset: u32,
  prior: u32,
  term_weight: f32,
  // The pre-processing log-det of row b (f32 bits) is word b · stride + offset of pre_log_det
  // (stride 4, offset 3 in the image sampler's items; stride 1, offset 0 in a plain array).
  log_det_stride: u32,
  log_det_offset: u32,
  temperature: f32,
  seed_lo: u32,
  seed_hi: u32,
  pad0: u32,
  pad1: u32,
}

const PRIOR_STREAM: u32 = 0x4e494345u;
const HALF_LOG_2PI: f32 = 0.9189385332046727;

@group(0) @binding(0) var<uniform> u: ScalingUniforms;
@group(0) @binding(1) var<storage, read> params: array<f32>;
// h: the couplings' output (rows of D).
@group(0) @binding(2) var<storage, read_write> h: array<f32>;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;
@group(0) @binding(4) var<storage, read> pre_log_det: array<u32>;
// Loss terms (batch), then log p of each row in nats (batch).
@group(0) @binding(5) var<storage, read_write> per_row: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad_h: array<f32>;
@group(0) @binding(7) var<storage, read_write> grads: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

fn log_prior(v: f32) -> f32 {
  if (u.prior == 1u) { return -0.5 * v * v - HALF_LOG_2PI; }
  let a = abs(v);
  return -a - 2.0 * log(1.0 + exp(-a));
}

fn log_prior_grad(v: f32) -> f32 {
  if (u.prior == 1u) { return -v; }
  return -tanh(0.5 * v);
}

// One invocation per row: z, log p (nats) and the loss term.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn scale_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = flat_index(gid, groups);
  if (b >= u.batch) { return; }
  var log_p = bitcast<f32>(pre_log_det[b * u.log_det_stride + u.log_det_offset]);
  for (var d = 0u; d < u.dims; d++) {
    let s = params[u.scale_offset + d];
    let v = h[b * u.dims + d] * exp(s);
    z[b * u.dims + d] = v;
    log_p += log_prior(v) + s;
  }
  per_row[b] = -log_p * u.term_weight;
  per_row[u.batch + b] = log_p;
}

// One invocation per value: h = z ⊙ exp(−s).
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn scale_inverse(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * u.dims) { return; }
  h[i] = z[i] * exp(-params[u.scale_offset + i % u.dims]);
}

// One invocation per coordinate d, over the batch in order: dL/dh = dL/dz · e^s and
// dL/ds_d = Σ_b (dL/dz_bd · z_bd − w), written to the first gradient chunk.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn scale_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let d = flat_index(gid, groups);
  if (d >= u.dims) { return; }
  let e = exp(params[u.scale_offset + d]);
  var grad_s = 0.0;
  for (var b = 0u; b < u.batch; b++) {
    let v = z[b * u.dims + d];
    let grad_z = -u.term_weight * log_prior_grad(v);
    grad_h[b * u.dims + d] = grad_z * e;
    grad_s += grad_z * v - u.term_weight;
  }
  grads[u.scale_offset + d] = grad_s;
}

// Sampling: z = temperature · ε, ε from the prior; four values per Philox block
// (counter (q, 0, PRIOR_STREAM, 0)); logistic ε = ln u − ln(1 − u), Gaussian by Box–Muller.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn prior_sample(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  let total = u.batch * u.dims;
  if (4u * q >= total) { return; }
  let key = vec2<u32>(u.seed_lo, u.seed_hi);
  let counter = vec4<u32>(q, 0u, PRIOR_STREAM, 0u);
  var draws: vec4<f32>;
  if (u.prior == 1u) {
    draws = philox_normal4(counter, key);
  } else {
    let r = philox_uniform4(counter, key);
    draws = log(r) - log(vec4<f32>(1.0) - r);
  }
  for (var j = 0u; j < 4u; j++) {
    if (4u * q + j < total) { z[4u * q + j] = u.temperature * draws[j]; }
  }
}

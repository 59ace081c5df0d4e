// Coupling layers in 2-D (Dinh et al. 2015 NICE; Dinh et al. 2017 RealNVP). Coordinate A
// (u.cond) passes through and conditions an MLP whose outputs h transform coordinate B:
//   additive (TRANSFORM 0):  y_B = x_B + h₀                              log|det J| = 0
//   affine   (TRANSFORM 1):  s = S·tanh(h₀ / S),  y_B = x_B·exp(s) + h₁   log|det J| = s
// The soft clamp S·tanh(·/S) bounds the log-scale so one step cannot explode (Glow, nflows).
// Forward, inverse and backward side by side (uniforms and bindings: coupling-io.wgsl); the
// conditioner runs as nn/mlp.wgsl before (forward, inverse) or after (backward: it receives
// dL/dh and adds its dL/dx_A).
// Twin: src/models/flows/coupling.ts.

const TRANSFORM: u32 = {{TRANSFORM}};
const OUTPUTS: u32 = select(1u, 2u, TRANSFORM == 1u);
const SCALE_BOUND: f32 = {{SCALE_BOUND}};


fn log_scale(b: u32) -> f32 {
  if (TRANSFORM == 0u) { return 0.0; }
  return SCALE_BOUND * tanh(clamp(h[b * OUTPUTS] / SCALE_BOUND, -15.0, 15.0));
}

fn shift(b: u32) -> f32 {
  return h[b * OUTPUTS + OUTPUTS - 1u];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let a = u.cond;
  let t = 1u - a;
  let s = log_scale(b);
  y[2u * b + a] = x[2u * b + a];
  y[2u * b + t] = x[2u * b + t] * exp(s) + shift(b);
  logdet[u.logdet_offset + b] = s;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn inverse(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let a = u.cond;
  let t = 1u - a;
  let s = log_scale(b);
  x[2u * b + a] = y[2u * b + a];
  x[2u * b + t] = (y[2u * b + t] - shift(b)) * exp(-s);
  logdet[u.logdet_offset + b] = -s;
}

// Writes dL/dx_B, the pass-through part of dL/dx_A (the conditioner adds its part) and dL/dh.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let a = u.cond;
  let t = 1u - a;
  let gy_t = grad_y[2u * b + t];
  grad_x[2u * b + a] = grad_y[2u * b + a];
  if (TRANSFORM == 0u) {
    grad_x[2u * b + t] = gy_t;
    grad_h[b] = gy_t;
    return;
  }
  let s = log_scale(b);
  let e = exp(s);
  grad_x[2u * b + t] = gy_t * e;
  let ds = gy_t * x[2u * b + t] * e + u.logdet_weight;
  let r = s / SCALE_BOUND;
  grad_h[2u * b] = ds * (1.0 - r * r);
  grad_h[2u * b + 1u] = gy_t;
}

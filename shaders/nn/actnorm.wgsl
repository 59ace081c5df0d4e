// ActNorm (Glow) over NCHW batches: a per-channel affine map with log-scale parameters,
//   y[n, c, p] = x[n, c, p] · exp(logs[c]) + b[c]     (logs, b at param_offset: C floats each)
//   inverse    x = (y − b[c]) · exp(−logs[c]),   log|det ∂y/∂x| = PIXELS · Σ_c logs[c] per sample
// Backward: dL/dx = dL/dy · exp(logs[c]); dL/dlogs[c] = Σ_n Σ_p dL/dy · x · exp(logs[c]),
// dL/db[c] = Σ_n Σ_p dL/dy, summed by one invocation per channel, sample then pixel: no atomics.
// Twin: src/nn/reference/norm.ts.

struct ActNormUniforms {
  batch: u32,
  param_offset: u32,
  pad0: u32,
  pad1: u32,
}

const C: u32 = {{C}};
const PIXELS: u32 = {{PIXELS}};

@group(0) @binding(0) var<uniform> u: ActNormUniforms;
@group(0) @binding(1) var<storage, read> params: array<f32>;
// forward, backward: x; inverse: y.
@group(0) @binding(2) var<storage, read> src: array<f32>;
// backward: dL/dy (other entry points bind src again; unused).
@group(0) @binding(3) var<storage, read> dy: array<f32>;
// forward: y; inverse: x; backward_input: dL/dx; backward_params: the gradients.
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

fn channel(i: u32) -> u32 {
  return (i / PIXELS) % C;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * C * PIXELS) { return; }
  let c = channel(i);
  dst[i] = src[i] * exp(params[u.param_offset + c]) + params[u.param_offset + C + c];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn inverse(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * C * PIXELS) { return; }
  let c = channel(i);
  dst[i] = (src[i] - params[u.param_offset + C + c]) * exp(-params[u.param_offset + c]);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * C * PIXELS) { return; }
  dst[i] = dy[i] * exp(params[u.param_offset + channel(i)]);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_params(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let c = flat_index(gid, groups);
  if (c >= C) { return; }
  var d_logs = 0.0;
  var d_b = 0.0;
  for (var n = 0u; n < u.batch; n++) {
    let start = (n * C + c) * PIXELS;
    for (var p = 0u; p < PIXELS; p++) {
      d_logs += dy[start + p] * src[start + p];
      d_b += dy[start + p];
    }
  }
  dst[u.param_offset + c] = d_logs * exp(params[u.param_offset + c]);
  dst[u.param_offset + C + c] = d_b;
}

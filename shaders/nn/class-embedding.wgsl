// A learned class embedding added to the U-Net's time embedding (class conditioning for
// classifier-free guidance, Ho & Salimans 2022). E holds ROWS = K + 1 rows of HIDDEN floats;
// row K is the learned null class ∅ (the unconditional model).
//   forward   out[b, j] = temb[b, j] + E[label_b, j]
//   backward  dE[k, j] = Σ_{b: label_b = k} dL/dout[b, j], in order of b (written, not added:
//             the table's gradient lives in the first gradient chunk only); dL/dtemb = dL/dout.
// Labels are u32 in [0, K] (the host checks them; the kernel clamps so a bad one cannot read out
// of the table). Twin: the class term of unetForward/unetBackward in src/nn/reference/unet.ts.

struct ClassUniforms {
  batch: u32,
  param_offset: u32,
  pad0: u32,
  pad1: u32,
}

const HIDDEN: u32 = {{HIDDEN}};
const ROWS: u32 = {{ROWS}};

@group(0) @binding(0) var<uniform> u: ClassUniforms;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
// forward: temb; backward: dL/dout.
@group(0) @binding(3) var<storage, read> rows_in: array<f32>;
// forward: out; backward: the gradient buffer (the table's entries at param_offset).
@group(0) @binding(4) var<storage, read_write> result: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * HIDDEN) { return; }
  let label = min(labels[i / HIDDEN], ROWS - 1u);
  result[i] = rows_in[i] + params[u.param_offset + label * HIDDEN + i % HIDDEN];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= ROWS * HIDDEN) { return; }
  let k = i / HIDDEN;
  let j = i % HIDDEN;
  var sum = 0.0;
  for (var b = 0u; b < u.batch; b++) {
    if (labels[b] == k) { sum += rows_in[b * HIDDEN + j]; }
  }
  result[u.param_offset + i] = sum;
}

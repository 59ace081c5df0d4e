// Mean squared error as per-sample terms (reduced by loss-reduce.wgsl in a fixed order):
//   L = 1/(B·D) Σ_b Σ_d (y − t)²,   term_b = Σ_d (y − t)² / (B·D),   dL/dy = 2 (y − t) / (B·D)

struct LossUniforms {
  batch: u32,
  dims: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> u: LossUniforms;
@group(0) @binding(1) var<storage, read> prediction: array<f32>;
@group(0) @binding(2) var<storage, read> target_values: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad_prediction: array<f32>;
@group(0) @binding(4) var<storage, read_write> terms: array<f32>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (b >= u.batch) { return; }
  let scale = 1.0 / f32(u.batch * u.dims);
  var sum = 0.0;
  for (var d = 0u; d < u.dims; d++) {
    let i = b * u.dims + d;
    let r = prediction[i] - target_values[i];
    grad_prediction[i] = 2.0 * r * scale;
    sum += r * r;
  }
  terms[b] = sum * scale;
}

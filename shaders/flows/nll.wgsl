// The flow's training loss on the GPU (Dinh et al. 2015, 2017): with z = f(x) and a standard
// normal base, the negative log-likelihood of one point is
//   nll = ½‖z‖² + log(2π) − Σ_k log|det J_k|
// `gather` copies this step's batch out of the batch bank sampled at the chunk's start;
// `nll` writes per-point terms nll/B (summed by nn/loss-reduce.wgsl) and dL/dz = z/B.

struct NllUniforms {
  batch: u32,
  layers: u32,
  // Step of the bank's first batch.
  first_step: u32,
  pad0: u32,
}

const LOG_TWO_PI: f32 = 1.8378770664093453;

@group(0) @binding(0) var<uniform> u: NllUniforms;
@group(0) @binding(1) var<storage, read_write> state: TrainState;
@group(0) @binding(2) var<storage, read_write> bank: array<f32>;
@group(0) @binding(3) var<storage, read_write> x0: array<f32>;
@group(0) @binding(4) var<storage, read_write> z: array<f32>;
@group(0) @binding(5) var<storage, read_write> logdet: array<f32>;
@group(0) @binding(6) var<storage, read_write> terms: array<f32>;
@group(0) @binding(7) var<storage, read_write> grad_z: array<f32>;

fn sample_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let row = (state.step - u.first_step) * u.batch + b;
  x0[2u * b] = bank[2u * row];
  x0[2u * b + 1u] = bank[2u * row + 1u];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn nll(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let z0 = z[2u * b];
  let z1 = z[2u * b + 1u];
  var log_det = 0.0;
  for (var k = 0u; k < u.layers; k++) { log_det += logdet[k * u.batch + b]; }
  let scale = 1.0 / f32(u.batch);
  terms[b] = (0.5 * (z0 * z0 + z1 * z1) + LOG_TWO_PI - log_det) * scale;
  grad_z[2u * b] = z0 * scale;
  grad_z[2u * b + 1u] = z1 * scale;
}

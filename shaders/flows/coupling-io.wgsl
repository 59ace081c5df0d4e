// What every coupling kernel shares (shaders/flows/coupling.wgsl, spline-coupling.wgsl): the
// uniforms and the 8 bindings bound by src/models/flows/conditioned-coupling.ts.

struct CouplingUniforms {
  batch: u32,
  // Coordinate that conditions (A); the other one (T = 1 − A) is transformed.
  cond: u32,
  logdet_offset: u32,
  pad0: u32,
  // dL/dlog|det J| per sample: −1/batch for the mean negative log-likelihood.
  logdet_weight: f32,
  pad1: f32,
  pad2: f32,
  pad3: f32,
}

@group(0) @binding(0) var<uniform> u: CouplingUniforms;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
// The conditioner's outputs.
@group(0) @binding(3) var<storage, read_write> h: array<f32>;
@group(0) @binding(4) var<storage, read_write> logdet: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_y: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad_x: array<f32>;
@group(0) @binding(7) var<storage, read_write> grad_h: array<f32>;

fn sample_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

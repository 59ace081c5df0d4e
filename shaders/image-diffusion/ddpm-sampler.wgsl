// DDPM and DDIM sampling on images: the prior draws and the step update around the U-Net's
// ε̂ = U(x, t) (src/models/image-diffusion/ddpm-model.ts records them). Every step is
//   x ← m·x + w·ε̂ + σ·z,  z_i = philox_normal4((i / 4, noise_step, DDPM_STREAM, 0)), lane i mod 4
// with (m, w, σ) of diffusionSamplePlan (src/models/diffusion/plan.ts): DDPM's ancestral step
// or DDIM's (η). The prior draws are the same stream at step 0 (steps count from 1).
// One invocation per 4 values. Twin: src/models/image-diffusion/ddpm-reference.ts.

struct StepUniforms {
  values: u32,
  seed_lo: u32,
  seed_hi: u32,
  noise_step: u32,
  m: f32,
  w: f32,
  sigma: f32,
  pad: u32,
}

const DDPM_STREAM: u32 = 0x4444534du;

@group(0) @binding(0) var<uniform> u: StepUniforms;
@group(0) @binding(1) var<storage, read> eps: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

fn draws(q: u32, step: u32) -> vec4<f32> {
  return philox_normal4(vec4<u32>(q, step, DDPM_STREAM, 0u), vec2<u32>(u.seed_lo, u.seed_hi));
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn prior_noise(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  if (4u * q >= u.values) { return; }
  let z = draws(q, 0u);
  for (var j = 0u; j < 4u; j++) {
    if (4u * q + j < u.values) { x[4u * q + j] = z[j]; }
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn ddpm_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  if (4u * q >= u.values) { return; }
  var z = vec4<f32>(0.0);
  if (u.sigma > 0.0) { z = draws(q, u.noise_step); }
  for (var j = 0u; j < 4u; j++) {
    let i = 4u * q + j;
    if (i < u.values) { x[i] = u.m * x[i] + u.w * eps[i] + u.sigma * z[j]; }
  }
}

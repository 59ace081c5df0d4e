// Flow-matching sampling on images: the prior draws and the vector updates of the ODE solvers
// (src/models/image-diffusion/fm-sampler.ts records them around the U-Net's v̂ = U(x, t)).
// Twin: src/models/image-diffusion/fm-reference.ts. Interpolant x_t = (1 − t) x₀ + t ε, so the
// sampler integrates dx/dt = v from t = 1 (noise) to t = 0 (data).
//   prior_noise  x[i] = ε_i ~ N(0, 1), four per Philox block (counter (q, 0, FM_STREAM, 0))
//   combine      out = a + c · b      (an Euler step, an RK4 stage input, a copy with c = 0)
//   accumulate   out = out + c · b    (the RK4 slope sum)

struct AxpyUniforms {
  values: u32,
  seed_lo: u32,
  seed_hi: u32,
  pad0: u32,
  c: f32,
  pad1: u32,
  pad2: u32,
  pad3: u32,
}

const FM_STREAM: u32 = 0x464d4e5au;

@group(0) @binding(0) var<uniform> u: AxpyUniforms;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn prior_noise(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  if (4u * q >= u.values) { return; }
  let draws = philox_normal4(vec4<u32>(q, 0u, FM_STREAM, 0u), vec2<u32>(u.seed_lo, u.seed_hi));
  for (var j = 0u; j < 4u; j++) {
    if (4u * q + j < u.values) { out[4u * q + j] = draws[j]; }
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn combine(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.values) { return; }
  out[i] = a[i] + u.c * b[i];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.values) { return; }
  out[i] = out[i] + u.c * b[i];
}

// Flow-matching likelihood through the probability-flow ODE (src/models/image-diffusion/
// fm-likelihood.ts records these around the U-Net's forward and backward passes): Hutchinson's
// estimate of div v̂ = tr(∂v̂/∂x) = E[εᵀ (∂v̂/∂x)ᵀ ε] for Rademacher probes ε, one per batch row, the
// vector-Jacobian product g = (∂v̂/∂x)ᵀ ε coming from the U-Net's backward pass with dL/dv̂ = ε.
// Twin: src/models/image-diffusion/fm-likelihood-reference.ts.
//   probe_signs  out[i] = ±1: bit 31 of Philox word i mod 4 of block (i / 4, 0, FM_PROBE_STREAM, 0)
//   probe_dot    out[s] = out[s] + c · Σ_i a[s·dims + i] · b[s·dims + i]   (one row per invocation)

struct ProbeUniforms {
  count: u32,
  seed_lo: u32,
  seed_hi: u32,
  dims: u32,
  c: f32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

// "FMPR"
const FM_PROBE_STREAM: u32 = 0x464d5052u;

@group(0) @binding(0) var<uniform> u: ProbeUniforms;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn probe_signs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  if (4u * q >= u.count) { return; }
  let bits = philox4x32_10(vec4<u32>(q, 0u, FM_PROBE_STREAM, 0u), vec2<u32>(u.seed_lo, u.seed_hi));
  for (var j = 0u; j < 4u; j++) {
    if (4u * q + j < u.count) { out[4u * q + j] = select(1.0, -1.0, (bits[j] >> 31u) == 1u); }
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn probe_dot(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let s = flat_index(gid, groups);
  if (s >= u.count) { return; }
  let first = s * u.dims;
  var sum = 0.0;
  for (var i = 0u; i < u.dims; i++) { sum = sum + a[first + i] * b[first + i]; }
  out[s] = out[s] + u.c * sum;
}

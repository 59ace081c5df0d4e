// The forward (noising) process applied to given points at one time, for the "noised data at t"
// view: DDPM x_t = a·x₀ + s·ε with (a, s) = (√ᾱ_t, √(1 − ᾱ_t)); flow matching (a, s) = (1 − t, t).
// ε = philox_normal4((index, 0, NOISE_STREAM, 0), seed).xy. Twin: noisedSample in schedule.ts.

struct ForwardUniforms {
  count: u32,
  seed_lo: u32,
  seed_hi: u32,
  pad0: u32,
  signal: f32,
  noise: f32,
  pad1: f32,
  pad2: f32,
}

const NOISE_STREAM: u32 = 0x4e4f4953u;

@group(0) @binding(0) var<uniform> u: ForwardUniforms;
@group(0) @binding(1) var<storage, read> clean: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> noised: array<vec2<f32>>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (i >= u.count) { return; }
  let eps = philox_normal4(vec4<u32>(i, 0u, NOISE_STREAM, 0u), vec2<u32>(u.seed_lo, u.seed_hi)).xy;
  noised[i] = u.signal * clean[i] + u.noise * eps;
}

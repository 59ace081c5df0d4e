// Sinusoidal embedding of a scalar (diffusion time or noise level) concatenated after the
// sample's coordinates — the usual conditioning input of a denoiser:
//   out[b] = (x_b, sin(ω_0 t_b), …, sin(ω_{H−1} t_b), cos(ω_0 t_b), …, cos(ω_{H−1} t_b))
//   ω_k = SCALE · exp(−ln(MAX_PERIOD) · k / H),  H = FEATURES / 2   (Vaswani et al.; DDPM)
// Backward passes dL/dx through (the embedding of t has no trained parameters).
// Twin: src/nn/reference/embedding.ts.

struct EmbedUniforms {
  batch: u32,
  x_offset: u32,
  t_offset: u32,
  out_offset: u32,
}

const DIMS: u32 = {{DIMS}};
const FEATURES: u32 = {{FEATURES}};
const HALF: u32 = FEATURES / 2u;
const WIDTH: u32 = DIMS + FEATURES;
const SCALE: f32 = {{SCALE}};
const LOG_MAX_PERIOD: f32 = {{LOG_MAX_PERIOD}};

@group(0) @binding(0) var<uniform> u: EmbedUniforms;
// forward: x (batch × DIMS) and t (batch); backward: dL/d(out).
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
// forward: out (batch × WIDTH); backward: dL/dx (batch × DIMS).
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn frequency(k: u32) -> f32 {
  return SCALE * exp(-LOG_MAX_PERIOD * f32(k) / f32(HALF));
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (b >= u.batch) { return; }
  let row = u.out_offset + b * WIDTH;
  for (var d = 0u; d < DIMS; d++) { out[row + d] = x[u.x_offset + b * DIMS + d]; }
  let time = t[u.t_offset + b];
  for (var k = 0u; k < HALF; k++) {
    let angle = frequency(k) * time;
    out[row + DIMS + k] = sin(angle);
    out[row + DIMS + HALF + k] = cos(angle);
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (b >= u.batch) { return; }
  for (var d = 0u; d < DIMS; d++) { out[u.x_offset + b * DIMS + d] = x[u.out_offset + b * WIDTH + d]; }
}

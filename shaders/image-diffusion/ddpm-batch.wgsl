// One DDPM training batch on images, from the batch bank the image sampler filled at the chunk's
// start (x₀ scaled to [−1, 1]), keyed by Philox (seed, step = the train state's step):
//   t_b = ⌊bits.x · T / 2³²⌋, bits = philox4x32_10((b, step, DDPM_TRAIN_STREAM, 0))   per sample b
//   ε_i = philox_normal4((i / 4, step, DDPM_TRAIN_STREAM, 1)), lane i mod 4            per value i
//   x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε (the U-Net's input), target ε, the network's time t (an index).
// One invocation per value. Twin: ddpmBatchTwin in src/models/image-diffusion/ddpm-reference.ts.

struct BatchUniforms {
  batch: u32,
  dims: u32,
  first_step: u32,
  seed_lo: u32,
  seed_hi: u32,
  timesteps: u32,
  pad1: u32,
  pad2: u32,
}

const DDPM_TRAIN_STREAM: u32 = 0x44445452u;

@group(0) @binding(0) var<uniform> u: BatchUniforms;
@group(0) @binding(1) var<storage, read> state: TrainState;
@group(0) @binding(2) var<storage, read> bank: array<f32>;
@group(0) @binding(3) var<storage, read_write> noised: array<f32>;
@group(0) @binding(4) var<storage, read_write> noise: array<f32>;
@group(0) @binding(5) var<storage, read_write> net_time: array<f32>;
// (√ᾱ_t, √(1 − ᾱ_t)) for t = 0 … T−1.
@group(0) @binding(6) var<storage, read> table: array<vec2<f32>>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  let values = u.batch * u.dims;
  if (i >= values) { return; }
  let key = vec2<u32>(u.seed_lo, u.seed_hi);
  let b = i / u.dims;
  let bits = philox4x32_10(vec4<u32>(b, state.step, DDPM_TRAIN_STREAM, 0u), key);
  let t = philox_mulhilo(bits.x, u.timesteps).x;
  let c = table[t];
  let eps = philox_normal4(vec4<u32>(i / 4u, state.step, DDPM_TRAIN_STREAM, 1u), key)[i % 4u];
  let x0 = bank[(state.step - u.first_step) * values + i];
  noised[i] = c.x * x0 + c.y * eps;
  noise[i] = eps;
  if (i % u.dims == 0u) { net_time[b] = f32(t); }
}

// One DDPM training batch of images, made on the GPU (the U-Net denoiser's task, #15/#16),
// keyed by Philox (seed, step = the train state's step):
//   x₀ = 2·u − 1, u ~ U(0, 1) per pixel, counter (i / 4, step, IMAGE_STREAM, 0), lane i mod 4
//        (the conv task's synthetic images, scaled to [−1, 1] as diffusion models expect)
//   t  = ⌊bits.x · T / 2³²⌋, bits = philox4x32_10((b, step, TRAIN_STREAM, 0))   (per sample b)
//   ε  = philox_normal4((i / 4, step, TRAIN_STREAM, 1)), lane i mod 4
//   x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε;  the target is ε, the network's time input is t.
// One invocation per 4 values of a sample (C·H·W is a multiple of 4: H and W are even).
// Twin: imageDiffusionBatchTwin in src/nn/conv/unet-denoiser-task.ts.

struct BatchUniforms {
  batch: u32,
  seed_lo: u32,
  seed_hi: u32,
  timesteps: u32,
}

const VALUES: u32 = {{VALUES}};
const IMAGE_STREAM: u32 = 0x494d4147u;
const TRAIN_STREAM: u32 = 0x54524e44u;

@group(0) @binding(0) var<uniform> u: BatchUniforms;
@group(0) @binding(1) var<storage, read_write> state: TrainState;
// (√ᾱ_t, √(1 − ᾱ_t)) for t = 0 … T−1.
@group(0) @binding(2) var<storage, read> table: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> noised: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> noise: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> net_time: array<f32>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (q * 4u >= u.batch * VALUES) { return; }
  let step = state.step;
  let key = vec2<u32>(u.seed_lo, u.seed_hi);
  let b = (q * 4u) / VALUES;
  let bits = philox4x32_10(vec4<u32>(b, step, TRAIN_STREAM, 0u), key);
  let t = philox_mulhilo(bits.x, u.timesteps).x;
  let c = table[t];
  let x0 = 2.0 * philox_uniform4(vec4<u32>(q, step, IMAGE_STREAM, 0u), key) - 1.0;
  let eps = philox_normal4(vec4<u32>(q, step, TRAIN_STREAM, 1u), key);
  noised[q] = c.x * x0 + c.y * eps;
  noise[q] = eps;
  if ((q * 4u) % VALUES == 0u) { net_time[b] = f32(t); }
}

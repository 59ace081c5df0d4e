// One flow-matching training batch on images, from the batch bank the image sampler filled at
// the chunk's start (x₀ scaled to [−1, 1]), keyed by Philox (seed, step = the train state's step):
//   t_b = unit(bits.x), bits = philox4x32_10((b, step, FM_TRAIN_STREAM, 0))      per sample b
//   ε_i = philox_normal4((i / 4, step, FM_TRAIN_STREAM, 1)), lane i mod 4         per value i
//   x_t = (1 − t) x₀ + t ε (the U-Net's input), target v = ε − x₀, the network's time t.
// One invocation per value. Twin: fmBatchTwin in src/models/image-diffusion/fm-reference.ts.

struct BatchUniforms {
  batch: u32,
  dims: u32,
  first_step: u32,
  seed_lo: u32,
  seed_hi: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

const FM_TRAIN_STREAM: u32 = 0x464d5452u;

@group(0) @binding(0) var<uniform> u: BatchUniforms;
@group(0) @binding(1) var<storage, read> state: TrainState;
@group(0) @binding(2) var<storage, read> bank: array<f32>;
@group(0) @binding(3) var<storage, read_write> noised: array<f32>;
@group(0) @binding(4) var<storage, read_write> velocity: array<f32>;
@group(0) @binding(5) var<storage, read_write> net_time: array<f32>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  let values = u.batch * u.dims;
  if (i >= values) { return; }
  let key = vec2<u32>(u.seed_lo, u.seed_hi);
  let b = i / u.dims;
  let t = philox_unit(philox4x32_10(vec4<u32>(b, state.step, FM_TRAIN_STREAM, 0u), key).x);
  let eps = philox_normal4(vec4<u32>(i / 4u, state.step, FM_TRAIN_STREAM, 1u), key)[i % 4u];
  let x0 = bank[(state.step - u.first_step) * values + i];
  noised[i] = (1.0 - t) * x0 + t * eps;
  velocity[i] = eps - x0;
  if (i % u.dims == 0u) { net_time[b] = t; }
}

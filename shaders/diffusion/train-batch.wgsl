// One training batch of a diffusion (DDPM) or flow-matching model, made on the GPU from the
// data bank, keyed by Philox (seed, step = the train state's step, index b, TRAIN_STREAM):
//   bits = philox4x32_10((b, step, TRAIN_STREAM, 0)),  ε = philox_normal4((b, step, TRAIN_STREAM, 1)).xy
//   DDPM:  t = ⌊bits.x · T / 2³²⌋ ∈ {0 … T−1},  x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε   (q(x_t | x₀))
//          target ε (KIND 0) or v = √ᾱ_t ε − √(1 − ᾱ_t) x₀ (KIND 1); network time t
//   flow:  t = unit(bits.y) ∈ (0, 1),  x_t = (1 − t) x₀ + t ε,  target ε − x₀ (KIND 2)
// x₀ is batch (step − first_step) of the bank that the chunk's first dispatch filled.
// NOISE 1: ε is read from the same slot of the noise bank instead (minibatch-OT pairing permuted
// it there, or reflow put the pair's z there); t is drawn as above either way.
// Twin: trainingBatchTwin in src/models/diffusion/training.ts.

struct BatchUniforms {
  batch: u32,
  // Step of the bank's first batch (written before each chunk).
  first_step: u32,
  seed_lo: u32,
  seed_hi: u32,
  timesteps: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

const KIND: u32 = {{KIND}};
const NOISE: u32 = {{NOISE}};
const TRAIN_STREAM: u32 = 0x54524e44u;

@group(0) @binding(0) var<uniform> u: BatchUniforms;
@group(0) @binding(1) var<storage, read_write> state: TrainState;
@group(0) @binding(2) var<storage, read> bank: array<vec2<f32>>;
// (√ᾱ_t, √(1 − ᾱ_t)) for t = 0 … T−1 (unused by flows).
@group(0) @binding(3) var<storage, read> table: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> noised: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> net_time: array<f32>;
@group(0) @binding(6) var<storage, read_write> targets: array<vec2<f32>>;
// NOISE 1 only (a placeholder otherwise).
@group(0) @binding(7) var<storage, read> noise_bank: array<vec2<f32>>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (b >= u.batch) { return; }
  let step = state.step;
  let key = vec2<u32>(u.seed_lo, u.seed_hi);
  let slot = (step - u.first_step) * u.batch + b;
  let x0 = bank[slot];
  let bits = philox4x32_10(vec4<u32>(b, step, TRAIN_STREAM, 0u), key);
  var eps: vec2<f32>;
  if (NOISE == 1u) {
    eps = noise_bank[slot];
  } else {
    eps = philox_normal4(vec4<u32>(b, step, TRAIN_STREAM, 1u), key).xy;
  }
  if (KIND == 2u) {
    let t = philox_unit(bits.y);
    noised[b] = (1.0 - t) * x0 + t * eps;
    net_time[b] = t;
    targets[b] = eps - x0;
  } else {
    let t = philox_mulhilo(bits.x, u.timesteps).x;
    let c = table[t];
    noised[b] = c.x * x0 + c.y * eps;
    net_time[b] = f32(t);
    targets[b] = select(eps, c.x * eps - c.y * x0, KIND == 1u);
  }
}

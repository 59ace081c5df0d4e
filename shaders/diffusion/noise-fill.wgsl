// Batches of standard normal points from Philox: point b of batch s is
//   philox_normal4((offset + b, first_step + s, STREAM, word), seed).xy
// — the training noise of step first_step + s (TRAIN_STREAM, word 1, as train-batch.wgsl draws
// it) or a sampler's initial noise (SAMPLER_STREAM, step 0, word 0, as solver-stage.wgsl's
// init_noise draws it). The same WGSL function on the same device: bit-identical values.

struct FillUniforms {
  count: u32,
  batches: u32,
  first_step: u32,
  seed_lo: u32,
  seed_hi: u32,
  stream: u32,
  word: u32,
  offset: u32,
}

@group(0) @binding(0) var<uniform> u: FillUniforms;
@group(0) @binding(1) var<storage, read_write> out: array<vec2<f32>>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (i >= u.count * u.batches) { return; }
  let s = i / u.count;
  let b = i % u.count;
  let counter = vec4<u32>(u.offset + b, u.first_step + s, u.stream, u.word);
  out[i] = philox_normal4(counter, vec2<u32>(u.seed_lo, u.seed_hi)).xy;
}

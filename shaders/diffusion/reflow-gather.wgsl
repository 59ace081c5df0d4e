// Reflow training batches: point b of batch s (step first_step + s) is the pair
//   k = ⌊bits.x · pairs / 2³²⌋,  bits = philox4x32_10((b, first_step + s, REFLOW_STREAM, 0), seed)
// of the pair bank (x = the teacher's ODE image of z, z its noise), drawn with replacement:
// x goes to the x₀ bank, z to the noise bank. Twin: reflowBatchIndices in src/models/diffusion/reflow.ts.

struct GatherUniforms {
  count: u32,
  batches: u32,
  first_step: u32,
  seed_lo: u32,
  seed_hi: u32,
  pairs: u32,
  pad0: u32,
  pad1: u32,
}

const REFLOW_STREAM: u32 = 0x52464c57u;

@group(0) @binding(0) var<uniform> u: GatherUniforms;
@group(0) @binding(1) var<storage, read> pair_x: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> pair_z: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> x0_bank: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> noise_bank: array<vec2<f32>>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (i >= u.count * u.batches) { return; }
  let s = i / u.count;
  let b = i % u.count;
  let bits = philox4x32_10(vec4<u32>(b, u.first_step + s, REFLOW_STREAM, 0u), vec2<u32>(u.seed_lo, u.seed_hi));
  let k = philox_mulhilo(bits.x, u.pairs).x;
  x0_bank[i] = pair_x[k];
  noise_bank[i] = pair_z[k];
}

// The class labels of one training batch of a class-conditional image diffusion model, from the
// batch bank's items (the image sampler's (image, flip, label, log|det|) per drawn image), with
// classifier-free guidance's label dropout keyed by Philox (seed, step = the train state's step):
//   label_b = K (the null class)  if unit(philox4x32_10((b, step, CFG_STREAM, 0)).x) < p_uncond
//           = items[b].label      otherwise
// One invocation per sample. Twin: cfgLabelsTwin in src/models/image-diffusion/guidance-reference.ts.

struct LabelUniforms {
  batch: u32,
  first_step: u32,
  seed_lo: u32,
  seed_hi: u32,
  classes: u32,
  p_uncond: f32,
  pad0: u32,
  pad1: u32,
}

const CFG_STREAM: u32 = 0x43464744u;

@group(0) @binding(0) var<uniform> u: LabelUniforms;
@group(0) @binding(1) var<storage, read> state: TrainState;
@group(0) @binding(2) var<storage, read> items: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> labels: array<u32>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (b >= u.batch) { return; }
  let key = vec2<u32>(u.seed_lo, u.seed_hi);
  let draw = philox_unit(philox4x32_10(vec4<u32>(b, state.step, CFG_STREAM, 0u), key).x);
  let item = items[(state.step - u.first_step) * u.batch + b];
  labels[b] = select(min(item.z, u.classes), u.classes, draw < u.p_uncond);
}

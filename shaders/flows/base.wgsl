// The flow's ends, for inference. The model works in normalised coordinates
// x_model = (x_data − shift) / scale (the dataset's standardisation), so:
//   to_model / to_data   apply the affine map (to_data also sums −log|det| for trace views)
//   sample_base          z ~ N(0, I) from Philox (seed, index), written in model coordinates
//   log_prob             log p_data(x) = log N(z; 0, I) + Σ_k log|det J_k| − log(scale₀·scale₁)

struct BaseUniforms {
  count: u32,
  layers: u32,
  seed_lo: u32,
  seed_hi: u32,
  // Philox index of this chunk's first point (sampling in chunks continues the sequence).
  index_offset: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
  shift: vec2<f32>,
  scale: vec2<f32>,
}

const LOG_TWO_PI: f32 = 1.8378770664093453;
const BASE_STREAM: u32 = 0x464C4F57u; // "FLOW"

@group(0) @binding(0) var<uniform> u: BaseUniforms;
@group(0) @binding(1) var<storage, read_write> points_in: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> points_out: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> logdet: array<f32>;
@group(0) @binding(4) var<storage, read_write> log_p: array<f32>;

fn point_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn to_model(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = point_index(gid, groups);
  if (i >= u.count) { return; }
  points_out[i] = (points_in[i] - u.shift) / u.scale;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn to_data(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = point_index(gid, groups);
  if (i >= u.count) { return; }
  points_out[i] = points_in[i] * u.scale + u.shift;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn sample_base(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = point_index(gid, groups);
  if (i >= u.count) { return; }
  let n = philox_normal4(vec4<u32>(u.index_offset + i, 0u, BASE_STREAM, 0u), vec2<u32>(u.seed_lo, u.seed_hi));
  points_out[i] = n.xy;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn log_prob(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = point_index(gid, groups);
  if (i >= u.count) { return; }
  let z = points_in[i];
  var log_det = 0.0;
  for (var k = 0u; k < u.layers; k++) { log_det += logdet[k * u.count + i]; }
  log_p[i] = -0.5 * dot(z, z) - LOG_TWO_PI + log_det - log(u.scale.x * u.scale.y);
}

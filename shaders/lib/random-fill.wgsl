// Fills a buffer with Philox random numbers: invocation i writes out[4i .. 4i+3] from the
// counter (i, step, stream, 0). Entry points: fill_bits (raw u32), fill_uniform, fill_normal.

struct FillParams {
  seed_lo: u32,
  seed_hi: u32,
  stream: u32,
  step: u32,
  // Number of 4-value blocks to write.
  blocks: u32,
}

@group(0) @binding(0) var<uniform> params: FillParams;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<u32>>;

fn block_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

fn block_counter(i: u32) -> vec4<u32> {
  return vec4<u32>(i, params.step, params.stream, 0u);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn fill_bits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = block_index(gid, groups);
  if (i >= params.blocks) { return; }
  out[i] = philox4x32_10(block_counter(i), vec2<u32>(params.seed_lo, params.seed_hi));
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn fill_uniform(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = block_index(gid, groups);
  if (i >= params.blocks) { return; }
  out[i] = bitcast<vec4<u32>>(philox_uniform4(block_counter(i), vec2<u32>(params.seed_lo, params.seed_hi)));
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn fill_normal(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = block_index(gid, groups);
  if (i >= params.blocks) { return; }
  out[i] = bitcast<vec4<u32>>(philox_normal4(block_counter(i), vec2<u32>(params.seed_lo, params.seed_hi)));
}

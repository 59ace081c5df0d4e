// out[i] = in[i] * SCALE: the smallest useful kernel, used to exercise the GPU core
// (constants, caching, dispatch folding) in tests.

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (i >= arrayLength(&input)) { return; }
  output[i] = input[i] * {{SCALE}};
}

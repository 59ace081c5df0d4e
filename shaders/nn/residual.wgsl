// The skip join of residual blocks and U-Nets (src/nn/conv/layer-steps.ts), both ways, over
// `count` floats of NCHW maps:
//   add   dst = a + b;  forward: out = skip(x) + h;  backward: dL/dx = main path + skip path
// (The activation after each GroupNorm is fused into the norm: shaders/nn/norm.wgsl.)
// One invocation per element: nothing is reduced, so results are exact and order-free.
// Twin: src/nn/reference/residual.ts.

struct ResidualUniforms {
  count: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> u: ResidualUniforms;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.count) { return; }
  dst[i] = a[i] + b[i];
}

// Classifier-free guidance (Ho & Salimans 2022) of the U-Net's two outputs on the same input:
//   out = u + w · (c − u),   u = U(x, t, ∅) (the null class), c = U(x, t, class)
// so w = 0 is the unconditional model exactly (u + 0·(c − u) = u in float32), w = 1 the
// conditional one, w > 1 pushes further from the unconditional prediction. One invocation per
// value. Twin: guidedOutput in src/models/image-diffusion/guidance-reference.ts.

struct GuidanceUniforms {
  values: u32,
  w: f32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> u: GuidanceUniforms;
@group(0) @binding(1) var<storage, read> conditional: array<f32>;
@group(0) @binding(2) var<storage, read> unconditional: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (i >= u.values) { return; }
  let base = unconditional[i];
  out[i] = base + u.w * (conditional[i] - base);
}

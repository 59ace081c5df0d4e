// Adding a per-sample, per-channel vector (a time embedding after its projection) to NCHW
// feature maps, forward and backward side by side:
//   forward   y[n, c, p] = x[n, c, p] + e[n, c]          (e: batch × C, at emb_offset)
//   backward  dL/de[n, c] = Σ_p dL/dy[n, c, p], p in order (one invocation per (n, c));
//             dL/dx = dL/dy needs no kernel: the caller passes dL/dy on as dL/dx.
// Twin: src/nn/reference/image.ts.

struct TimeAddUniforms {
  batch: u32,
  src_offset: u32,
  emb_offset: u32,
  dst_offset: u32,
}

const C: u32 = {{C}};
const PIXELS: u32 = {{PIXELS}};

@group(0) @binding(0) var<uniform> u: TimeAddUniforms;
// forward: x; backward: dL/dy.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> emb: array<f32>;
// forward: y; backward: dL/de.
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * C * PIXELS) { return; }
  dst[u.dst_offset + i] = src[u.src_offset + i] + emb[u.emb_offset + i / PIXELS];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let plane = flat_index(gid, groups);
  if (plane >= u.batch * C) { return; }
  var sum = 0.0;
  for (var p = 0u; p < PIXELS; p++) { sum += src[u.src_offset + plane * PIXELS + p]; }
  dst[u.dst_offset + plane] = sum;
}

// Resolution changes of NCHW batches by 2 × 2 blocks, forward and backward side by side.
// The constants give the LARGE side: C channels of H × W (H, W even); the small side is
// 4C × H/2 × W/2 (squeeze) or C × H/2 × W/2 (pooling). One invocation per output element, a
// gather (no atomics).
//   squeeze     large → small: y[n, 4c + 2·dy + dx, i, j] = x[n, c, 2i + dy, 2j + dx] (Glow's
//               order); its backward is unsqueeze of dL/dy, and the other way round.
//   unsqueeze   small → large: the inverse permutation.
//   pool_sum    large → C × H/2 × W/2: y = SCALE · Σ of each 2 × 2 block. Average pooling is
//               SCALE = 1/4; with SCALE = 1 it is the backward of nearest upsampling.
//   repeat      C × H/2 × W/2 → large: y[n, c, y, x] = SCALE · x[n, c, y/2, x/2]. Nearest 2×
//               upsampling is SCALE = 1; with SCALE = 1/4 it is the backward of average pooling.
// Twin: src/nn/reference/image.ts.

struct ResampleUniforms {
  batch: u32,
  src_offset: u32,
  dst_offset: u32,
  pad0: u32,
}

const C: u32 = {{C}};
const H: u32 = {{H}};
const W: u32 = {{W}};
const SCALE: f32 = {{SCALE}};
const H2: u32 = H / 2u;
const W2: u32 = W / 2u;
const LARGE: u32 = C * H * W;

@group(0) @binding(0) var<uniform> u: ResampleUniforms;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

// Element (n, c, y, x) of a large tensor.
fn large_index(n: u32, c: u32, y: u32, x: u32) -> u32 {
  return n * LARGE + (c * H + y) * W + x;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn squeeze(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * LARGE) { return; }
  let j = i % W2;
  let r = (i / W2) % H2;
  let c4 = (i / (W2 * H2)) % (4u * C);
  let n = i / LARGE;
  let q = c4 % 4u;
  dst[u.dst_offset + i] = src[u.src_offset + large_index(n, c4 / 4u, 2u * r + q / 2u, 2u * j + q % 2u)];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn unsqueeze(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * LARGE) { return; }
  let x = i % W;
  let y = (i / W) % H;
  let c = (i / (W * H)) % C;
  let n = i / LARGE;
  let c4 = 4u * c + 2u * (y % 2u) + x % 2u;
  dst[u.dst_offset + i] = src[u.src_offset + n * LARGE + (c4 * H2 + y / 2u) * W2 + x / 2u];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn pool_sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * C * H2 * W2) { return; }
  let j = i % W2;
  let r = (i / W2) % H2;
  let c = (i / (W2 * H2)) % C;
  let n = i / (C * H2 * W2);
  let top = u.src_offset + large_index(n, c, 2u * r, 2u * j);
  // Fixed order: row by row, left to right.
  let sum = (src[top] + src[top + 1u]) + (src[top + W] + src[top + W + 1u]);
  dst[u.dst_offset + i] = SCALE * sum;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn repeat(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * LARGE) { return; }
  let x = i % W;
  let y = (i / W) % H;
  let c = (i / (W * H)) % C;
  let n = i / LARGE;
  dst[u.dst_offset + i] = SCALE * src[u.src_offset + ((n * C + c) * H2 + y / 2u) * W2 + x / 2u];
}

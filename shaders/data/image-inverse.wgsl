// The inverse of image pre-processing (image-preprocess.wgsl): z → 8-bit pixels,
// x = clamp(⌊256 y⌋, 0, 255). One invocation per output word of 4 pixels (byte k of word j is
// pixel 4j + k), so no two invocations write the same word. Twin: src/data/images/preprocess.ts.

struct InverseParams {
  // Pixels to convert, transform, unused ×2.
  shape: vec4<u32>,
  // α of the logit transform, unused ×3.
  real: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: InverseParams;
@group(0) @binding(1) var<storage, read> z_in: array<f32>;
@group(0) @binding(2) var<storage, read_write> bytes_out: array<u32>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn to_bytes(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let j = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  let total = params.shape.x;
  if (4u * j >= total) { return; }
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    let p = 4u * j + k;
    if (p < total) {
      word |= image_inverse(z_in[p], params.shape.y, params.real.x) << (8u * k);
    }
  }
  bytes_out[j] = word;
}

// Nearest training image of each query image (the View cell's "is it memorising?" view):
// one workgroup per query; its invocations scan the training images i = lid, lid + W, … in
// ascending order keeping the smallest squared L2 distance (strictly smaller: the lowest index
// wins a tie), then reduce (distance, index) pairs in shared memory, ties again to the lower
// index. Training pixels are 8-bit, packed four to a u32, read at their bins' centres
// (v + ½) / 256 — the intensity a sample of that pixel shows. Twin: nearestImagesCpu
// (src/lab/image-nearest.ts).

struct Uniforms {
  // Values per image (C·H·W).
  dims: u32,
  // Training images.
  count: u32,
  // Query images.
  queries: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> u: Uniforms;
// queries × dims intensities.
@group(0) @binding(1) var<storage, read> query: array<f32>;
// count × dims bytes, packed little-endian four to a word.
@group(0) @binding(2) var<storage, read> pixels: array<u32>;
// Per query: (index, bitcast squared distance).
@group(0) @binding(3) var<storage, read_write> result: array<u32>;

const W: u32 = {{WORKGROUP_SIZE}}u;

var<workgroup> best_distance: array<f32, W>;
var<workgroup> best_index: array<u32, W>;

fn pixel(at: u32) -> f32 {
  let byte = (pixels[at / 4u] >> (8u * (at % 4u))) & 0xffu;
  return (f32(byte) + 0.5) / 256.0;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn nearest(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let q = group.x;
  var distance = 3.0e38;
  var index = 0xffffffffu;
  if (q < u.queries) {
    let from_query = q * u.dims;
    for (var i = lid; i < u.count; i += W) {
      let from_image = i * u.dims;
      var sum = 0.0;
      for (var d = 0u; d < u.dims; d++) {
        let e = query[from_query + d] - pixel(from_image + d);
        sum += e * e;
      }
      if (sum < distance) {
        distance = sum;
        index = i;
      }
    }
  }
  best_distance[lid] = distance;
  best_index[lid] = index;
  workgroupBarrier();
  for (var stride = W / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      let other_distance = best_distance[lid + stride];
      let other_index = best_index[lid + stride];
      if (other_distance < best_distance[lid] ||
          (other_distance == best_distance[lid] && other_index < best_index[lid])) {
        best_distance[lid] = other_distance;
        best_index[lid] = other_index;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u && q < u.queries) {
    result[2u * q] = best_index[0];
    result[2u * q + 1u] = bitcast<u32>(best_distance[0]);
  }
}

// Draws training batches of images on the GPU from an image set already in GPU memory, with
// pre-processing (image-preprocess.wgsl). Item i of the dispatch is item b = i mod count of the
// batch at step step0 + ⌊i / count⌋; its random numbers (twin: src/data/images/draw.ts):
//   B = philox4x32_10((b, step, stream, 0), key)
//   image = high word of B.x · N (uniform in [0, N), exact), or first + i in sequential order
//   flip  = B.y ≥ 2^31 when flips are on (never in sequential order)
//   noise of output pixel p: word p mod 4 of philox4x32_10((b, step, stream, 1 + ⌊p / 4⌋), key)
// A flip mirrors each row: output pixel (c, y, x) reads source pixel (c, y, W − 1 − x).
// Entry points: draw_pixels (one invocation per output pixel, writes z) and draw_items (one per
// item, writes (image, flip, label, log|det| bits), the log-det summed over pixels in order).

struct DrawParams {
  // Philox key (seed low word, high word), stream, step of the first batch.
  rng: vec4<u32>,
  // Items per batch, batches, images in the set N, values per image D = C·H·W.
  shape: vec4<u32>,
  // Row width W, transform (see image-preprocess.wgsl), dequantize (0/1), flips (0/1).
  mode: vec4<u32>,
  // Sequential order (0/1), its first image, first output item, unused.
  order: vec4<u32>,
  // α of the logit transform, unused ×3.
  real: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: DrawParams;
// The set's pixels, 4 per word (byte k of word j is pixel 4j + k), images one after another.
@group(0) @binding(1) var<storage, read> pixels: array<u32>;
// The set's labels, 4 per word.
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> z_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> items_out: array<vec4<u32>>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

fn byte_at(words_index: u32) -> u32 {
  return (pixels[words_index / 4u] >> (8u * (words_index % 4u))) & 0xFFu;
}

struct Item {
  image: u32,
  flip: bool,
  b: u32,
  step: u32,
}

fn item_of(i: u32) -> Item {
  let count = params.shape.x;
  var item: Item;
  item.b = i % count;
  item.step = params.rng.w + i / count;
  if (params.order.x != 0u) {
    item.image = (params.order.y + i) % params.shape.z;
    item.flip = false;
    return item;
  }
  let bits = philox4x32_10(vec4<u32>(item.b, item.step, params.rng.z, 0u), params.rng.xy);
  item.image = philox_mulhilo(bits.x, params.shape.z).x;
  item.flip = params.mode.w != 0u && bits.y >= 0x80000000u;
  return item;
}

// v = x + u of output pixel p of an item.
fn pixel_value(item: Item, p: u32) -> f32 {
  let width = params.mode.x;
  var source = p;
  if (item.flip) {
    let x = p % width;
    source = p - x + (width - 1u - x);
  }
  let x = f32(byte_at(item.image * params.shape.w + source));
  if (params.mode.z == 0u) { return x + 0.5; }
  let words = philox4x32_10(vec4<u32>(item.b, item.step, params.rng.z, 1u + p / 4u), params.rng.xy);
  return x + image_noise(words[p % 4u]);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn draw_pixels(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let j = flat_index(gid, groups);
  let dims = params.shape.w;
  if (j >= params.shape.x * params.shape.y * dims) { return; }
  let i = j / dims;
  let v = pixel_value(item_of(i), j % dims);
  z_out[(params.order.z + i) * dims + j % dims] = image_forward(v, params.mode.y, params.real.x);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn draw_items(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.shape.x * params.shape.y) { return; }
  let item = item_of(i);
  var log_det = 0.0;
  for (var p = 0u; p < params.shape.w; p++) {
    log_det += image_log_det(pixel_value(item, p), params.mode.y, params.real.x);
  }
  let label = (labels[item.image / 4u] >> (8u * (item.image % 4u))) & 0xFFu;
  items_out[params.order.z + i] = vec4<u32>(item.image, select(0u, 1u, item.flip), label, bitcast<u32>(log_det));
}

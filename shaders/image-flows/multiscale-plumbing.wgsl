// The bookkeeping of the multi-scale image flows: strided copies (factor-out of channels into the
// latents and back, the last map into z), each image's log|det| accumulator, and the log|det|
// terms that depend on parameters only (ActNorm, the 1 × 1 convolution: PIXELS · Σ logs per image)
// with their gradients. One invocation per output value or image: no atomics.
// Twin: src/models/image-flows/multiscale-reference.ts.

struct PlumbingUniforms {
  batch: u32,
  // copy: values per image; log_det_params: logs count.
  count: u32,
  src_stride: u32,
  src_offset: u32,
  dst_stride: u32,
  dst_offset: u32,
  param_offset: u32,
  // log_det_params: PIXELS; log_det_params_grad: PIXELS · batch · dL/dlog|det|.
  factor: f32,
}

@group(0) @binding(0) var<uniform> u: PlumbingUniforms;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

// dst[b · dst_stride + dst_offset + j] = src[b · src_stride + src_offset + j], j < count.
// log|det| initialisation is the case count = 1 (the pre-processing's log-det of each image).
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * u.count) { return; }
  let b = i / u.count;
  let j = i % u.count;
  dst[b * u.dst_stride + u.dst_offset + j] = src[b * u.src_stride + u.src_offset + j];
}

// One invocation per image: log|det| += factor · Σ params[param_offset + c], c < count.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn log_det_params(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = flat_index(gid, groups);
  if (b >= u.batch) { return; }
  var sum = 0.0;
  for (var c = 0u; c < u.count; c++) { sum += src[u.param_offset + c]; }
  dst[b] += u.factor * sum;
}

// One invocation per log-scale: its gradient += factor (the log|det| term of the loss).
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn log_det_params_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let c = flat_index(gid, groups);
  if (c >= u.count) { return; }
  dst[u.param_offset + c] += u.factor;
}

// The affine coupling of the multi-scale image flows (RealNVP, Glow) on NCHW batches of C × H × W
// maps, forward, inverse and backward side by side. The conditioner (two 3 × 3 convs,
// shaders/nn/conv.wgsl) maps the conditioning part to `out`: OUT_HALF raw log-scales r, then
// OUT_HALF shifts t, per pixel. Transformed value x_b with slot j: y_b = x_b · exp(tanh r_j) + t_j.
//   CHANNEL_MASK 0 (checkerboard): (c, y, x) conditions when (y + x + PARITY) is even, else it is
//     transformed with slot c; N = OUT_HALF = C.
//   CHANNEL_MASK 1 (channel halves): channels [FROM, FROM + N) condition, [TO, TO + N) are
//     transformed (slot c − TO); N = OUT_HALF = C / 2, PARITY 0: FROM = 0, TO = N.
// tanh bounds each log-scale to (−1, 1). log|det| of an image = Σ over its transformed values of
// tanh r. Every reduction runs in one invocation in a fixed order: no atomics.
// Twin: src/models/image-flows/flow-layers-reference.ts.

struct CouplingUniforms {
  batch: u32,
  pad0: u32,
  pad1: u32,
  // dL/d(log|det| of each image): −1 / (D ln 2 · batch) in training.
  grad_log_det: f32,
}

const C: u32 = {{C}};
const H: u32 = {{H}};
const W: u32 = {{W}};
const PIXELS: u32 = H * W;
const CHANNEL_MASK: u32 = {{CHANNEL_MASK}};
const PARITY: u32 = {{PARITY}};
const N: u32 = {{N}};
const OUT_HALF: u32 = N;
const FROM: u32 = select(N, 0u, PARITY == 0u);
const TO: u32 = select(0u, N, PARITY == 0u);

@group(0) @binding(0) var<uniform> u: CouplingUniforms;
// gather, forward, backward_out: x; inverse: y; backward_input: dL/dy.
@group(0) @binding(1) var<storage, read> a: array<f32>;
// The conditioner's output (r, then t); gather: unused (a again).
@group(0) @binding(2) var<storage, read> out: array<f32>;
// backward_out: dL/dy; backward_input: dL/d(conditioner input); else unused (a again).
@group(0) @binding(3) var<storage, read> c_in: array<f32>;
// gather: the conditioner input; forward: y; inverse: x; log_det: += per image;
// backward_out: dL/dout; backward_input: dL/dx.
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

fn is_conditioning_square(p: u32) -> bool {
  return ((p / W + p % W + PARITY) & 1u) == 0u;
}

// The slot of channel c at pixel p if it is transformed, else −1.
fn target_slot(c: u32, p: u32) -> i32 {
  if (CHANNEL_MASK == 0u) {
    return select(i32(c), -1, is_conditioning_square(p));
  }
  if (c >= TO && c < TO + N) { return i32(c - TO); }
  return -1;
}

// The conditioner input channel of channel c at pixel p if it conditions, else −1.
fn condition_slot(c: u32, p: u32) -> i32 {
  if (CHANNEL_MASK == 0u) {
    return select(-1, i32(c), is_conditioning_square(p));
  }
  if (c >= FROM && c < FROM + N) { return i32(c - FROM); }
  return -1;
}

fn out_at(b: u32, channel: u32, p: u32) -> u32 {
  return (b * 2u * OUT_HALF + channel) * PIXELS + p;
}

// One invocation per conditioner input value: the conditioning part, masked squares zero.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * N * PIXELS) { return; }
  let p = i % PIXELS;
  let k = (i / PIXELS) % N;
  let b = i / (N * PIXELS);
  if (CHANNEL_MASK == 0u) {
    dst[i] = select(0.0, a[i], is_conditioning_square(p));
  } else {
    dst[i] = a[(b * C + FROM + k) * PIXELS + p];
  }
}

// One invocation per value: y = x · exp(tanh r) + t where transformed, else y = x.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * C * PIXELS) { return; }
  let p = i % PIXELS;
  let c = (i / PIXELS) % C;
  let b = i / (C * PIXELS);
  let slot = target_slot(c, p);
  if (slot < 0) {
    dst[i] = a[i];
    return;
  }
  let s = tanh(out[out_at(b, u32(slot), p)]);
  dst[i] = a[i] * exp(s) + out[out_at(b, OUT_HALF + u32(slot), p)];
}

// One invocation per value: x = (y − t) · exp(−tanh r) where transformed, else x = y.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn inverse(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * C * PIXELS) { return; }
  let p = i % PIXELS;
  let c = (i / PIXELS) % C;
  let b = i / (C * PIXELS);
  let slot = target_slot(c, p);
  if (slot < 0) {
    dst[i] = a[i];
    return;
  }
  let s = tanh(out[out_at(b, u32(slot), p)]);
  dst[i] = (a[i] - out[out_at(b, OUT_HALF + u32(slot), p)]) * exp(-s);
}

// One invocation per image: log|det| += Σ tanh r over the transformed values, in order.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn log_det(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = flat_index(gid, groups);
  if (b >= u.batch) { return; }
  var sum = 0.0;
  for (var c = 0u; c < C; c++) {
    for (var p = 0u; p < PIXELS; p++) {
      let slot = target_slot(c, p);
      if (slot >= 0) { sum += tanh(out[out_at(b, u32(slot), p)]); }
    }
  }
  dst[b] += sum;
}

// One invocation per conditioner output value: dL/dt = dL/dy_b; dL/dr = (dL/dy_b · x_b · e^s +
// dL/dlog|det|) · (1 − s²) with s = tanh r; 0 where no value is transformed.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_out(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * 2u * OUT_HALF * PIXELS) { return; }
  let p = i % PIXELS;
  let oc = (i / PIXELS) % (2u * OUT_HALF);
  let b = i / (2u * OUT_HALF * PIXELS);
  let slot = oc % OUT_HALF;
  var c = slot;
  if (CHANNEL_MASK == 1u) { c = TO + slot; }
  if (target_slot(c, p) < 0) {
    dst[i] = 0.0;
    return;
  }
  let at = (b * C + c) * PIXELS + p;
  let g = c_in[at];
  if (oc >= OUT_HALF) {
    dst[i] = g;
    return;
  }
  let s = tanh(out[i]);
  dst[i] = (g * a[at] * exp(s) + u.grad_log_det) * (1.0 - s * s);
}

// One invocation per value: dL/dx = dL/dy · e^s where transformed (else dL/dy), plus the
// conditioner's dL/d(input) where it conditions.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * C * PIXELS) { return; }
  let p = i % PIXELS;
  let c = (i / PIXELS) % C;
  let b = i / (C * PIXELS);
  var g = a[i];
  let slot = target_slot(c, p);
  if (slot >= 0) { g *= exp(tanh(out[out_at(b, u32(slot), p)])); }
  let k = condition_slot(c, p);
  if (k >= 0) { g += c_in[(b * N + u32(k)) * PIXELS + p]; }
  dst[i] = g;
}

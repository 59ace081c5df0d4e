// Over 400 lines: one layer's four passes share the window, segment and tap helpers that make the
// 3 × 3 hot paths fast on CPU adapters; split by pass, each file would carry its own copy.
// 2-D convolution over NCHW batches, K × K kernel (K = 1 or 3), stride 1 or 2, zero padding
// PAD = K / 2, followed by an activation:  z = W ∗ x + b,  y = act(z).
//   x: batch × CIN × H × W,  y, z, δ: batch × COUT × HO × WO,  HO = (H + 2·PAD − K) / STRIDE + 1.
//   Parameters at param_offset: W (COUT × CIN × K × K, PyTorch's OIHW order), then b (COUT).
//   Cache at cache_offset: z, then δ = dL/dz (each batch × COUT × HO × WO). With the identity
//   activation neither is written: δ = dL/dy, which the backward passes read in place (bound as
//   the cache at delta_offset), and there is no delta pass.
// Entry points, all with the same bindings (like nn/dense.wgsl):
//   forward           src = x,     dst = y,            writes z into the cache
//   delta             src = dL/dy,                     writes δ = dL/dy ⊙ act′(z) into the cache
//   backward_input    dst = dL/dx  (from δ and W)
//   backward_weights  src = x,     dst = gradients (dW, db at param_offset), from δ and x
// Register blocking: forward and backward_input compute 4 channels × 4 neighbouring pixels of a
// row per invocation, and of 4 (or 2) rows on the 3 × 3 stride-1 hot path (forward_four_rows,
// backward_input_four_rows: the rows share 4 of their 6 input rows, and each weight load serves 4
// rows; the _two_rows variants for short maps); backward_weights owns a 4 × 4 block of
// (output, input) channels at one kernel tap and sums over the batch and the output pixels in a
// fixed order (sample, row, column): no atomics, bit-reproducible. One invocation per 4 biases.
// Out-of-range channels and pixels load a clamped index and are never stored.
// Twin: src/nn/reference/conv.ts.

struct ConvUniforms {
  batch: u32,
  param_offset: u32,
  // x (forward, backward_weights) and dL/dx (backward_input).
  input_offset: u32,
  // y (forward) and dL/dy (delta).
  output_offset: u32,
  cache_offset: u32,
  // Where δ starts in the cache binding: after z in the cache, or (identity activation, δ = dL/dy,
  // no delta pass) dL/dy itself, bound there by src/nn/conv/conv2d.ts.
  delta_offset: u32,
  pad1: u32,
  pad2: u32,
}

const CIN: u32 = {{CIN}};
const COUT: u32 = {{COUT}};
const K: u32 = {{K}};
const STRIDE: u32 = {{STRIDE}};
const H: u32 = {{H}};
const W: u32 = {{W}};
const ACTIVATION: u32 = {{ACTIVATION}};
const PAD: i32 = i32(K / 2u);
const HO: u32 = (H + 2u * u32(PAD) - K) / STRIDE + 1u;
const WO: u32 = (W + 2u * u32(PAD) - K) / STRIDE + 1u;
const KK: u32 = K * K;
// Blocks of 4 channels and of 4 pixels along a row.
const COB: u32 = (COUT + 3u) / 4u;
const CIB: u32 = (CIN + 3u) / 4u;
const WOB: u32 = (WO + 3u) / 4u;
const WB: u32 = (W + 3u) / 4u;
const OUT_SIZE: u32 = COUT * HO * WO;
// forward computes ROWS (2 or 4) output rows per invocation on the 3 × 3 stride-1 path (2 rows
// share 2 of their 4 input rows; 4 rows 4 of 6, and load each weight once for twice the work);
// 1 otherwise. src/nn/conv/conv2d.ts picks ROWS.
const FORWARD_ROWS: u32 = select(1u, {{ROWS}}, STRIDE == 1u && K == 3u);
const ROW_BLOCKS: u32 = (HO + FORWARD_ROWS - 1u) / FORWARD_ROWS;
// backward_input likewise (2 rows of dL/dx share 2 of their 4 rows of δ).
const INPUT_ROW_BLOCKS: u32 = (H + FORWARD_ROWS - 1u) / FORWARD_ROWS;
const IN_SIZE: u32 = CIN * H * W;

@group(0) @binding(0) var<uniform> u: ConvUniforms;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> cache: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

// x[n, ci, iy, ix] with zero padding outside the image.
fn load_x(n: u32, ci: u32, iy: i32, ix: i32) -> f32 {
  let inside = iy >= 0 && iy < i32(H) && ix >= 0 && ix < i32(W);
  let y = u32(clamp(iy, 0, i32(H) - 1));
  let x = u32(clamp(ix, 0, i32(W) - 1));
  let v = src[u.input_offset + n * IN_SIZE + (ci * H + y) * W + x];
  return select(0.0, v, inside);
}

// W[co0 .. co0 + 3, ci, tap] (clamped rows).
fn load_w_out4(co0: u32, ci: u32, tap: u32) -> vec4<f32> {
  let base = u.param_offset + ci * KK + tap;
  return vec4<f32>(
    params[base + min(co0, COUT - 1u) * CIN * KK],
    params[base + min(co0 + 1u, COUT - 1u) * CIN * KK],
    params[base + min(co0 + 2u, COUT - 1u) * CIN * KK],
    params[base + min(co0 + 3u, COUT - 1u) * CIN * KK]);
}

// W[co, ci0 .. ci0 + 3, tap] (clamped columns).
fn load_w_in4(co: u32, ci0: u32, tap: u32) -> vec4<f32> {
  let base = u.param_offset + co * CIN * KK + tap;
  return vec4<f32>(
    params[base + min(ci0, CIN - 1u) * KK],
    params[base + min(ci0 + 1u, CIN - 1u) * KK],
    params[base + min(ci0 + 2u, CIN - 1u) * KK],
    params[base + min(ci0 + 3u, CIN - 1u) * KK]);
}

fn store_out(n: u32, co: u32, oy: u32, ox: u32, z: f32) {
  if (co >= COUT || ox >= WO) { return; }
  let i = n * OUT_SIZE + (co * HO + oy) * WO + ox;
  // Identity: z = y, and δ = dL/dy needs no z.
  if (ACTIVATION != 0u) { cache[u.cache_offset + i] = z; }
  dst[u.output_offset + i] = act_apply(ACTIVATION, z);
}

// The 6 columns × 4 rows an invocation of the two-row hot paths reads from a plane of
// `width` × `height` (x or δ), from column x0 and row y0: indices clamped into the plane and
// masks that zero what lies outside it (the padding), computed once per invocation so the
// loops are plain loads and multiply-adds (on CPU adapters a bounds check per load costs more
// than the math).
struct Window {
  cols: vec4<u32>,
  cols_hi: vec2<u32>,
  mask: vec4<f32>,
  mask_hi: vec2<f32>,
  // Offsets of the rows y0 .. y0 + 5 in a plane, and whether each is inside it (1) or padding
  // (0); the four-row paths read 6 rows, the two-row paths 4.
  rows: vec4<u32>,
  inside: vec4<f32>,
  rows_hi: vec2<u32>,
  inside_hi: vec2<f32>,
}

fn window(x0: i32, y0: i32, width: u32, height: u32) -> Window {
  let c = vec4<i32>(x0, x0 + 1, x0 + 2, x0 + 3);
  let c_hi = vec2<i32>(x0 + 4, x0 + 5);
  let r = vec4<i32>(y0, y0 + 1, y0 + 2, y0 + 3);
  let r_hi = vec2<i32>(y0 + 4, y0 + 5);
  let wmax = i32(width) - 1;
  let hmax = i32(height) - 1;
  return Window(
    vec4<u32>(clamp(c, vec4<i32>(0), vec4<i32>(wmax))),
    vec2<u32>(clamp(c_hi, vec2<i32>(0), vec2<i32>(wmax))),
    select(vec4<f32>(0.0), vec4<f32>(1.0), (c >= vec4<i32>(0)) & (c <= vec4<i32>(wmax))),
    select(vec2<f32>(0.0), vec2<f32>(1.0), (c_hi >= vec2<i32>(0)) & (c_hi <= vec2<i32>(wmax))),
    vec4<u32>(clamp(r, vec4<i32>(0), vec4<i32>(hmax))) * width,
    select(vec4<f32>(0.0), vec4<f32>(1.0), (r >= vec4<i32>(0)) & (r <= vec4<i32>(hmax))),
    vec2<u32>(clamp(r_hi, vec2<i32>(0), vec2<i32>(hmax))) * width,
    select(vec2<f32>(0.0), vec2<f32>(1.0), (r_hi >= vec2<i32>(0)) & (r_hi <= vec2<i32>(hmax))));
}

fn row_offset(win: Window, row: u32) -> u32 {
  return select(win.rows_hi[row & 1u], win.rows[row & 3u], row < 4u);
}

fn row_inside(win: Window, row: u32) -> f32 {
  return select(win.inside_hi[row & 1u], win.inside[row & 3u], row < 4u);
}

// A row segment of 6 values (the window's columns of one row), zero outside the plane.
struct Segment {
  lo: vec4<f32>,
  hi: vec2<f32>,
}

// Row `row` (0..5) of the window over x's plane starting at `plane`.
fn x_segment(plane: u32, win: Window, row: u32) -> Segment {
  let at = plane + row_offset(win, row);
  let inside = row_inside(win, row);
  return Segment(
    vec4<f32>(src[at + win.cols.x], src[at + win.cols.y], src[at + win.cols.z], src[at + win.cols.w]) * (win.mask * inside),
    vec2<f32>(src[at + win.cols_hi.x], src[at + win.cols_hi.y]) * (win.mask_hi * inside));
}

// The same over δ's plane (in the cache).
fn delta_segment(plane: u32, win: Window, row: u32) -> Segment {
  let at = plane + row_offset(win, row);
  let inside = row_inside(win, row);
  return Segment(
    vec4<f32>(cache[at + win.cols.x], cache[at + win.cols.y], cache[at + win.cols.z], cache[at + win.cols.w]) * (win.mask * inside),
    vec2<f32>(cache[at + win.cols_hi.x], cache[at + win.cols_hi.y]) * (win.mask_hi * inside));
}

// The 9 taps of a 3 × 3 kernel for 4 channels: tap t of channel j at params[bases[j] + t].
struct Taps4 {
  w0: vec4<f32>, w1: vec4<f32>, w2: vec4<f32>,
  w3: vec4<f32>, w4: vec4<f32>, w5: vec4<f32>,
  w6: vec4<f32>, w7: vec4<f32>, w8: vec4<f32>,
}

fn tap4(bases: vec4<u32>, t: u32) -> vec4<f32> {
  return vec4<f32>(params[bases.x + t], params[bases.y + t], params[bases.z + t], params[bases.w + t]);
}

fn taps4(bases: vec4<u32>) -> Taps4 {
  return Taps4(tap4(bases, 0u), tap4(bases, 1u), tap4(bases, 2u), tap4(bases, 3u), tap4(bases, 4u),
    tap4(bases, 5u), tap4(bases, 6u), tap4(bases, 7u), tap4(bases, 8u));
}

// Where the 4 channels c0 .. c0 + 3 (clamped to `count`) start, `stride` floats apart.
fn channel_bases(c0: u32, count: u32, stride: u32) -> vec4<u32> {
  return u.param_offset + min(vec4<u32>(c0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(count - 1u)) * stride;
}

// acc{j} += the 3 taps w0, w1, w2 of one kernel row applied at pixel j of the segment.
fn row_taps(acc0: ptr<function, vec4<f32>>, acc1: ptr<function, vec4<f32>>, acc2: ptr<function, vec4<f32>>,
    acc3: ptr<function, vec4<f32>>, s: Segment, w0: vec4<f32>, w1: vec4<f32>, w2: vec4<f32>) {
  *acc0 += w0 * s.lo.x + w1 * s.lo.y + w2 * s.lo.z;
  *acc1 += w0 * s.lo.y + w1 * s.lo.z + w2 * s.lo.w;
  *acc2 += w0 * s.lo.z + w1 * s.lo.w + w2 * s.hi.x;
  *acc3 += w0 * s.lo.w + w1 * s.hi.x + w2 * s.hi.y;
}

// The hot path (3 × 3, stride 1): 4 output channels × 4 pixels × 2 rows (oy, oy + 1) per
// invocation. The 4 input rows oy − 1 .. oy + 2 are loaded once per input channel (6 pixels each)
// and serve both output rows; the 9 taps' weights are loaded once per input channel.
fn forward_two_rows(n: u32, co0: u32, oy: u32, ox0: u32, bias: vec4<f32>) {
  let win = window(i32(ox0) - 1, i32(oy) - 1, W, H);
  let w_rows = channel_bases(co0, COUT, CIN * KK);
  // t{j}: row oy, b{j}: row oy + 1, pixel ox0 + j, output channels co0 .. co0 + 3.
  var t0 = bias; var t1 = bias; var t2 = bias; var t3 = bias;
  var b0 = bias; var b1 = bias; var b2 = bias; var b3 = bias;
  var plane = u.input_offset + n * IN_SIZE;
  var w = 0u;
  for (var ci = 0u; ci < CIN; ci++) {
    let k = taps4(w_rows + vec4<u32>(w));
    let s0 = x_segment(plane, win, 0u);
    let s1 = x_segment(plane, win, 1u);
    let s2 = x_segment(plane, win, 2u);
    let s3 = x_segment(plane, win, 3u);
    // Row oy meets input row oy − 1 + ky through kernel row ky; row oy + 1 the next one down.
    row_taps(&t0, &t1, &t2, &t3, s0, k.w0, k.w1, k.w2);
    row_taps(&t0, &t1, &t2, &t3, s1, k.w3, k.w4, k.w5);
    row_taps(&t0, &t1, &t2, &t3, s2, k.w6, k.w7, k.w8);
    row_taps(&b0, &b1, &b2, &b3, s1, k.w0, k.w1, k.w2);
    row_taps(&b0, &b1, &b2, &b3, s2, k.w3, k.w4, k.w5);
    row_taps(&b0, &b1, &b2, &b3, s3, k.w6, k.w7, k.w8);
    plane += H * W;
    w += KK;
  }
  let bottom = oy + 1u < HO;
  for (var k = 0u; k < 4u; k++) {
    store_out(n, co0 + k, oy, ox0, t0[k]);
    store_out(n, co0 + k, oy, ox0 + 1u, t1[k]);
    store_out(n, co0 + k, oy, ox0 + 2u, t2[k]);
    store_out(n, co0 + k, oy, ox0 + 3u, t3[k]);
    if (bottom) {
      store_out(n, co0 + k, oy + 1u, ox0, b0[k]);
      store_out(n, co0 + k, oy + 1u, ox0 + 1u, b1[k]);
      store_out(n, co0 + k, oy + 1u, ox0 + 2u, b2[k]);
      store_out(n, co0 + k, oy + 1u, ox0 + 3u, b3[k]);
    }
  }
}

// forward_two_rows for 4 output rows oy .. oy + 3 from the 6 input rows oy − 1 .. oy + 4: per
// input channel 36 weight and 36 input loads feed 576 multiply-adds (two rows: 36 + 24 for 288).
fn forward_four_rows(n: u32, co0: u32, oy: u32, ox0: u32, bias: vec4<f32>) {
  let win = window(i32(ox0) - 1, i32(oy) - 1, W, H);
  let w_rows = channel_bases(co0, COUT, CIN * KK);
  // r{row}{j}: output row oy + row, pixel ox0 + j, output channels co0 .. co0 + 3.
  var r00 = bias; var r01 = bias; var r02 = bias; var r03 = bias;
  var r10 = bias; var r11 = bias; var r12 = bias; var r13 = bias;
  var r20 = bias; var r21 = bias; var r22 = bias; var r23 = bias;
  var r30 = bias; var r31 = bias; var r32 = bias; var r33 = bias;
  var plane = u.input_offset + n * IN_SIZE;
  var w = 0u;
  for (var ci = 0u; ci < CIN; ci++) {
    let k = taps4(w_rows + vec4<u32>(w));
    let s0 = x_segment(plane, win, 0u);
    let s1 = x_segment(plane, win, 1u);
    let s2 = x_segment(plane, win, 2u);
    let s3 = x_segment(plane, win, 3u);
    let s4 = x_segment(plane, win, 4u);
    let s5 = x_segment(plane, win, 5u);
    // Output row oy + r meets input row oy + r − 1 + ky through kernel row ky.
    row_taps(&r00, &r01, &r02, &r03, s0, k.w0, k.w1, k.w2);
    row_taps(&r00, &r01, &r02, &r03, s1, k.w3, k.w4, k.w5);
    row_taps(&r00, &r01, &r02, &r03, s2, k.w6, k.w7, k.w8);
    row_taps(&r10, &r11, &r12, &r13, s1, k.w0, k.w1, k.w2);
    row_taps(&r10, &r11, &r12, &r13, s2, k.w3, k.w4, k.w5);
    row_taps(&r10, &r11, &r12, &r13, s3, k.w6, k.w7, k.w8);
    row_taps(&r20, &r21, &r22, &r23, s2, k.w0, k.w1, k.w2);
    row_taps(&r20, &r21, &r22, &r23, s3, k.w3, k.w4, k.w5);
    row_taps(&r20, &r21, &r22, &r23, s4, k.w6, k.w7, k.w8);
    row_taps(&r30, &r31, &r32, &r33, s3, k.w0, k.w1, k.w2);
    row_taps(&r30, &r31, &r32, &r33, s4, k.w3, k.w4, k.w5);
    row_taps(&r30, &r31, &r32, &r33, s5, k.w6, k.w7, k.w8);
    plane += H * W;
    w += KK;
  }
  store_row(n, co0, oy, ox0, r00, r01, r02, r03);
  if (oy + 1u < HO) { store_row(n, co0, oy + 1u, ox0, r10, r11, r12, r13); }
  if (oy + 2u < HO) { store_row(n, co0, oy + 2u, ox0, r20, r21, r22, r23); }
  if (oy + 3u < HO) { store_row(n, co0, oy + 3u, ox0, r30, r31, r32, r33); }
}

// 4 pixels × 4 output channels of one output row.
fn store_row(n: u32, co0: u32, oy: u32, ox0: u32, p0: vec4<f32>, p1: vec4<f32>, p2: vec4<f32>, p3: vec4<f32>) {
  for (var k = 0u; k < 4u; k++) {
    store_out(n, co0 + k, oy, ox0, p0[k]);
    store_out(n, co0 + k, oy, ox0 + 1u, p1[k]);
    store_out(n, co0 + k, oy, ox0 + 2u, p2[k]);
    store_out(n, co0 + k, oy, ox0 + 3u, p3[k]);
  }
}

// 1 × 1 stride 1 (pointwise: a matrix product per sample): 4 output channels × 8 consecutive
// pixels of the flattened plane per invocation, no padding and no bounds checks in the loop
// (the general path's per-tap clamps made these convs ~10× slower per multiply-add than 3 × 3).
const POINT_BLOCKS: u32 = (H * W + 7u) / 8u;

// Offsets of 8 pixels from p0, clamped into the plane (the invocation stores only those inside).
fn point_offsets(p0: u32) -> array<u32, 8> {
  let last = H * W - 1u;
  return array<u32, 8>(min(p0, last), min(p0 + 1u, last), min(p0 + 2u, last), min(p0 + 3u, last),
    min(p0 + 4u, last), min(p0 + 5u, last), min(p0 + 6u, last), min(p0 + 7u, last));
}

fn forward_pointwise(i: u32) {
  if (i >= u.batch * COB * POINT_BLOCKS) { return; }
  let p0 = (i % POINT_BLOCKS) * 8u;
  let co0 = ((i / POINT_BLOCKS) % COB) * 4u;
  let n = i / (POINT_BLOCKS * COB);
  let w_rows = channel_bases(co0, COUT, CIN);
  let bias = vec4<f32>(params[u.param_offset + COUT * CIN + min(co0, COUT - 1u)],
    params[u.param_offset + COUT * CIN + min(co0 + 1u, COUT - 1u)],
    params[u.param_offset + COUT * CIN + min(co0 + 2u, COUT - 1u)],
    params[u.param_offset + COUT * CIN + min(co0 + 3u, COUT - 1u)]);
  let at = point_offsets(p0);
  var a0 = bias; var a1 = bias; var a2 = bias; var a3 = bias;
  var a4 = bias; var a5 = bias; var a6 = bias; var a7 = bias;
  var plane = u.input_offset + n * IN_SIZE;
  for (var ci = 0u; ci < CIN; ci++) {
    let w = tap4(w_rows, ci);
    a0 += w * src[plane + at[0]]; a1 += w * src[plane + at[1]];
    a2 += w * src[plane + at[2]]; a3 += w * src[plane + at[3]];
    a4 += w * src[plane + at[4]]; a5 += w * src[plane + at[5]];
    a6 += w * src[plane + at[6]]; a7 += w * src[plane + at[7]];
    plane += H * W;
  }
  var acc = array<vec4<f32>, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
  for (var j = 0u; j < 8u; j++) {
    let p = p0 + j;
    if (p >= H * W) { break; }
    for (var k = 0u; k < 4u; k++) { store_out(n, co0 + k, p / W, p % W, acc[j][k]); }
  }
}

// dL/dx of the pointwise case: 4 input channels × 8 pixels, dL/dx[n, ci, p] = Σ_co W[co, ci] δ[n, co, p].
fn backward_input_pointwise(i: u32) {
  if (i >= u.batch * CIB * POINT_BLOCKS) { return; }
  let p0 = (i % POINT_BLOCKS) * 8u;
  let ci0 = ((i / POINT_BLOCKS) % CIB) * 4u;
  let n = i / (POINT_BLOCKS * CIB);
  let w_cols = channel_bases(ci0, CIN, 1u);
  let at = point_offsets(p0);
  var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0); var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
  var a4 = vec4<f32>(0.0); var a5 = vec4<f32>(0.0); var a6 = vec4<f32>(0.0); var a7 = vec4<f32>(0.0);
  var plane = u.delta_offset + n * OUT_SIZE;
  for (var co = 0u; co < COUT; co++) {
    let w = tap4(w_cols, co * CIN);
    a0 += w * cache[plane + at[0]]; a1 += w * cache[plane + at[1]];
    a2 += w * cache[plane + at[2]]; a3 += w * cache[plane + at[3]];
    a4 += w * cache[plane + at[4]]; a5 += w * cache[plane + at[5]];
    a6 += w * cache[plane + at[6]]; a7 += w * cache[plane + at[7]];
    plane += HO * WO;
  }
  var acc = array<vec4<f32>, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
  for (var j = 0u; j < 8u; j++) {
    let p = p0 + j;
    if (p >= H * W) { break; }
    for (var k = 0u; k < 4u; k++) { store_grad_input(n, ci0 + k, p / W, p % W, acc[j][k]); }
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  var i = flat_index(gid, groups);
  if (K == 1u && STRIDE == 1u) {
    forward_pointwise(i);
    return;
  }
  if (i >= u.batch * COB * ROW_BLOCKS * WOB) { return; }
  let ox0 = (i % WOB) * 4u;
  i /= WOB;
  let oy = (i % ROW_BLOCKS) * FORWARD_ROWS;
  i /= ROW_BLOCKS;
  let co0 = (i % COB) * 4u;
  let n = i / COB;
  let bias = vec4<f32>(
    params[u.param_offset + COUT * CIN * KK + min(co0, COUT - 1u)],
    params[u.param_offset + COUT * CIN * KK + min(co0 + 1u, COUT - 1u)],
    params[u.param_offset + COUT * CIN * KK + min(co0 + 2u, COUT - 1u)],
    params[u.param_offset + COUT * CIN * KK + min(co0 + 3u, COUT - 1u)]);
  // acc{j}: pixel ox0 + j, output channels co0 .. co0 + 3.
  var acc0 = bias;
  var acc1 = bias;
  var acc2 = bias;
  var acc3 = bias;
  let iy0 = i32(oy * STRIDE) - PAD;
  let ix0 = i32(ox0 * STRIDE) - PAD;
  let step = i32(STRIDE);
  if (STRIDE == 1u && K == 3u) {
    if (FORWARD_ROWS == 4u) {
      forward_four_rows(n, co0, oy, ox0, bias);
    } else {
      forward_two_rows(n, co0, oy, ox0, bias);
    }
    return;
  }
  {
  for (var ci = 0u; ci < CIN; ci++) {
    for (var ky = 0u; ky < K; ky++) {
      let iy = iy0 + i32(ky);
      for (var kx = 0u; kx < K; kx++) {
        let w = load_w_out4(co0, ci, ky * K + kx);
        let ix = ix0 + i32(kx);
        acc0 += w * load_x(n, ci, iy, ix);
        acc1 += w * load_x(n, ci, iy, ix + step);
        acc2 += w * load_x(n, ci, iy, ix + 2 * step);
        acc3 += w * load_x(n, ci, iy, ix + 3 * step);
      }
    }
  }
  }
  for (var c = 0u; c < 4u; c++) {
    store_out(n, co0 + c, oy, ox0, acc0[c]);
    store_out(n, co0 + c, oy, ox0 + 1u, acc1[c]);
    store_out(n, co0 + c, oy, ox0 + 2u, acc2[c]);
    store_out(n, co0 + c, oy, ox0 + 3u, acc3[c]);
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn delta(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * OUT_SIZE) { return; }
  let z = cache[u.cache_offset + i];
  cache[u.delta_offset + i] = src[u.output_offset + i] * act_grad(ACTIVATION, z);
}

// δ[n, co, oy, ox] for the input pixel (iy, ix) reached through tap (ky, kx), 0 where no
// output pixel does (outside the output, or between stride-2 positions).
fn load_delta_at(n: u32, co: u32, ty: i32, ix: i32, kx: u32) -> f32 {
  let tx = ix + PAD - i32(kx);
  let oy = ty / i32(STRIDE);
  let ox = tx / i32(STRIDE);
  let hit = ty >= 0 && tx >= 0 && ty % i32(STRIDE) == 0 && tx % i32(STRIDE) == 0 &&
    oy < i32(HO) && ox < i32(WO);
  let y = u32(clamp(oy, 0, i32(HO) - 1));
  let x = u32(clamp(ox, 0, i32(WO) - 1));
  let v = cache[u.delta_offset + n * OUT_SIZE + (co * HO + y) * WO + x];
  return select(0.0, v, hit);
}

fn store_grad_input(n: u32, ci: u32, iy: u32, ix: u32, g: f32) {
  if (ci >= CIN || ix >= W) { return; }
  dst[u.input_offset + n * IN_SIZE + (ci * H + iy) * W + ix] = g;
}

// acc{j} += the flipped taps of one kernel row at pixel j: a segment of δ starting one column to
// the left, so pixel j meets δ segment index j + 2 − kx through tap kx.
fn row_taps_flipped(acc0: ptr<function, vec4<f32>>, acc1: ptr<function, vec4<f32>>, acc2: ptr<function, vec4<f32>>,
    acc3: ptr<function, vec4<f32>>, s: Segment, w0: vec4<f32>, w1: vec4<f32>, w2: vec4<f32>) {
  *acc0 += w0 * s.lo.z + w1 * s.lo.y + w2 * s.lo.x;
  *acc1 += w0 * s.lo.w + w1 * s.lo.z + w2 * s.lo.y;
  *acc2 += w0 * s.hi.x + w1 * s.lo.w + w2 * s.lo.z;
  *acc3 += w0 * s.hi.y + w1 * s.hi.x + w2 * s.lo.w;
}

// The hot path of dL/dx (3 × 3, stride 1), the correlation of δ with the flipped kernel: 4 input
// channels × 4 pixels × 2 rows (iy, iy + 1) per invocation, from the 4 rows of δ iy − 1 .. iy + 2
// loaded once per output channel; set up like forward_two_rows.
fn backward_input_two_rows(n: u32, ci0: u32, iy: u32, ix0: u32) {
  let win = window(i32(ix0) - 1, i32(iy) - 1, WO, HO);
  let w_cols = channel_bases(ci0, CIN, KK);
  // t{j}: row iy, b{j}: row iy + 1, pixel ix0 + j, input channels ci0 .. ci0 + 3.
  var t0 = vec4<f32>(0.0); var t1 = vec4<f32>(0.0); var t2 = vec4<f32>(0.0); var t3 = vec4<f32>(0.0);
  var b0 = vec4<f32>(0.0); var b1 = vec4<f32>(0.0); var b2 = vec4<f32>(0.0); var b3 = vec4<f32>(0.0);
  var plane = u.delta_offset + n * OUT_SIZE;
  var w = 0u;
  for (var co = 0u; co < COUT; co++) {
    let k = taps4(w_cols + vec4<u32>(w));
    let s0 = delta_segment(plane, win, 0u);
    let s1 = delta_segment(plane, win, 1u);
    let s2 = delta_segment(plane, win, 2u);
    let s3 = delta_segment(plane, win, 3u);
    // Row iy meets δ row iy + 1 − ky through kernel row ky.
    row_taps_flipped(&t0, &t1, &t2, &t3, s2, k.w0, k.w1, k.w2);
    row_taps_flipped(&t0, &t1, &t2, &t3, s1, k.w3, k.w4, k.w5);
    row_taps_flipped(&t0, &t1, &t2, &t3, s0, k.w6, k.w7, k.w8);
    row_taps_flipped(&b0, &b1, &b2, &b3, s3, k.w0, k.w1, k.w2);
    row_taps_flipped(&b0, &b1, &b2, &b3, s2, k.w3, k.w4, k.w5);
    row_taps_flipped(&b0, &b1, &b2, &b3, s1, k.w6, k.w7, k.w8);
    plane += HO * WO;
    w += CIN * KK;
  }
  let bottom = iy + 1u < H;
  for (var k = 0u; k < 4u; k++) {
    store_grad_input(n, ci0 + k, iy, ix0, t0[k]);
    store_grad_input(n, ci0 + k, iy, ix0 + 1u, t1[k]);
    store_grad_input(n, ci0 + k, iy, ix0 + 2u, t2[k]);
    store_grad_input(n, ci0 + k, iy, ix0 + 3u, t3[k]);
    if (bottom) {
      store_grad_input(n, ci0 + k, iy + 1u, ix0, b0[k]);
      store_grad_input(n, ci0 + k, iy + 1u, ix0 + 1u, b1[k]);
      store_grad_input(n, ci0 + k, iy + 1u, ix0 + 2u, b2[k]);
      store_grad_input(n, ci0 + k, iy + 1u, ix0 + 3u, b3[k]);
    }
  }
}

// backward_input_two_rows for 4 rows of dL/dx iy .. iy + 3 from the 6 rows of δ iy − 1 .. iy + 4.
fn backward_input_four_rows(n: u32, ci0: u32, iy: u32, ix0: u32) {
  let win = window(i32(ix0) - 1, i32(iy) - 1, WO, HO);
  let w_cols = channel_bases(ci0, CIN, KK);
  // r{row}{j}: row iy + row, pixel ix0 + j, input channels ci0 .. ci0 + 3.
  var r00 = vec4<f32>(0.0); var r01 = vec4<f32>(0.0); var r02 = vec4<f32>(0.0); var r03 = vec4<f32>(0.0);
  var r10 = vec4<f32>(0.0); var r11 = vec4<f32>(0.0); var r12 = vec4<f32>(0.0); var r13 = vec4<f32>(0.0);
  var r20 = vec4<f32>(0.0); var r21 = vec4<f32>(0.0); var r22 = vec4<f32>(0.0); var r23 = vec4<f32>(0.0);
  var r30 = vec4<f32>(0.0); var r31 = vec4<f32>(0.0); var r32 = vec4<f32>(0.0); var r33 = vec4<f32>(0.0);
  var plane = u.delta_offset + n * OUT_SIZE;
  var w = 0u;
  for (var co = 0u; co < COUT; co++) {
    let k = taps4(w_cols + vec4<u32>(w));
    let s0 = delta_segment(plane, win, 0u);
    let s1 = delta_segment(plane, win, 1u);
    let s2 = delta_segment(plane, win, 2u);
    let s3 = delta_segment(plane, win, 3u);
    let s4 = delta_segment(plane, win, 4u);
    let s5 = delta_segment(plane, win, 5u);
    // Row iy + r meets δ row iy + r + 1 − ky through kernel row ky.
    row_taps_flipped(&r00, &r01, &r02, &r03, s2, k.w0, k.w1, k.w2);
    row_taps_flipped(&r00, &r01, &r02, &r03, s1, k.w3, k.w4, k.w5);
    row_taps_flipped(&r00, &r01, &r02, &r03, s0, k.w6, k.w7, k.w8);
    row_taps_flipped(&r10, &r11, &r12, &r13, s3, k.w0, k.w1, k.w2);
    row_taps_flipped(&r10, &r11, &r12, &r13, s2, k.w3, k.w4, k.w5);
    row_taps_flipped(&r10, &r11, &r12, &r13, s1, k.w6, k.w7, k.w8);
    row_taps_flipped(&r20, &r21, &r22, &r23, s4, k.w0, k.w1, k.w2);
    row_taps_flipped(&r20, &r21, &r22, &r23, s3, k.w3, k.w4, k.w5);
    row_taps_flipped(&r20, &r21, &r22, &r23, s2, k.w6, k.w7, k.w8);
    row_taps_flipped(&r30, &r31, &r32, &r33, s5, k.w0, k.w1, k.w2);
    row_taps_flipped(&r30, &r31, &r32, &r33, s4, k.w3, k.w4, k.w5);
    row_taps_flipped(&r30, &r31, &r32, &r33, s3, k.w6, k.w7, k.w8);
    plane += HO * WO;
    w += CIN * KK;
  }
  store_grad_row(n, ci0, iy, ix0, r00, r01, r02, r03);
  if (iy + 1u < H) { store_grad_row(n, ci0, iy + 1u, ix0, r10, r11, r12, r13); }
  if (iy + 2u < H) { store_grad_row(n, ci0, iy + 2u, ix0, r20, r21, r22, r23); }
  if (iy + 3u < H) { store_grad_row(n, ci0, iy + 3u, ix0, r30, r31, r32, r33); }
}

fn store_grad_row(n: u32, ci0: u32, iy: u32, ix0: u32, p0: vec4<f32>, p1: vec4<f32>, p2: vec4<f32>, p3: vec4<f32>) {
  for (var k = 0u; k < 4u; k++) {
    store_grad_input(n, ci0 + k, iy, ix0, p0[k]);
    store_grad_input(n, ci0 + k, iy, ix0 + 1u, p1[k]);
    store_grad_input(n, ci0 + k, iy, ix0 + 2u, p2[k]);
    store_grad_input(n, ci0 + k, iy, ix0 + 3u, p3[k]);
  }
}

// dL/dx[n, ci, iy, ix] = Σ_co Σ_taps W[co, ci, ky, kx] δ[n, co, (iy + PAD − ky) / S, (ix + PAD − kx) / S].
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  var i = flat_index(gid, groups);
  if (K == 1u && STRIDE == 1u) {
    backward_input_pointwise(i);
    return;
  }
  if (i >= u.batch * CIB * INPUT_ROW_BLOCKS * WB) { return; }
  let ix0 = (i % WB) * 4u;
  i /= WB;
  let iy = (i % INPUT_ROW_BLOCKS) * FORWARD_ROWS;
  i /= INPUT_ROW_BLOCKS;
  let ci0 = (i % CIB) * 4u;
  let n = i / CIB;
  // acc{j}: pixel ix0 + j, input channels ci0 .. ci0 + 3.
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  let x0 = i32(ix0);
  if (STRIDE == 1u && K == 3u) {
    if (FORWARD_ROWS == 4u) {
      backward_input_four_rows(n, ci0, iy, ix0);
    } else {
      backward_input_two_rows(n, ci0, iy, ix0);
    }
    return;
  }
  {
  for (var co = 0u; co < COUT; co++) {
    for (var ky = 0u; ky < K; ky++) {
      let ty = i32(iy) + PAD - i32(ky);
      for (var kx = 0u; kx < K; kx++) {
        let w = load_w_in4(co, ci0, ky * K + kx);
        acc0 += w * load_delta_at(n, co, ty, x0, kx);
        acc1 += w * load_delta_at(n, co, ty, x0 + 1, kx);
        acc2 += w * load_delta_at(n, co, ty, x0 + 2, kx);
        acc3 += w * load_delta_at(n, co, ty, x0 + 3, kx);
      }
    }
  }
  }
  for (var c = 0u; c < 4u; c++) {
    store_grad_input(n, ci0 + c, iy, ix0, acc0[c]);
    store_grad_input(n, ci0 + c, iy, ix0 + 1u, acc1[c]);
    store_grad_input(n, ci0 + c, iy, ix0 + 2u, acc2[c]);
    store_grad_input(n, ci0 + c, iy, ix0 + 3u, acc3[c]);
  }
}

fn load_delta4(n: u32, co0: u32, pixel: u32) -> vec4<f32> {
  let base = u.delta_offset + n * OUT_SIZE + pixel;
  return vec4<f32>(
    cache[base + min(co0, COUT - 1u) * HO * WO],
    cache[base + min(co0 + 1u, COUT - 1u) * HO * WO],
    cache[base + min(co0 + 2u, COUT - 1u) * HO * WO],
    cache[base + min(co0 + 3u, COUT - 1u) * HO * WO]);
}

fn store_grad_weight(co: u32, ci: u32, tap: u32, g: f32) {
  if (co >= COUT || ci >= CIN) { return; }
  dst[u.param_offset + (co * CIN + ci) * KK + tap] = g;
}

// dW[co, ci, ky, kx] = Σ_n Σ_oy Σ_ox δ[n, co, oy, ox] x[n, ci, oy·S + ky − PAD, ox·S + kx − PAD],
// db[co] = Σ_n Σ_oy Σ_ox δ[n, co, oy, ox], in that order.
// Blocks of dW per output-channel block: one per input-channel block and kernel row (3 × 3,
// stride 1: the row's 3 taps share a sliding window of x) or per tap (otherwise).
const TAP_BLOCKS: u32 = select(KK, 3u, STRIDE == 1u && K == 3u);

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_weights(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  let weight_blocks = COB * CIB * TAP_BLOCKS;
  if (i >= weight_blocks + COB) { return; }
  if (i >= weight_blocks) {
    let co0 = (i - weight_blocks) * 4u;
    var sum = vec4<f32>(0.0);
    for (var n = 0u; n < u.batch; n++) {
      for (var p = 0u; p < HO * WO; p++) { sum += load_delta4(n, co0, p); }
    }
    for (var c = 0u; c < 4u; c++) {
      if (co0 + c < COUT) { dst[u.param_offset + COUT * CIN * KK + co0 + c] = sum[c]; }
    }
    return;
  }
  if (STRIDE == 1u && K == 3u) {
    weights_row3(i);
    return;
  }
  if (STRIDE == 1u && K == 1u) {
    weights_pointwise(i);
    return;
  }
  let tap = i % KK;
  let ky = i32(tap / K);
  let kx = i32(tap % K);
  let ci0 = ((i / KK) % CIB) * 4u;
  let co0 = (i / (KK * CIB)) * 4u;
  let ci1 = min(ci0 + 1u, CIN - 1u);
  let ci2 = min(ci0 + 2u, CIN - 1u);
  let ci3 = min(ci0 + 3u, CIN - 1u);
  // acc{j}: input channel ci0 + j, output channels co0 .. co0 + 3.
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var n = 0u; n < u.batch; n++) {
    for (var oy = 0u; oy < HO; oy++) {
      let iy = i32(oy * STRIDE) + ky - PAD;
      for (var ox = 0u; ox < WO; ox++) {
        let ix = i32(ox * STRIDE) + kx - PAD;
        let d = load_delta4(n, co0, oy * WO + ox);
        acc0 += d * load_x(n, min(ci0, CIN - 1u), iy, ix);
        acc1 += d * load_x(n, ci1, iy, ix);
        acc2 += d * load_x(n, ci2, iy, ix);
        acc3 += d * load_x(n, ci3, iy, ix);
      }
    }
  }
  for (var c = 0u; c < 4u; c++) {
    store_grad_weight(co0 + c, ci0, u32(tap), acc0[c]);
    store_grad_weight(co0 + c, ci0 + 1u, u32(tap), acc1[c]);
    store_grad_weight(co0 + c, ci0 + 2u, u32(tap), acc2[c]);
    store_grad_weight(co0 + c, ci0 + 3u, u32(tap), acc3[c]);
  }
}

// dW of 4 output × 4 input channels at the 3 taps of kernel row ky (3 × 3, stride 1). Along an
// output row, x at columns ox − 1, ox, ox + 1 slides by one column per pixel: 8 loads (δ and
// the new x column) per 48 multiply-adds. Sums over sample, row, column in that order.
fn weights_row3(i: u32) {
  let ky = i % 3u;
  let ci0 = ((i / 3u) % CIB) * 4u;
  let co0 = (i / (3u * CIB)) * 4u;
  // a{kx}{j}: tap (ky, kx), input channel ci0 + j, output channels co0 .. co0 + 3.
  var a00 = vec4<f32>(0.0); var a01 = vec4<f32>(0.0); var a02 = vec4<f32>(0.0); var a03 = vec4<f32>(0.0);
  var a10 = vec4<f32>(0.0); var a11 = vec4<f32>(0.0); var a12 = vec4<f32>(0.0); var a13 = vec4<f32>(0.0);
  var a20 = vec4<f32>(0.0); var a21 = vec4<f32>(0.0); var a22 = vec4<f32>(0.0); var a23 = vec4<f32>(0.0);
  // Channel offsets (clamped) are fixed for the invocation: the loop is loads and multiply-adds.
  let xc0 = min(ci0, CIN - 1u) * H * W;
  let xc1 = min(ci0 + 1u, CIN - 1u) * H * W;
  let xc2 = min(ci0 + 2u, CIN - 1u) * H * W;
  let xc3 = min(ci0 + 3u, CIN - 1u) * H * W;
  let dc0 = min(co0, COUT - 1u) * HO * WO;
  let dc1 = min(co0 + 1u, COUT - 1u) * HO * WO;
  let dc2 = min(co0 + 2u, COUT - 1u) * HO * WO;
  let dc3 = min(co0 + 3u, COUT - 1u) * HO * WO;
  for (var n = 0u; n < u.batch; n++) {
    let x_n = u.input_offset + n * IN_SIZE;
    let d_n = u.delta_offset + n * OUT_SIZE;
    for (var oy = 0u; oy < HO; oy++) {
      let iy = i32(oy + ky) - 1;
      if (iy < 0 || iy >= i32(H)) { continue; }
      let x_row = x_n + u32(iy) * W;
      var d_at = d_n + oy * WO;
      // xm, xc, xp: x over the 4 input channels at columns ox − 1, ox, ox + 1.
      var xm = vec4<f32>(0.0);
      var xc = vec4<f32>(src[x_row + xc0], src[x_row + xc1], src[x_row + xc2], src[x_row + xc3]);
      for (var ox = 0u; ox < WO; ox++) {
        let at = x_row + min(ox + 1u, W - 1u);
        let xp = select(vec4<f32>(0.0), vec4<f32>(src[at + xc0], src[at + xc1], src[at + xc2], src[at + xc3]), ox + 1u < W);
        let d = vec4<f32>(cache[d_at + dc0], cache[d_at + dc1], cache[d_at + dc2], cache[d_at + dc3]);
        a00 += d * xm.x; a01 += d * xm.y; a02 += d * xm.z; a03 += d * xm.w;
        a10 += d * xc.x; a11 += d * xc.y; a12 += d * xc.z; a13 += d * xc.w;
        a20 += d * xp.x; a21 += d * xp.y; a22 += d * xp.z; a23 += d * xp.w;
        xm = xc;
        xc = xp;
        d_at += 1u;
      }
    }
  }
  let t = ky * 3u;
  for (var c = 0u; c < 4u; c++) {
    store_grad_weight(co0 + c, ci0, t, a00[c]);
    store_grad_weight(co0 + c, ci0 + 1u, t, a01[c]);
    store_grad_weight(co0 + c, ci0 + 2u, t, a02[c]);
    store_grad_weight(co0 + c, ci0 + 3u, t, a03[c]);
    store_grad_weight(co0 + c, ci0, t + 1u, a10[c]);
    store_grad_weight(co0 + c, ci0 + 1u, t + 1u, a11[c]);
    store_grad_weight(co0 + c, ci0 + 2u, t + 1u, a12[c]);
    store_grad_weight(co0 + c, ci0 + 3u, t + 1u, a13[c]);
    store_grad_weight(co0 + c, ci0, t + 2u, a20[c]);
    store_grad_weight(co0 + c, ci0 + 1u, t + 2u, a21[c]);
    store_grad_weight(co0 + c, ci0 + 2u, t + 2u, a22[c]);
    store_grad_weight(co0 + c, ci0 + 3u, t + 2u, a23[c]);
  }
}

// dW of 4 output × 4 input channels of a 1 × 1 stride-1 conv: the general path's sums (sample,
// then pixel of the flattened plane) without its per-load padding checks and index arithmetic.
fn weights_pointwise(i: u32) {
  let ci0 = (i % CIB) * 4u;
  let co0 = (i / CIB) * 4u;
  let xc = min(vec4<u32>(ci0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(CIN - 1u)) * (H * W);
  let dc = min(vec4<u32>(co0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(COUT - 1u)) * (H * W);
  // a{j}: input channel ci0 + j, output channels co0 .. co0 + 3.
  var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0); var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
  for (var n = 0u; n < u.batch; n++) {
    let x_n = u.input_offset + n * IN_SIZE;
    let d_n = u.delta_offset + n * OUT_SIZE;
    for (var p = 0u; p < H * W; p++) {
      let d = vec4<f32>(cache[d_n + dc.x + p], cache[d_n + dc.y + p], cache[d_n + dc.z + p], cache[d_n + dc.w + p]);
      a0 += d * src[x_n + xc.x + p];
      a1 += d * src[x_n + xc.y + p];
      a2 += d * src[x_n + xc.z + p];
      a3 += d * src[x_n + xc.w + p];
    }
  }
  for (var c = 0u; c < 4u; c++) {
    store_grad_weight(co0 + c, ci0, 0u, a0[c]);
    store_grad_weight(co0 + c, ci0 + 1u, 0u, a1[c]);
    store_grad_weight(co0 + c, ci0 + 2u, 0u, a2[c]);
    store_grad_weight(co0 + c, ci0 + 3u, 0u, a3[c]);
  }
}

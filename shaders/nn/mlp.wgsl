// Fully fused MLP: IN → HIDDEN × HIDDEN_LAYERS → OUT, hidden activation ACTIVATION, linear output.
// With RESIDUAL (IN == OUT) it is a residual block: y = x + MLP(x), dL/dx = dL/dy + MLPᵀ(dL/dy).
// One dispatch runs the whole forward (or the whole backward) of a batch; each invocation carries
// SAMPLES (4 or 8) samples as one or two vec4 lanes, so every weight it loads is reused SAMPLES
// times in SIMD arithmetic (the main cost on small models is memory traffic and dispatch count,
// not FLOPs). Activations live in two private tiles passed by pointer, layer by layer in turn:
// a dynamic ping-pong offset into one array was ~3x slower on SwiftShader.
// Twin: src/nn/reference/dense.ts.
//
// Parameters (contiguous from u.param_offset): for each linear layer l, W_l (out × in, row-major)
// then b_l (out). Cache (from u.cache_offset), used by backward and the weight-gradient kernel:
//   z(l, b, h)  = pre-activation of hidden layer l      at (l·batch + b)·HIDDEN + h
//   δ(l, b, o)  = dL/dz of linear layer l               after the z region, same layout;
//                 the output layer's δ (= dL/dy) last, batch × OUT (see delta_index);
//   a(l, b, h)  = act(z(l, b, h))                        after the δ region, like z (a_index).

struct MlpUniforms {
  batch: u32,
  param_offset: u32,
  input_offset: u32,
  output_offset: u32,
  cache_offset: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

const IN: u32 = {{IN}};
const HIDDEN: u32 = {{HIDDEN}};
const OUT: u32 = {{OUT}};
const HIDDEN_LAYERS: u32 = {{HIDDEN_LAYERS}};
const LAYERS: u32 = HIDDEN_LAYERS + 1u;
const ACTIVATION: u32 = {{ACTIVATION}};
const S: u32 = {{SAMPLES}};
const WIDTH: u32 = {{WIDTH}};
const STORE_CACHE: bool = {{STORE_CACHE}};
const WRITE_GRAD_IN: bool = {{WRITE_GRAD_IN}};
const RESIDUAL: bool = {{RESIDUAL}};
// Floats between consecutive samples' inputs (and dL/dx): > IN when the MLP reads some
// coordinates of wider rows, like a coupling layer's conditioner reading x_A of (x_A, x_B).
const IN_STRIDE: u32 = {{IN_STRIDE}};
// Backward adds dL/dx to what the buffer holds instead of overwriting it (the coupling layer
// has already written the pass-through part of dL/dx_A there).
const ACCUMULATE_GRAD_IN: bool = {{ACCUMULATE_GRAD_IN}};
const WG: u32 = {{WORKGROUP_SIZE}}u;

@group(0) @binding(0) var<uniform> u: MlpUniforms;
@group(0) @binding(1) var<storage, read> params: array<f32>;
// forward: the MLP input; backward: dL/dy.
@group(0) @binding(2) var<storage, read> mlp_in: array<f32>;
// forward: the MLP output; backward: dL/dx (written when WRITE_GRAD_IN).
@group(0) @binding(3) var<storage, read_write> mlp_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> cache: array<f32>;

// Samples in vec4 lanes: V lanes of 4 samples per invocation.
const V: u32 = S / 4u;
alias Tile = array<vec4<f32>, WIDTH * V>;
var<private> tile_a: Tile;
var<private> tile_b: Tile;

fn layer_inputs(l: u32) -> u32 { return select(HIDDEN, IN, l == 0u); }
fn layer_outputs(l: u32) -> u32 { return select(HIDDEN, OUT, l == LAYERS - 1u); }
fn layer_offset(l: u32) -> u32 {
  return select((IN + 1u) * HIDDEN + (l - 1u) * (HIDDEN + 1u) * HIDDEN, 0u, l == 0u);
}
fn z_index(l: u32, b: u32, h: u32) -> u32 { return u.cache_offset + (l * u.batch + b) * HIDDEN + h; }
fn delta_index(l: u32, b: u32, o: u32) -> u32 {
  let base = u.cache_offset + HIDDEN_LAYERS * u.batch * HIDDEN;
  if (l == LAYERS - 1u) { return base + HIDDEN_LAYERS * u.batch * HIDDEN + b * OUT + o; }
  return base + (l * u.batch + b) * HIDDEN + o;
}
// a(l, b, h) = act(z(l, b, h)), after the δ region: stored by the training forward so the
// weight-gradient kernel reads activations instead of recomputing act(z) once per row block
// (for tanh that recomputation cost more than the multiply-adds).
fn a_index(l: u32, b: u32, h: u32) -> u32 {
  let base = u.cache_offset + (2u * HIDDEN_LAYERS * HIDDEN + OUT) * u.batch;
  return base + (l * u.batch + b) * HIDDEN + h;
}
fn first_sample(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return (gid.x + gid.y * groups.x * WG) * S;
}

fn act4(z: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(act_apply(ACTIVATION, z.x), act_apply(ACTIVATION, z.y), act_apply(ACTIVATION, z.z), act_apply(ACTIVATION, z.w));
}

fn act_grad4(z: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(act_grad(ACTIVATION, z.x), act_grad(ACTIVATION, z.y), act_grad(ACTIVATION, z.z), act_grad(ACTIVATION, z.w));
}

// Sample of lane v, component c; padding lanes past the batch repeat the last sample (never stored).
fn sample_of(first: u32, v: u32, c: u32) -> u32 {
  return min(first + 4u * v + c, u.batch - 1u);
}

fn is_real(first: u32, v: u32, c: u32) -> bool {
  return first + 4u * v + c < u.batch;
}

// relu, leaky relu and tanh take act′ from the stored activation (hidden_grad4): their z is never
// read back, so the training forward skips that store (one scattered write per unit and sample).
const Z_NEEDED: bool = !(ACTIVATION == 1u || ACTIVATION == 2u || ACTIVATION == 3u);

// Stores the pre-activations z (when backward needs them) and activations a of hidden layer l,
// unit o, for lane v's samples.
fn store_z(l: u32, o: u32, first: u32, v: u32, z: vec4<f32>, a: vec4<f32>) {
  for (var c = 0u; c < 4u; c++) {
    if (is_real(first, v, c)) {
      let b = first + 4u * v + c;
      if (Z_NEEDED) { cache[z_index(l, b, o)] = z[c]; }
      cache[a_index(l, b, o)] = a[c];
    }
  }
}

fn load_z(l: u32, j: u32, first: u32, v: u32) -> vec4<f32> {
  return vec4<f32>(
    cache[z_index(l, sample_of(first, v, 0u), j)],
    cache[z_index(l, sample_of(first, v, 1u), j)],
    cache[z_index(l, sample_of(first, v, 2u), j)],
    cache[z_index(l, sample_of(first, v, 3u), j)],
  );
}

fn load_a(l: u32, j: u32, first: u32, v: u32) -> vec4<f32> {
  return vec4<f32>(
    cache[a_index(l, sample_of(first, v, 0u), j)],
    cache[a_index(l, sample_of(first, v, 1u), j)],
    cache[a_index(l, sample_of(first, v, 2u), j)],
    cache[a_index(l, sample_of(first, v, 3u), j)],
  );
}

// act′(z) of hidden layer l: from the stored activation where it determines the derivative
// (relu, leaky relu: the sign; tanh: 1 − a²), saving a transcendental per unit; from z otherwise.
fn hidden_grad4(l: u32, j: u32, first: u32, v: u32) -> vec4<f32> {
  if (ACTIVATION == 3u) {
    let a = load_a(l, j, first, v);
    return vec4<f32>(1.0) - a * a;
  }
  if (ACTIVATION == 1u || ACTIVATION == 2u) {
    let a = load_a(l, j, first, v);
    return select(vec4<f32>(select(0.0, 0.01, ACTIVATION == 2u)), vec4<f32>(1.0), a > vec4<f32>(0.0));
  }
  return act_grad4(load_z(l, j, first, v));
}

fn store_delta(l: u32, o: u32, first: u32, v: u32, d: vec4<f32>) {
  for (var c = 0u; c < 4u; c++) {
    if (is_real(first, v, c)) { cache[delta_index(l, first + 4u * v + c, o)] = d[c]; }
  }
}

fn write_output(o: u32, first: u32, v: u32, y: vec4<f32>) {
  for (var c = 0u; c < 4u; c++) {
    if (!is_real(first, v, c)) { continue; }
    let b = first + 4u * v + c;
    var value = y[c];
    if (RESIDUAL) { value += mlp_in[u.input_offset + b * IN_STRIDE + o]; }
    mlp_out[u.output_offset + b * OUT + o] = value;
  }
}

fn write_grad_in(j: u32, first: u32, v: u32, g: vec4<f32>) {
  for (var c = 0u; c < 4u; c++) {
    if (!is_real(first, v, c)) { continue; }
    let b = first + 4u * v + c;
    var value = g[c];
    if (RESIDUAL) { value += mlp_in[u.output_offset + b * OUT + j]; }
    let at = u.input_offset + b * IN_STRIDE + j;
    if (ACCUMULATE_GRAD_IN) { value += mlp_out[at]; }
    mlp_out[at] = value;
  }
}

// Hidden unit (or output) o of layer l from its accumulated pre-activations (lanes 0 and 1).
fn finish_output(l: u32, o: u32, first: u32, acc0: vec4<f32>, acc1: vec4<f32>, dst: ptr<private, Tile>) {
  if (l < LAYERS - 1u) {
    let a0 = act4(acc0);
    (*dst)[o * V] = a0;
    if (STORE_CACHE) { store_z(l, o, first, 0u, acc0, a0); }
    if (V == 2u) {
      let a1 = act4(acc1);
      (*dst)[o * V + 1u] = a1;
      if (STORE_CACHE) { store_z(l, o, first, 1u, acc1, a1); }
    }
  } else {
    write_output(o, first, 0u, acc0);
    if (V == 2u) { write_output(o, first, 1u, acc1); }
  }
}

// Eight outputs at a time: each input read from the private tile is used for eight outputs. On a
// CPU adapter (SwiftShader) every load whose index is not a SPIR-V constant is a per-lane gather
// with a bounds check, the private tile's as much as a weight's, so a j step costs 8 weight
// loads + 2 tile loads for 64 multiply-adds per sample lane (four rows: 4 + 2 for 32, ~15%
// slower at width 256; sixteen rows spill too many accumulators and were slower still). Rows
// past n_out repeat the last row (clamped weight index, no branch in the loop), never stored.
fn forward_layer(l: u32, first: u32, src: ptr<private, Tile>, dst: ptr<private, Tile>) {
  let n_in = layer_inputs(l);
  let n_out = layer_outputs(l);
  let w0 = u.param_offset + layer_offset(l);
  let b0 = w0 + n_in * n_out;
  let last = n_out - 1u;
  for (var o = 0u; o < n_out; o += 8u) {
    let row0 = w0 + min(o + 0u, last) * n_in;
    let row1 = w0 + min(o + 1u, last) * n_in;
    let row2 = w0 + min(o + 2u, last) * n_in;
    let row3 = w0 + min(o + 3u, last) * n_in;
    let row4 = w0 + min(o + 4u, last) * n_in;
    let row5 = w0 + min(o + 5u, last) * n_in;
    let row6 = w0 + min(o + 6u, last) * n_in;
    let row7 = w0 + min(o + 7u, last) * n_in;
    var p0 = vec4<f32>(params[b0 + min(o + 0u, last)]);
    var p1 = vec4<f32>(params[b0 + min(o + 1u, last)]);
    var p2 = vec4<f32>(params[b0 + min(o + 2u, last)]);
    var p3 = vec4<f32>(params[b0 + min(o + 3u, last)]);
    var p4 = vec4<f32>(params[b0 + min(o + 4u, last)]);
    var p5 = vec4<f32>(params[b0 + min(o + 5u, last)]);
    var p6 = vec4<f32>(params[b0 + min(o + 6u, last)]);
    var p7 = vec4<f32>(params[b0 + min(o + 7u, last)]);
    var q0 = p0;
    var q1 = p1;
    var q2 = p2;
    var q3 = p3;
    var q4 = p4;
    var q5 = p5;
    var q6 = p6;
    var q7 = p7;
    for (var j = 0u; j < n_in; j++) {
      let w_0 = params[row0 + j];
      let w_1 = params[row1 + j];
      let w_2 = params[row2 + j];
      let w_3 = params[row3 + j];
      let w_4 = params[row4 + j];
      let w_5 = params[row5 + j];
      let w_6 = params[row6 + j];
      let w_7 = params[row7 + j];
      let x0 = (*src)[j * V];
      p0 += w_0 * x0;
      p1 += w_1 * x0;
      p2 += w_2 * x0;
      p3 += w_3 * x0;
      p4 += w_4 * x0;
      p5 += w_5 * x0;
      p6 += w_6 * x0;
      p7 += w_7 * x0;
      if (V == 2u) {
        let x1 = (*src)[j * V + 1u];
        q0 += w_0 * x1;
        q1 += w_1 * x1;
        q2 += w_2 * x1;
        q3 += w_3 * x1;
        q4 += w_4 * x1;
        q5 += w_5 * x1;
        q6 += w_6 * x1;
        q7 += w_7 * x1;
      }
    }
    if (o + 0u < n_out) { finish_output(l, o + 0u, first, p0, q0, dst); }
    if (o + 1u < n_out) { finish_output(l, o + 1u, first, p1, q1, dst); }
    if (o + 2u < n_out) { finish_output(l, o + 2u, first, p2, q2, dst); }
    if (o + 3u < n_out) { finish_output(l, o + 3u, first, p3, q3, dst); }
    if (o + 4u < n_out) { finish_output(l, o + 4u, first, p4, q4, dst); }
    if (o + 5u < n_out) { finish_output(l, o + 5u, first, p5, q5, dst); }
    if (o + 6u < n_out) { finish_output(l, o + 6u, first, p6, q6, dst); }
    if (o + 7u < n_out) { finish_output(l, o + 7u, first, p7, q7, dst); }
  }
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_sample(gid, groups);
  if (first >= u.batch) { return; }
  for (var v = 0u; v < V; v++) {
    for (var j = 0u; j < IN; j++) {
      let base = u.input_offset + j;
      tile_a[j * V + v] = vec4<f32>(
        mlp_in[base + sample_of(first, v, 0u) * IN_STRIDE],
        mlp_in[base + sample_of(first, v, 1u) * IN_STRIDE],
        mlp_in[base + sample_of(first, v, 2u) * IN_STRIDE],
        mlp_in[base + sample_of(first, v, 3u) * IN_STRIDE],
      );
    }
  }
  for (var l = 0u; l < LAYERS; l++) {
    if (l % 2u == 0u) { forward_layer(l, first, &tile_a, &tile_b); } else { forward_layer(l, first, &tile_b, &tile_a); }
  }
}

// Input j of layer l from its accumulated Wᵀδ (lanes 0 and 1): δ_{l−1} into dst and the cache,
// or dL/dx for l = 0.
fn finish_delta(l: u32, j: u32, first: u32, acc0: vec4<f32>, acc1: vec4<f32>, dst: ptr<private, Tile>) {
  if (l > 0u) {
    let d0 = acc0 * hidden_grad4(l - 1u, j, first, 0u);
    (*dst)[j * V] = d0;
    store_delta(l - 1u, j, first, 0u, d0);
    if (V == 2u) {
      let d1 = acc1 * hidden_grad4(l - 1u, j, first, 1u);
      (*dst)[j * V + 1u] = d1;
      store_delta(l - 1u, j, first, 1u, d1);
    }
  } else {
    write_grad_in(j, first, 0u, acc0);
    if (V == 2u) { write_grad_in(j, first, 1u, acc1); }
  }
}

// δ_l (in src) → δ_{l−1} (into dst and the cache), or dL/dx for l = 0; eight inputs at a time,
// so each δ read from the private tile is used eight times (see forward_layer).
fn backward_layer(l: u32, first: u32, src: ptr<private, Tile>, dst: ptr<private, Tile>) {
  let n_in = layer_inputs(l);
  let n_out = layer_outputs(l);
  let w0 = u.param_offset + layer_offset(l);
  let last = n_in - 1u;
  for (var j = 0u; j < n_in; j += 8u) {
    let j0 = min(j + 0u, last);
    let j1 = min(j + 1u, last);
    let j2 = min(j + 2u, last);
    let j3 = min(j + 3u, last);
    let j4 = min(j + 4u, last);
    let j5 = min(j + 5u, last);
    let j6 = min(j + 6u, last);
    let j7 = min(j + 7u, last);
    var p0 = vec4<f32>(0.0);
    var q0 = vec4<f32>(0.0);
    var p1 = vec4<f32>(0.0);
    var q1 = vec4<f32>(0.0);
    var p2 = vec4<f32>(0.0);
    var q2 = vec4<f32>(0.0);
    var p3 = vec4<f32>(0.0);
    var q3 = vec4<f32>(0.0);
    var p4 = vec4<f32>(0.0);
    var q4 = vec4<f32>(0.0);
    var p5 = vec4<f32>(0.0);
    var q5 = vec4<f32>(0.0);
    var p6 = vec4<f32>(0.0);
    var q6 = vec4<f32>(0.0);
    var p7 = vec4<f32>(0.0);
    var q7 = vec4<f32>(0.0);
    for (var o = 0u; o < n_out; o++) {
      let row = w0 + o * n_in;
      let w_0 = params[row + j0];
      let w_1 = params[row + j1];
      let w_2 = params[row + j2];
      let w_3 = params[row + j3];
      let w_4 = params[row + j4];
      let w_5 = params[row + j5];
      let w_6 = params[row + j6];
      let w_7 = params[row + j7];
      let d0 = (*src)[o * V];
      p0 += w_0 * d0;
      p1 += w_1 * d0;
      p2 += w_2 * d0;
      p3 += w_3 * d0;
      p4 += w_4 * d0;
      p5 += w_5 * d0;
      p6 += w_6 * d0;
      p7 += w_7 * d0;
      if (V == 2u) {
        let d1 = (*src)[o * V + 1u];
        q0 += w_0 * d1;
        q1 += w_1 * d1;
        q2 += w_2 * d1;
        q3 += w_3 * d1;
        q4 += w_4 * d1;
        q5 += w_5 * d1;
        q6 += w_6 * d1;
        q7 += w_7 * d1;
      }
    }
    if (j + 0u < n_in) { finish_delta(l, j + 0u, first, p0, q0, dst); }
    if (j + 1u < n_in) { finish_delta(l, j + 1u, first, p1, q1, dst); }
    if (j + 2u < n_in) { finish_delta(l, j + 2u, first, p2, q2, dst); }
    if (j + 3u < n_in) { finish_delta(l, j + 3u, first, p3, q3, dst); }
    if (j + 4u < n_in) { finish_delta(l, j + 4u, first, p4, q4, dst); }
    if (j + 5u < n_in) { finish_delta(l, j + 5u, first, p5, q5, dst); }
    if (j + 6u < n_in) { finish_delta(l, j + 6u, first, p6, q6, dst); }
    if (j + 7u < n_in) { finish_delta(l, j + 7u, first, p7, q7, dst); }
  }
}

// Reads dL/dy, writes δ for every layer into the cache (for the weight gradients) and, when
// WRITE_GRAD_IN, dL/dx. Needs the cache of a forward with STORE_CACHE on the same batch.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_sample(gid, groups);
  if (first >= u.batch) { return; }
  for (var v = 0u; v < V; v++) {
    for (var o = 0u; o < OUT; o++) {
      let g = vec4<f32>(
        mlp_in[u.output_offset + sample_of(first, v, 0u) * OUT + o],
        mlp_in[u.output_offset + sample_of(first, v, 1u) * OUT + o],
        mlp_in[u.output_offset + sample_of(first, v, 2u) * OUT + o],
        mlp_in[u.output_offset + sample_of(first, v, 3u) * OUT + o],
      );
      tile_a[o * V + v] = g;
      store_delta(LAYERS - 1u, o, first, v, g);
    }
  }
  // Layer 0's backward only produces dL/dx: skip it unless asked.
  let lowest = select(1u, 0u, WRITE_GRAD_IN);
  for (var step = 0u; step < LAYERS - lowest; step++) {
    let l = LAYERS - 1u - step;
    if (step % 2u == 0u) { backward_layer(l, first, &tile_a, &tile_b); } else { backward_layer(l, first, &tile_b, &tile_a); }
  }
}

// Fully fused MLP: IN → HIDDEN × HIDDEN_LAYERS → OUT, hidden activation ACTIVATION, linear output.
// With RESIDUAL (IN == OUT) it is a residual block: y = x + MLP(x), dL/dx = dL/dy + MLPᵀ(dL/dy).
// One dispatch runs the whole forward (or the whole backward) of a batch; each invocation carries
// SAMPLES (4 or 8) samples as one or two vec4 lanes, so every weight it loads is reused SAMPLES
// times in SIMD arithmetic (the main cost on small models is memory traffic and dispatch count,
// not FLOPs). Activations live in two private tiles passed by pointer, layer by layer in turn:
// a dynamic ping-pong offset into one array was ~3x slower on SwiftShader.
// The layer loops forward_layer / backward_layer (and skip_padding_invocation) come from a
// library linked with this file: shaders/nn/mlp-rows4.wgsl, mlp-rows8.wgsl or
// mlp-rows8-subgroup.wgsl (kernelTuning's `rows` and `subgroups`).
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

// True when the whole workgroup lies past the batch (a uniform condition: the subgroup layer
// loops need uniform control flow).
fn workgroup_is_idle(wid: vec3<u32>, groups: vec3<u32>) -> bool {
  return (wid.x + wid.y * groups.x) * WG * S >= u.batch;
}

@compute @workgroup_size(WG)
fn forward(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  if (workgroup_is_idle(wid, groups)) { return; }
  let first = first_sample(gid, groups);
  // The layer library decides whether an invocation past the batch may stop here (see
  // mlp-rows8-subgroup.wgsl for why it may not); if it runs, it stores nothing.
  if (skip_padding_invocation(first)) { return; }
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

// Reads dL/dy, writes δ for every layer into the cache (for the weight gradients) and, when
// WRITE_GRAD_IN, dL/dx. Needs the cache of a forward with STORE_CACHE on the same batch.
@compute @workgroup_size(WG)
fn backward(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  if (workgroup_is_idle(wid, groups)) { return; }
  let first = first_sample(gid, groups);
  if (skip_padding_invocation(first)) { return; }
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

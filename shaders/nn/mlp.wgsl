// Fully fused MLP: IN → HIDDEN × HIDDEN_LAYERS → OUT, hidden activation ACTIVATION, linear output.
// With RESIDUAL (IN == OUT) it is a residual block: y = x + MLP(x), dL/dx = dL/dy + MLPᵀ(dL/dy).
// One dispatch runs the whole forward (or the whole backward) of a batch; each invocation carries
// SAMPLES samples so every weight it loads is reused SAMPLES times (the main cost on small
// models is memory traffic and dispatch count, not FLOPs). Twin: src/nn/reference/dense.ts.
//
// Parameters (contiguous from u.param_offset): for each linear layer l, W_l (out × in, row-major)
// then b_l (out). Cache (from u.cache_offset), used by backward and the weight-gradient kernel:
//   z(l, b, h)  = pre-activation of hidden layer l      at (l·batch + b)·HIDDEN + h
//   δ(l, b, o)  = dL/dz of linear layer l               after the z region, same layout;
//                 the output layer's δ (= dL/dy) last, at (HIDDEN_LAYERS·batch + b)·HIDDEN... see delta_index.

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

// Two ping-pong activation tiles, WIDTH values × S samples each, sample-minor.
var<private> tiles: array<f32, 2u * WIDTH * S>;

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
fn first_sample(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return (gid.x + gid.y * groups.x * WG) * S;
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_sample(gid, groups);
  if (first >= u.batch) { return; }
  for (var s = 0u; s < S; s++) {
    let b = min(first + s, u.batch - 1u); // padding samples repeat the last one, never stored
    for (var j = 0u; j < IN; j++) { tiles[j * S + s] = mlp_in[u.input_offset + b * IN_STRIDE + j]; }
  }
  var src = 0u;
  var dst = WIDTH * S;
  for (var l = 0u; l < LAYERS; l++) {
    let n_in = layer_inputs(l);
    let n_out = layer_outputs(l);
    let w0 = u.param_offset + layer_offset(l);
    let b0 = w0 + n_in * n_out;
    for (var o = 0u; o < n_out; o++) {
      var acc: array<f32, S>;
      let bias = params[b0 + o];
      for (var s = 0u; s < S; s++) { acc[s] = bias; }
      let row = w0 + o * n_in;
      for (var j = 0u; j < n_in; j++) {
        let w = params[row + j];
        for (var s = 0u; s < S; s++) { acc[s] += w * tiles[src + j * S + s]; }
      }
      for (var s = 0u; s < S; s++) {
        let b = first + s;
        if (l < LAYERS - 1u) {
          tiles[dst + o * S + s] = act_apply(ACTIVATION, acc[s]);
          if (STORE_CACHE && b < u.batch) { cache[z_index(l, b, o)] = acc[s]; }
        } else if (b < u.batch) {
          var y = acc[s];
          if (RESIDUAL) { y += mlp_in[u.input_offset + b * IN_STRIDE + o]; }
          mlp_out[u.output_offset + b * OUT + o] = y;
        }
      }
    }
    let t = src;
    src = dst;
    dst = t;
  }
}

// Reads dL/dy, writes δ for every layer into the cache (for the weight gradients) and, when
// WRITE_GRAD_IN, dL/dx. Needs the cache of a forward with STORE_CACHE on the same batch.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = first_sample(gid, groups);
  if (first >= u.batch) { return; }
  for (var s = 0u; s < S; s++) {
    let b = min(first + s, u.batch - 1u);
    for (var o = 0u; o < OUT; o++) {
      let g = mlp_in[u.output_offset + b * OUT + o];
      tiles[o * S + s] = g;
      if (first + s < u.batch) { cache[delta_index(LAYERS - 1u, b, o)] = g; }
    }
  }
  var src = 0u;
  var dst = WIDTH * S;
  let last_layer = select(1u, 0u, WRITE_GRAD_IN); // layer 0's input gradient only when asked
  for (var l = LAYERS - 1u; l >= last_layer && l < LAYERS; l--) {
    let n_in = layer_inputs(l);
    let n_out = layer_outputs(l);
    let w0 = u.param_offset + layer_offset(l);
    for (var j = 0u; j < n_in; j++) {
      // Zeroed explicitly: SwiftShader was seen keeping a loop-local array's values across
      // iterations, although WGSL zero-initialises a var at each declaration.
      var acc: array<f32, S>;
      for (var s = 0u; s < S; s++) { acc[s] = 0.0; }
      for (var o = 0u; o < n_out; o++) {
        let w = params[w0 + o * n_in + j];
        for (var s = 0u; s < S; s++) { acc[s] += w * tiles[src + o * S + s]; }
      }
      for (var s = 0u; s < S; s++) {
        let b = first + s;
        if (l > 0u) {
          let bz = min(b, u.batch - 1u);
          let d = acc[s] * act_grad(ACTIVATION, cache[z_index(l - 1u, bz, j)]);
          tiles[dst + j * S + s] = d;
          if (b < u.batch) { cache[delta_index(l - 1u, b, j)] = d; }
        } else if (b < u.batch) {
          var g = acc[s];
          if (RESIDUAL) { g += mlp_in[u.output_offset + b * OUT + j]; }
          let at = u.input_offset + b * IN_STRIDE + j;
          if (ACCUMULATE_GRAD_IN) { g += mlp_out[at]; }
          mlp_out[at] = g;
        }
      }
    }
    let t = src;
    src = dst;
    dst = t;
    if (l == 0u) { break; }
  }
}

// Eight-row layer loops of the fused MLP with the weights shared through subgroup broadcasts
// (shaders/nn/mlp.wgsl links this file, mlp-rows8.wgsl or mlp-rows4.wgsl; kernelTuning picks it
// on CPU adapters whose device has the 'subgroups' feature; the module starts with
// lib/enable-subgroups.wgsl). Uses mlp.wgsl's Tile, params, V, finish_output and finish_delta.
// Twin: src/nn/reference/dense.ts. Same sums in the same order as mlp-rows8.wgsl.
//
// Why: on SwiftShader a subgroup is one SIMD group of 4 invocations, and a storage load whose
// index is not a compile-time constant is a 4-lane gather even when every lane asks for the same
// weight, so mlp-rows8.wgsl paid 8 gathers of one weight each per input step. Here each lane
// gathers a different weight (2 gathers for the 8 rows) and subgroupBroadcast, a register
// shuffle, hands all 8 to every lane. Every subgroup op sits in uniform control flow: mlp.wgsl
// keeps padding invocations running (skip_padding_invocation is false here) and stores nothing
// for them.

// An invocation past the batch still runs the layer loops (clamped samples, no stores): its lane
// feeds its neighbours' broadcasts.
fn skip_padding_invocation(first: u32) -> bool { return false; }

// The invocation's index in its subgroup, counted with a subgroup scan: all lanes are active
// (uniform control flow), so it equals subgroup_invocation_id without changing the entry points.
fn subgroup_lane() -> u32 { return subgroupExclusiveAdd(1u); }

fn forward_layer(l: u32, first: u32, src: ptr<private, Tile>, dst: ptr<private, Tile>) {
  let n_in = layer_inputs(l);
  let n_out = layer_outputs(l);
  let w0 = u.param_offset + layer_offset(l);
  let b0 = w0 + n_in * n_out;
  let last = n_out - 1u;
  let lane4 = subgroup_lane() & 3u;
  for (var o = 0u; o < n_out; o += 8u) {
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
    // Lane k of each group of four loads rows o + k and o + 4 + k; the broadcasts hand every lane
    // all eight (lanes 4, 5, … of a wider subgroup repeat lanes 0–3's loads).
    let row_lo = w0 + min(o + lane4, last) * n_in;
    let row_hi = w0 + min(o + 4u + lane4, last) * n_in;
    for (var j = 0u; j < n_in; j++) {
      let w_lo = params[row_lo + j];
      let w_hi = params[row_hi + j];
      let w_0 = subgroupBroadcast(w_lo, 0u);
      let w_1 = subgroupBroadcast(w_lo, 1u);
      let w_2 = subgroupBroadcast(w_lo, 2u);
      let w_3 = subgroupBroadcast(w_lo, 3u);
      let w_4 = subgroupBroadcast(w_hi, 0u);
      let w_5 = subgroupBroadcast(w_hi, 1u);
      let w_6 = subgroupBroadcast(w_hi, 2u);
      let w_7 = subgroupBroadcast(w_hi, 3u);
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

// δ_l (in src) → δ_{l−1} (into dst and the cache), or dL/dx for l = 0; eight inputs at a time,
// so each δ read from the private tile is used eight times (see forward_layer).
fn backward_layer(l: u32, first: u32, src: ptr<private, Tile>, dst: ptr<private, Tile>) {
  let n_in = layer_inputs(l);
  let n_out = layer_outputs(l);
  let w0 = u.param_offset + layer_offset(l);
  let last = n_in - 1u;
  let lane4 = subgroup_lane() & 3u;
  for (var j = 0u; j < n_in; j += 8u) {
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
    // Lane k of each group of four loads columns j + k and j + 4 + k of row o (see forward_layer).
    let col_lo = min(j + lane4, last);
    let col_hi = min(j + 4u + lane4, last);
    for (var o = 0u; o < n_out; o++) {
      let row = w0 + o * n_in;
      let w_lo = params[row + col_lo];
      let w_hi = params[row + col_hi];
      let w_0 = subgroupBroadcast(w_lo, 0u);
      let w_1 = subgroupBroadcast(w_lo, 1u);
      let w_2 = subgroupBroadcast(w_lo, 2u);
      let w_3 = subgroupBroadcast(w_lo, 3u);
      let w_4 = subgroupBroadcast(w_hi, 0u);
      let w_5 = subgroupBroadcast(w_hi, 1u);
      let w_6 = subgroupBroadcast(w_hi, 2u);
      let w_7 = subgroupBroadcast(w_hi, 3u);
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

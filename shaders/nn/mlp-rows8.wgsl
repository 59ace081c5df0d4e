// Eight-row layer loops of the fused MLP (shaders/nn/mlp.wgsl links this file or
// mlp-rows4.wgsl; both define forward_layer and backward_layer). Uses mlp.wgsl's Tile, params,
// V, finish_output and finish_delta. Twin: src/nn/reference/dense.ts (each sum runs in the same
// order as with four rows, so both give bit-identical results).

// An invocation whose samples all lie past the batch stops at once.
fn skip_padding_invocation(first: u32) -> bool { return first >= u.batch; }

// Eight outputs at a time: each input read from the private tile
// is used for eight outputs. On a CPU adapter (SwiftShader) every load whose index is not a
// SPIR-V constant is a per-lane gather with a bounds check, the private tile's as much as a
// weight's, so a j step costs 8 weight loads + 2 tile loads for 64 multiply-adds per sample lane
// instead of 4 + 2 for 32: ~15% faster at width 256, but about twice the compile time, so
// kernelTuning picks it only for wide layers on CPU adapters (rows = 8). Sixteen rows spill too
// many accumulators and were slower. Rows past n_out repeat the last row (clamped weight index,
// no branch in the loop) and are never stored.
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

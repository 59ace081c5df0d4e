// Four-row layer loops of the fused MLP (shaders/nn/mlp.wgsl links this file or
// mlp-rows8.wgsl; both define forward_layer and backward_layer). Uses mlp.wgsl's Tile, params,
// V, finish_output and finish_delta. Twin: src/nn/reference/dense.ts.

// An invocation whose samples all lie past the batch stops at once.
fn skip_padding_invocation(first: u32) -> bool { return first >= u.batch; }

// Four outputs at a time: each input read from the private tile is used for four outputs. On a
// CPU adapter a dynamically indexed private load is a per-lane gather, as costly as a weight
// load, so one output at a time spent more on tile loads than on arithmetic. Rows past n_out
// repeat the last row (clamped weight index, no branch in the loop) and are never stored.
fn forward_layer(l: u32, first: u32, src: ptr<private, Tile>, dst: ptr<private, Tile>) {
  let n_in = layer_inputs(l);
  let n_out = layer_outputs(l);
  let w0 = u.param_offset + layer_offset(l);
  let b0 = w0 + n_in * n_out;
  for (var o = 0u; o < n_out; o += 4u) {
    let row0 = w0 + o * n_in;
    let row1 = w0 + min(o + 1u, n_out - 1u) * n_in;
    let row2 = w0 + min(o + 2u, n_out - 1u) * n_in;
    let row3 = w0 + min(o + 3u, n_out - 1u) * n_in;
    var p0 = vec4<f32>(params[b0 + o]);
    var p1 = vec4<f32>(params[b0 + min(o + 1u, n_out - 1u)]);
    var p2 = vec4<f32>(params[b0 + min(o + 2u, n_out - 1u)]);
    var p3 = vec4<f32>(params[b0 + min(o + 3u, n_out - 1u)]);
    var q0 = p0;
    var q1 = p1;
    var q2 = p2;
    var q3 = p3;
    for (var j = 0u; j < n_in; j++) {
      let w_0 = params[row0 + j];
      let w_1 = params[row1 + j];
      let w_2 = params[row2 + j];
      let w_3 = params[row3 + j];
      let x0 = (*src)[j * V];
      p0 += w_0 * x0;
      p1 += w_1 * x0;
      p2 += w_2 * x0;
      p3 += w_3 * x0;
      if (V == 2u) {
        let x1 = (*src)[j * V + 1u];
        q0 += w_0 * x1;
        q1 += w_1 * x1;
        q2 += w_2 * x1;
        q3 += w_3 * x1;
      }
    }
    finish_output(l, o, first, p0, q0, dst);
    if (o + 1u < n_out) { finish_output(l, o + 1u, first, p1, q1, dst); }
    if (o + 2u < n_out) { finish_output(l, o + 2u, first, p2, q2, dst); }
    if (o + 3u < n_out) { finish_output(l, o + 3u, first, p3, q3, dst); }
  }
}

// δ_l (in src) → δ_{l−1} (into dst and the cache), or dL/dx for l = 0; four inputs at a time,
// so each δ read from the private tile is used four times (see forward_layer).
fn backward_layer(l: u32, first: u32, src: ptr<private, Tile>, dst: ptr<private, Tile>) {
  let n_in = layer_inputs(l);
  let n_out = layer_outputs(l);
  let w0 = u.param_offset + layer_offset(l);
  for (var j = 0u; j < n_in; j += 4u) {
    let j1 = min(j + 1u, n_in - 1u);
    let j2 = min(j + 2u, n_in - 1u);
    let j3 = min(j + 3u, n_in - 1u);
    var p0 = vec4<f32>(0.0);
    var p1 = vec4<f32>(0.0);
    var p2 = vec4<f32>(0.0);
    var p3 = vec4<f32>(0.0);
    var q0 = vec4<f32>(0.0);
    var q1 = vec4<f32>(0.0);
    var q2 = vec4<f32>(0.0);
    var q3 = vec4<f32>(0.0);
    for (var o = 0u; o < n_out; o++) {
      let row = w0 + o * n_in;
      let w_0 = params[row + j];
      let w_1 = params[row + j1];
      let w_2 = params[row + j2];
      let w_3 = params[row + j3];
      let d0 = (*src)[o * V];
      p0 += w_0 * d0;
      p1 += w_1 * d0;
      p2 += w_2 * d0;
      p3 += w_3 * d0;
      if (V == 2u) {
        let d1 = (*src)[o * V + 1u];
        q0 += w_0 * d1;
        q1 += w_1 * d1;
        q2 += w_2 * d1;
        q3 += w_3 * d1;
      }
    }
    finish_delta(l, j, first, p0, q0, dst);
    if (j + 1u < n_in) { finish_delta(l, j + 1u, first, p1, q1, dst); }
    if (j + 2u < n_in) { finish_delta(l, j + 2u, first, p2, q2, dst); }
    if (j + 3u < n_in) { finish_delta(l, j + 3u, first, p3, q3, dst); }
  }
}

// Four-row hidden layers of the fused flow generator (shaders/flows/fused-inverse.wgsl links this
// file or fused-inverse-rows4-subgroup.wgsl). Uses its Tile, params, V, HIDDEN and act4.

// An invocation whose samples all lie past the count stops at once.
fn skip_padding_invocation(first: u32) -> bool { return first >= u.count; }

// A hidden layer HIDDEN → HIDDEN, four rows per pass over the source tile.
fn hidden_layer(w0: u32, src: ptr<private, Tile>, dst: ptr<private, Tile>) {
  let b0 = w0 + HIDDEN * HIDDEN;
  for (var o = 0u; o < HIDDEN; o += 4u) {
    let row0 = w0 + o * HIDDEN;
    let row1 = w0 + min(o + 1u, HIDDEN - 1u) * HIDDEN;
    let row2 = w0 + min(o + 2u, HIDDEN - 1u) * HIDDEN;
    let row3 = w0 + min(o + 3u, HIDDEN - 1u) * HIDDEN;
    var p0 = vec4<f32>(params[b0 + o]);
    var p1 = vec4<f32>(params[b0 + min(o + 1u, HIDDEN - 1u)]);
    var p2 = vec4<f32>(params[b0 + min(o + 2u, HIDDEN - 1u)]);
    var p3 = vec4<f32>(params[b0 + min(o + 3u, HIDDEN - 1u)]);
    var q0 = p0;
    var q1 = p1;
    var q2 = p2;
    var q3 = p3;
    for (var j = 0u; j < HIDDEN; j++) {
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
    (*dst)[o * V] = act4(p0);
    if (o + 1u < HIDDEN) { (*dst)[(o + 1u) * V] = act4(p1); }
    if (o + 2u < HIDDEN) { (*dst)[(o + 2u) * V] = act4(p2); }
    if (o + 3u < HIDDEN) { (*dst)[(o + 3u) * V] = act4(p3); }
    if (V == 2u) {
      (*dst)[o * V + 1u] = act4(q0);
      if (o + 1u < HIDDEN) { (*dst)[(o + 1u) * V + 1u] = act4(q1); }
      if (o + 2u < HIDDEN) { (*dst)[(o + 2u) * V + 1u] = act4(q2); }
      if (o + 3u < HIDDEN) { (*dst)[(o + 3u) * V + 1u] = act4(q3); }
    }
  }
}

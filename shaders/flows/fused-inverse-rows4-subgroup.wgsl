// Four-row hidden layers of the fused flow generator with the weights shared through subgroup
// broadcasts (shaders/flows/fused-inverse.wgsl links this file or fused-inverse-rows4.wgsl; the
// module starts with lib/enable-subgroups.wgsl). Same sums in the same order as the plain file.
// On SwiftShader a subgroup is one SIMD group of 4 invocations and a storage load with a
// run-time index is a 4-lane gather even when all lanes read the same weight: here each lane
// gathers a different row's weight (1 gather instead of 4 per input) and subgroupBroadcast, a
// register shuffle, hands all four to every lane (see shaders/nn/mlp-rows8-subgroup.wgsl).

// Invocations past the count keep running (their stores are skipped): their lanes feed the
// broadcasts, which need uniform control flow.
fn skip_padding_invocation(first: u32) -> bool { return false; }

// A hidden layer HIDDEN → HIDDEN, four rows per pass over the source tile.
fn hidden_layer(w0: u32, src: ptr<private, Tile>, dst: ptr<private, Tile>) {
  let b0 = w0 + HIDDEN * HIDDEN;
  let lane4 = subgroupExclusiveAdd(1u) & 3u;
  for (var o = 0u; o < HIDDEN; o += 4u) {
    // Lane k of each group of four loads row o + k; the broadcasts hand every lane all four.
    let row = w0 + min(o + lane4, HIDDEN - 1u) * HIDDEN;
    var p0 = vec4<f32>(params[b0 + o]);
    var p1 = vec4<f32>(params[b0 + min(o + 1u, HIDDEN - 1u)]);
    var p2 = vec4<f32>(params[b0 + min(o + 2u, HIDDEN - 1u)]);
    var p3 = vec4<f32>(params[b0 + min(o + 3u, HIDDEN - 1u)]);
    var q0 = p0;
    var q1 = p1;
    var q2 = p2;
    var q3 = p3;
    for (var j = 0u; j < HIDDEN; j++) {
      let w = params[row + j];
      let w_0 = subgroupBroadcast(w, 0u);
      let w_1 = subgroupBroadcast(w, 1u);
      let w_2 = subgroupBroadcast(w, 2u);
      let w_3 = subgroupBroadcast(w, 3u);
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

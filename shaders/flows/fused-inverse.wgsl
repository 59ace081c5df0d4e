// A flow's whole generator in one dispatch (issue #19): each invocation draws S base points
// z ~ N(0, I) (sample_base's Philox counter, base.wgsl), inverts every layer from the last to the
// first — coupling layers with their conditioner MLP evaluated in the kernel, and the per-
// coordinate layers (NICE scaling, ActNorm, reversal) — and writes data coordinates
// (to_data's map). The same maps as coupling.wgsl's and elementwise.wgsl's inverse entries and
// the fused MLP; 1 dispatch instead of 2 + 2 per coupling, no buffers between layers.
// Twin: FlowModel.inverseTwin (flow-model.ts) on the same base noise.
//
// Layer table, 2 words per layer: the kind (0 coupling conditioned on coordinate 0, 1 coupling
// conditioned on 1, 2 scaling, 3 ActNorm, 4 reversal) and the layer's parameter offset.

struct FusedUniforms {
  count: u32,
  index_offset: u32,
  seed_lo: u32,
  seed_hi: u32,
  layers: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
  shift: vec2<f32>,
  scale: vec2<f32>,
}

const HIDDEN: u32 = {{HIDDEN}};
const HIDDEN_LAYERS: u32 = {{HIDDEN_LAYERS}};
const LAYERS: u32 = HIDDEN_LAYERS + 1u;
// 2: affine (log-scale, shift); 1: additive (shift).
const OUTPUTS: u32 = {{OUTPUTS}};
const ACTIVATION: u32 = {{ACTIVATION}};
const SCALE_BOUND: f32 = {{SCALE_BOUND}};
const S: u32 = {{SAMPLES}};
const WG: u32 = {{WORKGROUP_SIZE}}u;
const PLANE: u32 = HIDDEN * S;
const BASE_STREAM: u32 = 0x464C4F57u; // "FLOW", as in base.wgsl

@group(0) @binding(0) var<uniform> u: FusedUniforms;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> points: array<vec2<f32>>;

var<private> tiles: array<f32, 2u * PLANE>;

// Conditioner layer l (1 → HIDDEN × HIDDEN_LAYERS → OUTPUTS), offsets as in mlp-shape.ts.
fn layer_inputs(l: u32) -> u32 { return select(HIDDEN, 1u, l == 0u); }
fn layer_outputs(l: u32) -> u32 { return select(HIDDEN, OUTPUTS, l == LAYERS - 1u); }
fn layer_offset(l: u32) -> u32 {
  return select(2u * HIDDEN + (l - 1u) * (HIDDEN + 1u) * HIDDEN, 0u, l == 0u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = (gid.x + gid.y * groups.x * WG) * S;
  if (first >= u.count) { return; }
  let key = vec2<u32>(u.seed_lo, u.seed_hi);
  var x: array<vec2<f32>, S>;
  for (var s = 0u; s < S; s++) {
    x[s] = philox_normal4(vec4<u32>(u.index_offset + first + s, 0u, BASE_STREAM, 0u), key).xy;
  }
  for (var k = u.layers; k > 0u; k--) {
    let kind = table[2u * (k - 1u)];
    let offset = table[2u * (k - 1u) + 1u];
    if (kind == 4u) {
      for (var s = 0u; s < S; s++) { x[s] = x[s].yx; }
      continue;
    }
    if (kind >= 2u) {
      // NICE scaling: x = y·exp(−s); ActNorm: x = (y − b)·exp(−s) (log-scales, then biases).
      let log_scale = vec2<f32>(params[offset], params[offset + 1u]);
      var bias = vec2<f32>(0.0, 0.0);
      if (kind == 3u) { bias = vec2<f32>(params[offset + 2u], params[offset + 3u]); }
      for (var s = 0u; s < S; s++) { x[s] = (x[s] - bias) * exp(-log_scale); }
      continue;
    }
    let a = kind; // the conditioning coordinate
    var h: array<vec2<f32>, S>;
    for (var l = 0u; l < LAYERS; l++) {
      let n_in = layer_inputs(l);
      let n_out = layer_outputs(l);
      let wl = offset + layer_offset(l);
      let bl = wl + n_in * n_out;
      let last = l == LAYERS - 1u;
      let src = (l % 2u) * PLANE;
      let dst = PLANE - src;
      for (var o = 0u; o < n_out; o++) {
        // Zeroed explicitly, as in mlp.wgsl (SwiftShader kept loop-local arrays across iterations).
        var sums: array<f32, S>;
        let bias = params[bl + o];
        for (var s = 0u; s < S; s++) { sums[s] = bias; }
        if (l == 0u) {
          let w = params[wl + o];
          for (var s = 0u; s < S; s++) { sums[s] += w * x[s][a]; }
        } else {
          let row = wl + o * n_in;
          for (var j = 0u; j < n_in; j++) {
            let w = params[row + j];
            for (var s = 0u; s < S; s++) { sums[s] += w * tiles[src + j * S + s]; }
          }
        }
        for (var s = 0u; s < S; s++) {
          if (last) {
            h[s][o] = sums[s];
          } else {
            tiles[dst + o * S + s] = act_apply(ACTIVATION, sums[s]);
          }
        }
      }
    }
    let t = 1u - a;
    for (var s = 0u; s < S; s++) {
      var log_scale = 0.0;
      if (OUTPUTS == 2u) { log_scale = SCALE_BOUND * tanh(clamp(h[s].x / SCALE_BOUND, -15.0, 15.0)); }
      let shift = h[s][OUTPUTS - 1u];
      x[s][t] = (x[s][t] - shift) * exp(-log_scale);
    }
  }
  for (var s = 0u; s < S; s++) {
    let i = first + s;
    if (i < u.count) { points[i] = x[s] * u.scale + u.shift; }
  }
}

// A flow's whole generator in one dispatch (issue #19): each invocation draws S base points
// z ~ N(0, I) (sample_base's Philox counter, base.wgsl), inverts every layer from the last to the
// first — coupling layers with their conditioner MLP evaluated in the kernel, and the per-
// coordinate layers (NICE scaling, ActNorm, reversal) — and writes data coordinates
// (to_data's map). The same maps as coupling.wgsl's and elementwise.wgsl's inverse entries and
// the fused MLP; 1 dispatch instead of 2 + 2 per coupling, no buffers between layers.
// Twin: FlowModel.inverseTwin (flow-model.ts) on the same base noise.
//
// Samples travel in vec4 lanes (V lanes of 4 per invocation) and each hidden unit's loop
// computes four rows at once, as in mlp.wgsl + mlp-rows4.wgsl: on a CPU adapter a dynamically
// indexed private load is a per-lane gather, so one tile load must feed 4 rows × 4 samples of
// multiply-adds, and the activations ping-pong between two private tiles passed by pointer (a
// dynamic offset into one array was ~3× slower on SwiftShader). Each sum is bias + Σ_j w_j·a_j
// in the order of j, as before.
//
// hidden_layer (and skip_padding_invocation) come from a library linked with this file:
// fused-inverse-rows4.wgsl, or fused-inverse-rows4-subgroup.wgsl on CPU adapters whose device has
// the 'subgroups' feature (fused-inverse.ts).
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
const V: u32 = S / 4u;
const WG: u32 = {{WORKGROUP_SIZE}}u;
const BASE_STREAM: u32 = 0x464C4F57u; // "FLOW", as in base.wgsl

@group(0) @binding(0) var<uniform> u: FusedUniforms;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> points: array<vec2<f32>>;

alias Tile = array<vec4<f32>, HIDDEN * V>;
var<private> tile_a: Tile;
var<private> tile_b: Tile;

// Conditioner layer l (1 → HIDDEN × HIDDEN_LAYERS → OUTPUTS), offsets as in mlp-shape.ts.
fn layer_offset(l: u32) -> u32 {
  return select(2u * HIDDEN + (l - 1u) * (HIDDEN + 1u) * HIDDEN, 0u, l == 0u);
}

fn act4(z: vec4<f32>) -> vec4<f32> { return fast_act4(ACTIVATION, z); }

// Layer 0 (1 → HIDDEN) of the conditioner: a_o = act(b_o + w_o·x_a), lanes c0 and c1.
fn first_layer(w0: u32, c0: vec4<f32>, c1: vec4<f32>, dst: ptr<private, Tile>) {
  let b0 = w0 + HIDDEN;
  for (var o = 0u; o < HIDDEN; o++) {
    let w = params[w0 + o];
    let b = params[b0 + o];
    (*dst)[o * V] = act4(vec4<f32>(b) + w * c0);
    if (V == 2u) { (*dst)[o * V + 1u] = act4(vec4<f32>(b) + w * c1); }
  }
}

// The conditioner's outputs for lanes 0 and 1: (first output, last output) per lane — for an
// affine coupling (log-scale, shift), for an additive one (shift, shift).
struct Outputs {
  first0: vec4<f32>,
  last0: vec4<f32>,
  first1: vec4<f32>,
  last1: vec4<f32>,
}

fn output_layer(w0: u32, src: ptr<private, Tile>) -> Outputs {
  let b0 = w0 + HIDDEN * OUTPUTS;
  let row1 = w0 + (OUTPUTS - 1u) * HIDDEN;
  var p0 = vec4<f32>(params[b0]);
  var p1 = vec4<f32>(params[b0 + OUTPUTS - 1u]);
  var q0 = p0;
  var q1 = p1;
  for (var j = 0u; j < HIDDEN; j++) {
    let w_0 = params[w0 + j];
    let w_1 = params[row1 + j];
    let x0 = (*src)[j * V];
    p0 += w_0 * x0;
    p1 += w_1 * x0;
    if (V == 2u) {
      let x1 = (*src)[j * V + 1u];
      q0 += w_0 * x1;
      q1 += w_1 * x1;
    }
  }
  return Outputs(p0, p1, q0, q1);
}

// The conditioner of the coupling whose parameters start at `offset`, on lanes c0, c1.
fn conditioner(offset: u32, c0: vec4<f32>, c1: vec4<f32>) -> Outputs {
  first_layer(offset, c0, c1, &tile_a);
  for (var l = 1u; l < LAYERS - 1u; l++) {
    if (l % 2u == 1u) {
      hidden_layer(offset + layer_offset(l), &tile_a, &tile_b);
    } else {
      hidden_layer(offset + layer_offset(l), &tile_b, &tile_a);
    }
  }
  if (HIDDEN_LAYERS % 2u == 1u) { return output_layer(offset + layer_offset(LAYERS - 1u), &tile_a); }
  return output_layer(offset + layer_offset(LAYERS - 1u), &tile_b);
}

// x_t = (x_t − shift)·exp(−log_scale), the affine coupling's log-scale soft-clamped.
fn uncouple(x: vec4<f32>, first: vec4<f32>, last: vec4<f32>) -> vec4<f32> {
  var log_scale = vec4<f32>(0.0);
  if (OUTPUTS == 2u) {
    log_scale = SCALE_BOUND * tanh(clamp(first / SCALE_BOUND, vec4<f32>(-15.0), vec4<f32>(15.0)));
  }
  return (x - last) * exp(-log_scale);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  // A workgroup wholly past the count stops (a uniform condition: the subgroup library's
  // hidden_layer needs uniform control flow); an invocation past it stops if the library allows.
  if ((wid.x + wid.y * groups.x) * WG * S >= u.count) { return; }
  let first = (gid.x + gid.y * groups.x * WG) * S;
  if (skip_padding_invocation(first)) { return; }
  let key = vec2<u32>(u.seed_lo, u.seed_hi);
  // Coordinates 0 and 1 of lanes 0 and 1 (lane 1 unused when V = 1).
  var x0 = vec4<f32>(0.0);
  var y0 = vec4<f32>(0.0);
  var x1 = vec4<f32>(0.0);
  var y1 = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) {
    let z = philox_normal4(vec4<u32>(u.index_offset + first + c, 0u, BASE_STREAM, 0u), key).xy;
    x0[c] = z.x;
    y0[c] = z.y;
    if (V == 2u) {
      let w = philox_normal4(vec4<u32>(u.index_offset + first + 4u + c, 0u, BASE_STREAM, 0u), key).xy;
      x1[c] = w.x;
      y1[c] = w.y;
    }
  }
  for (var k = u.layers; k > 0u; k--) {
    let kind = table[2u * (k - 1u)];
    let offset = table[2u * (k - 1u) + 1u];
    if (kind == 4u) {
      let t0 = x0;
      x0 = y0;
      y0 = t0;
      let t1 = x1;
      x1 = y1;
      y1 = t1;
      continue;
    }
    if (kind >= 2u) {
      // NICE scaling: x = y·exp(−s); ActNorm: x = (y − b)·exp(−s) (log-scales, then biases).
      let sx = exp(-params[offset]);
      let sy = exp(-params[offset + 1u]);
      var bx = 0.0;
      var by = 0.0;
      if (kind == 3u) {
        bx = params[offset + 2u];
        by = params[offset + 3u];
      }
      x0 = (x0 - bx) * sx;
      y0 = (y0 - by) * sy;
      x1 = (x1 - bx) * sx;
      y1 = (y1 - by) * sy;
      continue;
    }
    if (kind == 0u) {
      let h = conditioner(offset, x0, x1);
      y0 = uncouple(y0, h.first0, h.last0);
      y1 = uncouple(y1, h.first1, h.last1);
    } else {
      let h = conditioner(offset, y0, y1);
      x0 = uncouple(x0, h.first0, h.last0);
      x1 = uncouple(x1, h.first1, h.last1);
    }
  }
  for (var c = 0u; c < 4u; c++) {
    if (first + c < u.count) {
      points[first + c] = vec2<f32>(x0[c], y0[c]) * u.scale + u.shift;
    }
    if (V == 2u && first + 4u + c < u.count) {
      points[first + 4u + c] = vec2<f32>(x1[c], y1[c]) * u.scale + u.shift;
    }
  }
}

// The fused MLP forward (same weights and layout as shaders/nn/mlp.wgsl) carrying two tangents:
// forward-mode derivatives with respect to the first two inputs (the point x; the rest of the
// input is the time embedding, constant in x). Per sample it writes
//   out[6b .. 6b+1] = y = MLP(x, emb)      out[6b+2 .. 6b+5] = ∂y/∂x row-major (J00, J01, J10, J11)
// so the exact divergence of a 2-D field is J00 + J11: two Jacobian-vector products, no
// Hutchinson noise. Twin: mlpDenoiser in src/models/diffusion/reference.ts.
//
// Each layer: z = W h + b, ż_k = W ḣ_k, then h' = act(z), ḣ'_k = act'(z) ⊙ ż_k (k = 0, 1).
//
// RESIDUAL (the 'resmlp' denoiser, src/models/diffusion/denoiser.ts): the same chain of linear
// layers, but only odd layers (the first of each block) apply the activation, and each even
// hidden layer l ends a block: h' = z + h_{l−1}'s input, ḣ' = ż + its tangents. With the
// ping-pong planes that block input is exactly what the destination plane still holds.

struct JvpUniforms {
  batch: u32,
  param_offset: u32,
  pad0: u32,
  pad1: u32,
}

const IN: u32 = {{IN}};
const HIDDEN: u32 = {{HIDDEN}};
const OUT: u32 = {{OUT}};
const HIDDEN_LAYERS: u32 = {{HIDDEN_LAYERS}};
const RESIDUAL: bool = {{RESIDUAL}};
const LAYERS: u32 = HIDDEN_LAYERS + 1u;
const ACTIVATION: u32 = {{ACTIVATION}};
const S: u32 = {{SAMPLES}};
const WIDTH: u32 = {{WIDTH}};
const WG: u32 = {{WORKGROUP_SIZE}}u;
// Values, tangent 0 and tangent 1, each WIDTH × S (sample-minor), twice for ping-pong.
const CHANNEL: u32 = WIDTH * S;
const PLANE: u32 = 3u * CHANNEL;

@group(0) @binding(0) var<uniform> u: JvpUniforms;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> mlp_in: array<f32>;
@group(0) @binding(3) var<storage, read_write> mlp_out: array<f32>;

var<private> tiles: array<f32, 2u * PLANE>;

fn layer_inputs(l: u32) -> u32 { return select(HIDDEN, IN, l == 0u); }
fn layer_outputs(l: u32) -> u32 { return select(HIDDEN, OUT, l == LAYERS - 1u); }
fn layer_offset(l: u32) -> u32 {
  return select((IN + 1u) * HIDDEN + (l - 1u) * (HIDDEN + 1u) * HIDDEN, 0u, l == 0u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = (gid.x + gid.y * groups.x * WG) * S;
  if (first >= u.batch) { return; }
  for (var s = 0u; s < S; s++) {
    let b = min(first + s, u.batch - 1u); // padding samples repeat the last one, never stored
    for (var j = 0u; j < IN; j++) {
      tiles[j * S + s] = mlp_in[b * IN + j];
      tiles[CHANNEL + j * S + s] = select(0.0, 1.0, j == 0u);
      tiles[2u * CHANNEL + j * S + s] = select(0.0, 1.0, j == 1u);
    }
  }
  var src = 0u;
  var dst = PLANE;
  for (var l = 0u; l < LAYERS; l++) {
    let n_in = layer_inputs(l);
    let n_out = layer_outputs(l);
    let w0 = u.param_offset + layer_offset(l);
    let b0 = w0 + n_in * n_out;
    let last = l == LAYERS - 1u;
    let activates = !last && (!RESIDUAL || l % 2u == 1u);
    let ends_block = RESIDUAL && !last && l > 0u && l % 2u == 0u;
    for (var o = 0u; o < n_out; o++) {
      // Zeroed explicitly, as in mlp.wgsl (SwiftShader kept loop-local arrays across iterations).
      var acc: array<f32, S>;
      var t0: array<f32, S>;
      var t1: array<f32, S>;
      let bias = params[b0 + o];
      for (var s = 0u; s < S; s++) {
        acc[s] = bias;
        t0[s] = 0.0;
        t1[s] = 0.0;
      }
      let row = w0 + o * n_in;
      for (var j = 0u; j < n_in; j++) {
        let w = params[row + j];
        for (var s = 0u; s < S; s++) {
          acc[s] += w * tiles[src + j * S + s];
          t0[s] += w * tiles[src + CHANNEL + j * S + s];
          t1[s] += w * tiles[src + 2u * CHANNEL + j * S + s];
        }
      }
      for (var s = 0u; s < S; s++) {
        if (activates) {
          let g = act_grad(ACTIVATION, acc[s]);
          tiles[dst + o * S + s] = act_apply(ACTIVATION, acc[s]);
          tiles[dst + CHANNEL + o * S + s] = g * t0[s];
          tiles[dst + 2u * CHANNEL + o * S + s] = g * t1[s];
        } else if (!last) {
          // Linear layer: the block input is added in place (read before overwritten).
          let at = dst + o * S + s;
          tiles[at] = acc[s] + select(0.0, tiles[at], ends_block);
          tiles[at + CHANNEL] = t0[s] + select(0.0, tiles[at + CHANNEL], ends_block);
          tiles[at + 2u * CHANNEL] = t1[s] + select(0.0, tiles[at + 2u * CHANNEL], ends_block);
        } else {
          let b = first + s;
          if (b < u.batch) {
            // OUT = 2: y_o, then row o of the Jacobian.
            mlp_out[6u * b + o] = acc[s];
            mlp_out[6u * b + 2u + 2u * o] = t0[s];
            mlp_out[6u * b + 3u + 2u * o] = t1[s];
          }
        }
      }
    }
    let t = src;
    src = dst;
    dst = t;
  }
}

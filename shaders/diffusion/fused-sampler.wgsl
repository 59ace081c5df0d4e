// Many sampler steps in one dispatch (issue #19): each invocation carries S samples through
// stages [first_stage, first_stage + stage_count) of a sampling plan, evaluating the denoiser MLP
// and applying the solver update itself — no network input/output buffers, no per-stage
// dispatch pair. The same algebra as solver-stage.wgsl's `stage` (plan.ts explains it):
//   f = cx·y_eval + cn·out,  acc += w·f
//   last stage of a step: y = m·y + acc + σ·z, acc = 0, y_eval = y;  else y_eval = y + a·f
// with z = philox_normal4((index, noise_step, SAMPLER_STREAM, 0), seed).xy drawn in place, and
// the same network as mlp.wgsl / mlp-jvp.wgsl (RESIDUAL: the 'resmlp' chain). The state layout
// is solver-stage.wgsl's, so its init_noise and finish kernels start and end a fused run.
// Twin: runPlan with mlpDenoiser (src/models/diffusion/reference.ts).
//
// The time embedding is the same for every sample of a stage: its share of layer 0 is folded
// into that layer's bias once per stage and invocation, so each sample multiplies only its two
// coordinates there.

struct FusedUniforms {
  batch: u32,
  index_offset: u32,
  seed_lo: u32,
  seed_hi: u32,
  first_stage: u32,
  stage_count: u32,
  param_offset: u32,
  pad0: u32,
}

const FEATURES: u32 = {{FEATURES}};
const RECORD: u32 = {{RECORD}};
const IN: u32 = 2u + FEATURES;
const HIDDEN: u32 = {{HIDDEN}};
const HIDDEN_LAYERS: u32 = {{HIDDEN_LAYERS}};
const LAYERS: u32 = HIDDEN_LAYERS + 1u;
const RESIDUAL: bool = {{RESIDUAL}};
const ACTIVATION: u32 = {{ACTIVATION}};
const S: u32 = {{SAMPLES}};
const WG: u32 = {{WORKGROUP_SIZE}}u;
const PLANE: u32 = HIDDEN * S;
const SAMPLER_STREAM: u32 = 0x53414d50u;
const STATE: u32 = 8u;
// Plan record fields (solver-stage.wgsl's PLAN_*).
const PLAN_CX: u32 = 0u;
const PLAN_CN: u32 = 1u;
const PLAN_W: u32 = 2u;
const PLAN_A: u32 = 3u;
const PLAN_M: u32 = 4u;
const PLAN_SIGMA: u32 = 5u;
const PLAN_INPUT_SCALE: u32 = 6u;
const PLAN_FLAGS: u32 = 7u;
const PLAN_NOISE_STEP: u32 = 9u;
const EMB: u32 = 16u;

@group(0) @binding(0) var<uniform> u: FusedUniforms;
@group(0) @binding(1) var<storage, read> plan: array<u32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> state: array<f32>;

// Hidden activations, HIDDEN × S (sample-minor), twice for ping-pong.
var<private> tiles: array<f32, 2u * PLANE>;
var<private> folded: array<f32, HIDDEN>;

fn field(record: u32, i: u32) -> f32 { return bitcast<f32>(plan[record * RECORD + i]); }

fn layer_inputs(l: u32) -> u32 { return select(HIDDEN, IN, l == 0u); }
fn layer_outputs(l: u32) -> u32 { return select(HIDDEN, 2u, l == LAYERS - 1u); }
fn layer_offset(l: u32) -> u32 {
  return select((IN + 1u) * HIDDEN + (l - 1u) * (HIDDEN + 1u) * HIDDEN, 0u, l == 0u);
}
fn layer_activates(l: u32) -> bool { return l < LAYERS - 1u && (!RESIDUAL || l % 2u == 1u); }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = (gid.x + gid.y * groups.x * WG) * S;
  if (first >= u.batch) { return; }
  let key = vec2<u32>(u.seed_lo, u.seed_hi);
  var y: array<vec2<f32>, S>;
  var y_eval: array<vec2<f32>, S>;
  var acc: array<vec2<f32>, S>;
  var out: array<vec2<f32>, S>;
  for (var s = 0u; s < S; s++) {
    let b = min(first + s, u.batch - 1u); // padding samples repeat the last one, never stored
    y[s] = vec2<f32>(state[b * STATE], state[b * STATE + 1u]);
    y_eval[s] = vec2<f32>(state[b * STATE + 2u], state[b * STATE + 3u]);
    acc[s] = vec2<f32>(state[b * STATE + 4u], state[b * STATE + 5u]);
  }
  let w0 = u.param_offset;
  for (var r = u.first_stage; r < u.first_stage + u.stage_count; r++) {
    let record = r + 1u; // record 0 is the plan's header
    // Layer 0: bias plus the embedding's share, then each sample's two coordinates.
    for (var o = 0u; o < HIDDEN; o++) {
      var bias = params[w0 + IN * HIDDEN + o];
      for (var k = 0u; k < FEATURES; k++) {
        bias += params[w0 + o * IN + 2u + k] * field(record, EMB + k);
      }
      folded[o] = bias;
    }
    let input_scale = field(record, PLAN_INPUT_SCALE);
    for (var o = 0u; o < HIDDEN; o++) {
      let wx = params[w0 + o * IN];
      let wy = params[w0 + o * IN + 1u];
      for (var s = 0u; s < S; s++) {
        let x = input_scale * y_eval[s];
        let z = folded[o] + wx * x.x + wy * x.y;
        tiles[o * S + s] = select(z, act_apply(ACTIVATION, z), layer_activates(0u));
      }
    }
    var src = 0u;
    var dst = PLANE;
    for (var l = 1u; l < LAYERS; l++) {
      let n_in = layer_inputs(l);
      let n_out = layer_outputs(l);
      let wl = w0 + layer_offset(l);
      let bl = wl + n_in * n_out;
      let last = l == LAYERS - 1u;
      let activates = layer_activates(l);
      let ends_block = RESIDUAL && !last && l % 2u == 0u;
      for (var o = 0u; o < n_out; o++) {
        // Zeroed explicitly, as in mlp.wgsl (SwiftShader kept loop-local arrays across iterations).
        var sums: array<f32, S>;
        let bias = params[bl + o];
        for (var s = 0u; s < S; s++) { sums[s] = bias; }
        let row = wl + o * n_in;
        for (var j = 0u; j < n_in; j++) {
          let w = params[row + j];
          for (var s = 0u; s < S; s++) { sums[s] += w * tiles[src + j * S + s]; }
        }
        for (var s = 0u; s < S; s++) {
          if (last) {
            out[s][o] = sums[s];
          } else if (activates) {
            tiles[dst + o * S + s] = act_apply(ACTIVATION, sums[s]);
          } else {
            // Linear layer: a block's input is added in place (read before overwritten).
            let at = dst + o * S + s;
            tiles[at] = sums[s] + select(0.0, tiles[at], ends_block);
          }
        }
      }
      let t = src;
      src = dst;
      dst = t;
    }
    // The solver update.
    let cx = field(record, PLAN_CX);
    let cn = field(record, PLAN_CN);
    let w = field(record, PLAN_W);
    let step_ends = (plan[record * RECORD + PLAN_FLAGS] & 1u) != 0u;
    let sigma = field(record, PLAN_SIGMA);
    let m = field(record, PLAN_M);
    let a = field(record, PLAN_A);
    let noise_step = plan[record * RECORD + PLAN_NOISE_STEP];
    for (var s = 0u; s < S; s++) {
      let f = cx * y_eval[s] + cn * out[s];
      acc[s] += w * f;
      if (step_ends) {
        var z = vec2<f32>(0.0, 0.0);
        if (sigma > 0.0) {
          let counter = vec4<u32>(u.index_offset + first + s, noise_step, SAMPLER_STREAM, 0u);
          z = philox_normal4(counter, key).xy;
        }
        y[s] = m * y[s] + acc[s] + sigma * z;
        acc[s] = vec2<f32>(0.0, 0.0);
        y_eval[s] = y[s];
      } else {
        y_eval[s] = y[s] + a * f;
      }
    }
  }
  for (var s = 0u; s < S; s++) {
    let b = first + s;
    if (b < u.batch) {
      state[b * STATE] = y[s].x;
      state[b * STATE + 1u] = y[s].y;
      state[b * STATE + 2u] = y_eval[s].x;
      state[b * STATE + 3u] = y_eval[s].y;
      state[b * STATE + 4u] = acc[s].x;
      state[b * STATE + 5u] = acc[s].y;
    }
  }
}

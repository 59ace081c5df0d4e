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
//
// Samples travel in vec4 lanes (V lanes of 4 per invocation) and each layer's loop computes four
// rows per pass over its input, as in mlp.wgsl + mlp-rows4.wgsl: on a CPU adapter a dynamically
// indexed private load is a per-lane gather, so one tile load must feed 4 rows × 4 samples of
// multiply-adds, and activations ping-pong between two private tiles passed by pointer (a
// dynamic offset into one array was ~3× slower on SwiftShader). Every sum is accumulated in the
// same order as before (bias, then Σ_j w_j·a_j by j), so the samples do not change.

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
const V: u32 = S / 4u;
const WG: u32 = {{WORKGROUP_SIZE}}u;
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

// Hidden activations, HIDDEN × V lanes (unit-major), twice for ping-pong.
alias Tile = array<vec4<f32>, HIDDEN * V>;
var<private> tile_a: Tile;
var<private> tile_b: Tile;

fn field(record: u32, i: u32) -> f32 { return bitcast<f32>(plan[record * RECORD + i]); }

fn layer_offset(l: u32) -> u32 {
  return select((IN + 1u) * HIDDEN + (l - 1u) * (HIDDEN + 1u) * HIDDEN, 0u, l == 0u);
}
fn layer_activates(l: u32) -> bool { return l < LAYERS - 1u && (!RESIDUAL || l % 2u == 1u); }

fn act4(z: vec4<f32>) -> vec4<f32> { return fast_act4(ACTIVATION, z); }

// Stores hidden unit o of layer l for lane v: activated, or (a linear layer of the residual
// chain) plus the block's input that the destination tile still holds from two layers back.
fn store_hidden(l: u32, o: u32, v: u32, z: vec4<f32>, dst: ptr<private, Tile>) {
  let at = o * V + v;
  if (layer_activates(l)) {
    (*dst)[at] = act4(z);
  } else if (RESIDUAL && l > 0u && l % 2u == 0u) {
    (*dst)[at] = z + (*dst)[at];
  } else {
    (*dst)[at] = z;
  }
}

// Layer 0 of stage `record`: the embedding's share folded into the bias, then each lane's two
// coordinates (x = input_scale·y_eval) — bias + wx·x + wy·y, as before.
fn first_layer(record: u32, ex0: vec4<f32>, ey0: vec4<f32>, ex1: vec4<f32>, ey1: vec4<f32>) {
  let w0 = u.param_offset;
  for (var o = 0u; o < HIDDEN; o++) {
    var bias = params[w0 + IN * HIDDEN + o];
    for (var k = 0u; k < FEATURES; k++) {
      bias += params[w0 + o * IN + 2u + k] * field(record, EMB + k);
    }
    let wx = params[w0 + o * IN];
    let wy = params[w0 + o * IN + 1u];
    store_hidden(0u, o, 0u, vec4<f32>(bias) + wx * ex0 + wy * ey0, &tile_a);
    if (V == 2u) { store_hidden(0u, o, 1u, vec4<f32>(bias) + wx * ex1 + wy * ey1, &tile_a); }
  }
}

// Hidden layer l (HIDDEN → HIDDEN), four rows per pass over the source tile.
fn hidden_layer(l: u32, src: ptr<private, Tile>, dst: ptr<private, Tile>) {
  let w0 = u.param_offset + layer_offset(l);
  let b0 = w0 + HIDDEN * HIDDEN;
  for (var o = 0u; o < HIDDEN; o += 4u) {
    let o1 = min(o + 1u, HIDDEN - 1u);
    let o2 = min(o + 2u, HIDDEN - 1u);
    let o3 = min(o + 3u, HIDDEN - 1u);
    let row0 = w0 + o * HIDDEN;
    let row1 = w0 + o1 * HIDDEN;
    let row2 = w0 + o2 * HIDDEN;
    let row3 = w0 + o3 * HIDDEN;
    var p0 = vec4<f32>(params[b0 + o]);
    var p1 = vec4<f32>(params[b0 + o1]);
    var p2 = vec4<f32>(params[b0 + o2]);
    var p3 = vec4<f32>(params[b0 + o3]);
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
    store_hidden(l, o, 0u, p0, dst);
    if (o + 1u < HIDDEN) { store_hidden(l, o + 1u, 0u, p1, dst); }
    if (o + 2u < HIDDEN) { store_hidden(l, o + 2u, 0u, p2, dst); }
    if (o + 3u < HIDDEN) { store_hidden(l, o + 3u, 0u, p3, dst); }
    if (V == 2u) {
      store_hidden(l, o, 1u, q0, dst);
      if (o + 1u < HIDDEN) { store_hidden(l, o + 1u, 1u, q1, dst); }
      if (o + 2u < HIDDEN) { store_hidden(l, o + 2u, 1u, q2, dst); }
      if (o + 3u < HIDDEN) { store_hidden(l, o + 3u, 1u, q3, dst); }
    }
  }
}

// The network's two outputs for lanes 0 and 1: (out_x, out_y) of lane 0, then of lane 1.
struct Outputs {
  x0: vec4<f32>,
  y0: vec4<f32>,
  x1: vec4<f32>,
  y1: vec4<f32>,
}

fn output_layer(src: ptr<private, Tile>) -> Outputs {
  let w0 = u.param_offset + layer_offset(LAYERS - 1u);
  let b0 = w0 + HIDDEN * 2u;
  var p0 = vec4<f32>(params[b0]);
  var p1 = vec4<f32>(params[b0 + 1u]);
  var q0 = p0;
  var q1 = p1;
  for (var j = 0u; j < HIDDEN; j++) {
    let w_0 = params[w0 + j];
    let w_1 = params[w0 + HIDDEN + j];
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

fn network(record: u32, ex0: vec4<f32>, ey0: vec4<f32>, ex1: vec4<f32>, ey1: vec4<f32>) -> Outputs {
  first_layer(record, ex0, ey0, ex1, ey1);
  for (var l = 1u; l < LAYERS - 1u; l++) {
    if (l % 2u == 1u) {
      hidden_layer(l, &tile_a, &tile_b);
    } else {
      hidden_layer(l, &tile_b, &tile_a);
    }
  }
  if (HIDDEN_LAYERS % 2u == 1u) { return output_layer(&tile_a); }
  return output_layer(&tile_b);
}

// One sample's solver state: y, y_eval, acc, each (x, y) coordinates of 4 samples per lane.
struct Lane {
  yx: vec4<f32>,
  yy: vec4<f32>,
  ex: vec4<f32>,
  ey: vec4<f32>,
  ax: vec4<f32>,
  ay: vec4<f32>,
}

fn load_lane(first: u32) -> Lane {
  var lane: Lane;
  for (var c = 0u; c < 4u; c++) {
    let b = min(first + c, u.batch - 1u); // padding samples repeat the last one, never stored
    lane.yx[c] = state[b * STATE];
    lane.yy[c] = state[b * STATE + 1u];
    lane.ex[c] = state[b * STATE + 2u];
    lane.ey[c] = state[b * STATE + 3u];
    lane.ax[c] = state[b * STATE + 4u];
    lane.ay[c] = state[b * STATE + 5u];
  }
  return lane;
}

fn store_lane(first: u32, lane: Lane) {
  for (var c = 0u; c < 4u; c++) {
    let b = first + c;
    if (b < u.batch) {
      state[b * STATE] = lane.yx[c];
      state[b * STATE + 1u] = lane.yy[c];
      state[b * STATE + 2u] = lane.ex[c];
      state[b * STATE + 3u] = lane.ey[c];
      state[b * STATE + 4u] = lane.ax[c];
      state[b * STATE + 5u] = lane.ay[c];
    }
  }
}

// The solver update of stage `record` for the 4 samples from `first` (solver-stage.wgsl's).
fn update(record: u32, first: u32, lane: Lane, ox: vec4<f32>, oy: vec4<f32>) -> Lane {
  let cx = field(record, PLAN_CX);
  let cn = field(record, PLAN_CN);
  let w = field(record, PLAN_W);
  let step_ends = (plan[record * RECORD + PLAN_FLAGS] & 1u) != 0u;
  var next = lane;
  let fx = cx * lane.ex + cn * ox;
  let fy = cx * lane.ey + cn * oy;
  next.ax += w * fx;
  next.ay += w * fy;
  if (step_ends) {
    let sigma = field(record, PLAN_SIGMA);
    let m = field(record, PLAN_M);
    var zx = vec4<f32>(0.0);
    var zy = vec4<f32>(0.0);
    if (sigma > 0.0) {
      let key = vec2<u32>(u.seed_lo, u.seed_hi);
      let noise_step = plan[record * RECORD + PLAN_NOISE_STEP];
      for (var c = 0u; c < 4u; c++) {
        let counter = vec4<u32>(u.index_offset + first + c, noise_step, SAMPLER_STREAM, 0u);
        let z = philox_normal4(counter, key).xy;
        zx[c] = z.x;
        zy[c] = z.y;
      }
    }
    next.yx = m * lane.yx + next.ax + sigma * zx;
    next.yy = m * lane.yy + next.ay + sigma * zy;
    next.ax = vec4<f32>(0.0);
    next.ay = vec4<f32>(0.0);
    next.ex = next.yx;
    next.ey = next.yy;
  } else {
    let a = field(record, PLAN_A);
    next.ex = lane.yx + a * fx;
    next.ey = lane.yy + a * fy;
  }
  return next;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = (gid.x + gid.y * groups.x * WG) * S;
  if (first >= u.batch) { return; }
  var lane0 = load_lane(first);
  var lane1 = lane0;
  if (V == 2u) { lane1 = load_lane(first + 4u); }
  for (var r = u.first_stage; r < u.first_stage + u.stage_count; r++) {
    let record = r + 1u; // record 0 is the plan's header
    let input_scale = field(record, PLAN_INPUT_SCALE);
    let out = network(
      record,
      input_scale * lane0.ex,
      input_scale * lane0.ey,
      input_scale * lane1.ex,
      input_scale * lane1.ey,
    );
    lane0 = update(record, first, lane0, out.x0, out.y0);
    if (V == 2u) { lane1 = update(record, first + 4u, lane1, out.x1, out.y1); }
  }
  store_lane(first, lane0);
  if (V == 2u) { store_lane(first + 4u, lane1); }
}

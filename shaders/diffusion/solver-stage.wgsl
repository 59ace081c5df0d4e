// Runs one stage of a sampler or likelihood plan (src/models/diffusion/plan.ts explains the
// algebra) for every sample, after the network has been evaluated into net_out:
//   f = cx·y_eval + cn·out,  acc += w·f  (logAcc += w·div f)
//   last stage of a step: y = m·y + acc + σ·z, acc = 0, y_eval = y;  else y_eval = y + a·f
// then writes the next network input (inputScale·y_eval, time embedding) into net_in, so one
// network evaluation costs two dispatches (MLP + this). Twin: runPlan in reference.ts.
//
// The plan is bound as a window of two records (current, next) at a 256-byte-aligned offset, one
// bind group per stage, so every stage of a whole sampler is recorded into one pass without
// uploads. Record layout (RECORD floats): see PLAN_* below; the time embedding from EMB on.
// Sample noise z = philox_normal4((index, noise_step, SAMPLER_STREAM, 0), seed).xy; the initial
// noise uses noise_step 0.

struct SolverUniforms {
  batch: u32,
  // Index of this chunk's first sample in the whole call (the Philox counter's first word).
  index_offset: u32,
  seed_lo: u32,
  seed_hi: u32,
}

const FEATURES: u32 = {{FEATURES}};
const NET_WIDTH: u32 = 2u + FEATURES;
const RECORD: u32 = {{RECORD}};
// 6 when net_out carries the Jacobian (likelihood plans), 2 otherwise.
const OUT_STRIDE: u32 = {{OUT_STRIDE}};
const DIVERGENCE: bool = {{DIVERGENCE}};
const SNAPSHOTS: bool = {{SNAPSHOTS}};
const SAMPLER_STREAM: u32 = 0x53414d50u;

const PLAN_CX: u32 = 0u;
const PLAN_CN: u32 = 1u;
const PLAN_W: u32 = 2u;
const PLAN_A: u32 = 3u;
const PLAN_M: u32 = 4u;
const PLAN_SIGMA: u32 = 5u;
const PLAN_INPUT_SCALE: u32 = 6u;
const PLAN_FLAGS: u32 = 7u; // bit 0: last stage of a step; bit 1: write a trajectory slot
const PLAN_SLOT: u32 = 8u;
const PLAN_NOISE_STEP: u32 = 9u;
const PLAN_INIT_SCALE: u32 = 10u; // header record only
const PLAN_OUTPUT_SCALE: u32 = 11u; // header record only
const PLAN_PRIOR_VARIANCE: u32 = 12u; // header record only
// Header record only: the map from model to data coordinates that finish applies,
// data = scale·x + shift, log p_data = log p_model − log_det (identity unless the caller sets it).
const PLAN_DATA_SCALE: u32 = 0u;
const PLAN_DATA_SHIFT: u32 = 2u;
const PLAN_DATA_LOG_DET: u32 = 4u;
const EMB: u32 = 16u;

// Per sample: y (2), y_eval (2), acc (2), logAcc, unused.
const STATE: u32 = 8u;

@group(0) @binding(0) var<uniform> u: SolverUniforms;
// u32 words (flags and counters are integers; float fields are bitcast, so no denormal flush).
@group(0) @binding(1) var<storage, read> plan: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
@group(0) @binding(3) var<storage, read> net_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> net_in: array<f32>;
// init_points reads the points; finish writes the results here.
@group(0) @binding(5) var<storage, read_write> points: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> log_prob: array<f32>;
@group(0) @binding(7) var<storage, read_write> trajectory: array<vec2<f32>>;

fn current(i: u32) -> f32 { return bitcast<f32>(plan[i]); }
fn next(i: u32) -> f32 { return bitcast<f32>(plan[RECORD + i]); }
fn current_word(i: u32) -> u32 { return plan[i]; }

fn sample_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

fn load_vec2(b: u32, at: u32) -> vec2<f32> {
  return vec2<f32>(state[b * STATE + at], state[b * STATE + at + 1u]);
}

fn store_vec2(b: u32, at: u32, v: vec2<f32>) {
  state[b * STATE + at] = v.x;
  state[b * STATE + at + 1u] = v.y;
}

// The next network input: (inputScale·y_eval, embedding of the next evaluation's time).
fn write_net_input(b: u32, y_eval: vec2<f32>) {
  let x = next(PLAN_INPUT_SCALE) * y_eval;
  let row = b * NET_WIDTH;
  net_in[row] = x.x;
  net_in[row + 1u] = x.y;
  for (var k = 0u; k < FEATURES; k++) { net_in[row + 2u + k] = next(EMB + k); }
}

fn begin(b: u32, y: vec2<f32>) {
  store_vec2(b, 0u, y);
  store_vec2(b, 2u, y);
  store_vec2(b, 4u, vec2<f32>(0.0, 0.0));
  state[b * STATE + 6u] = 0.0;
  state[b * STATE + 7u] = 0.0;
  write_net_input(b, y);
  if (SNAPSHOTS) { trajectory[b] = next(PLAN_INPUT_SCALE) * y; }
}

// Sampling: y = initScale·z with z ~ N(0, I). Window: (header, first stage).
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn init_noise(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let key = vec2<u32>(u.seed_lo, u.seed_hi);
  let z = philox_normal4(vec4<u32>(u.index_offset + b, 0u, SAMPLER_STREAM, 0u), key).xy;
  begin(b, current(PLAN_INIT_SCALE) * z);
}

// Likelihood and data trajectories: y = initScale·x for the given points.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn init_points(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  begin(b, current(PLAN_INIT_SCALE) * points[b]);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn stage(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  var y = load_vec2(b, 0u);
  var y_eval = load_vec2(b, 2u);
  var acc = load_vec2(b, 4u);
  let out = vec2<f32>(net_out[b * OUT_STRIDE], net_out[b * OUT_STRIDE + 1u]);
  let cx = current(PLAN_CX);
  let cn = current(PLAN_CN);
  let w = current(PLAN_W);
  let f = cx * y_eval + cn * out;
  acc += w * f;
  if (DIVERGENCE) {
    // Exact: tr ∂f/∂y = 2·cx + cn·inputScale·(J00 + J11), J from the MLP's two JVPs.
    let trace = net_out[b * OUT_STRIDE + 2u] + net_out[b * OUT_STRIDE + 5u];
    let divergence = 2.0 * cx + cn * current(PLAN_INPUT_SCALE) * trace;
    state[b * STATE + 6u] += w * divergence;
  }
  let flags = current_word(PLAN_FLAGS);
  if ((flags & 1u) != 0u) {
    let sigma = current(PLAN_SIGMA);
    var z = vec2<f32>(0.0, 0.0);
    if (sigma > 0.0) {
      let key = vec2<u32>(u.seed_lo, u.seed_hi);
      let counter = vec4<u32>(u.index_offset + b, current_word(PLAN_NOISE_STEP), SAMPLER_STREAM, 0u);
      z = philox_normal4(counter, key).xy;
    }
    y = current(PLAN_M) * y + acc + sigma * z;
    acc = vec2<f32>(0.0, 0.0);
    y_eval = y;
    store_vec2(b, 0u, y);
    if (SNAPSHOTS && (flags & 2u) != 0u) {
      trajectory[current_word(PLAN_SLOT) * u.batch + b] = next(PLAN_INPUT_SCALE) * y;
    }
  } else {
    y_eval = y + current(PLAN_A) * f;
  }
  store_vec2(b, 2u, y_eval);
  store_vec2(b, 4u, acc);
  write_net_input(b, y_eval);
}

// Results in data coordinates (so they can stay on the GPU): points = scale·(outputScale·y) +
// shift; log_prob = logAcc + log N(y; 0, priorVariance·I) − log_det. Window: (header, first stage).
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn finish(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let y = load_vec2(b, 0u);
  let scale = vec2<f32>(current(PLAN_DATA_SCALE), current(PLAN_DATA_SCALE + 1u));
  let shift = vec2<f32>(current(PLAN_DATA_SHIFT), current(PLAN_DATA_SHIFT + 1u));
  points[b] = scale * (current(PLAN_OUTPUT_SCALE) * y) + shift;
  if (DIVERGENCE) {
    let v = current(PLAN_PRIOR_VARIANCE);
    log_prob[b] = state[b * STATE + 6u] - dot(y, y) / (2.0 * v) - log(6.283185307179586 * v)
      - current(PLAN_DATA_LOG_DET);
  }
}

// Optimizer step on the flat parameter buffer, entirely on the GPU. Twin: src/nn/reference/optimizer.ts.
//   grad_norm_partial: Σ g² per workgroup (fixed order)          [only with clipping]
//   begin_step:        step += 1, learning rate of the schedule, clip scale from the norm
//   apply:             g = clip · Σ_chunks partial gradients; SGD/momentum, Adam, AdamW; EMA
// Gradients arrive as `chunks` partial sums, grads[c · grad_stride + i], added here in order.

struct OptimizerConfig {
  // 0 sgd, 1 adam, 2 adamw
  kind: u32,
  // 0 constant, 1 cosine decay, 2 Robbins–Monro a0 / (1 + k / tau)
  schedule: u32,
  warmup: u32,
  total_steps: u32,
  lr: f32,
  lr_min: f32,
  tau: f32,
  momentum: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  // 0 disables clipping / EMA.
  clip_norm: f32,
  ema_decay: f32,
  param_count: u32,
  chunks: u32,
  grad_stride: u32,
  norm_partials: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> cfg: OptimizerConfig;
@group(0) @binding(1) var<storage, read_write> state: TrainState;
@group(0) @binding(2) var<storage, read_write> params: array<f32>;
@group(0) @binding(3) var<storage, read> grads: array<f32>;
// m (or the momentum buffer) at [0, P), v at [P, 2P), EMA weights at [2P, 3P).
@group(0) @binding(4) var<storage, read_write> moments: array<f32>;
@group(0) @binding(5) var<storage, read_write> norm_partials: array<f32>;

const WG: u32 = {{WORKGROUP_SIZE}}u;
const PER_INVOCATION: u32 = 4u;

fn gradient(i: u32) -> f32 {
  var g = 0.0;
  for (var c = 0u; c < cfg.chunks; c++) { g += grads[c * cfg.grad_stride + i]; }
  return g;
}

var<workgroup> lane_sums: array<f32, WG>;

@compute @workgroup_size(WG)
fn grad_norm_partial(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let first = (group.x * WG + lane) * PER_INVOCATION;
  var sum = 0.0;
  for (var k = 0u; k < PER_INVOCATION; k++) {
    let i = first + k;
    if (i < cfg.param_count) { let g = gradient(i); sum += g * g; }
  }
  lane_sums[lane] = sum;
  workgroupBarrier();
  if (lane != 0u) { return; }
  var total = 0.0;
  for (var i = 0u; i < WG; i++) { total += lane_sums[i]; }
  norm_partials[group.x] = total;
}

fn scheduled_lr(t: u32) -> f32 {
  var lr = cfg.lr;
  if (cfg.schedule == 1u) {
    let span = f32(max(1u, cfg.total_steps - min(cfg.warmup, cfg.total_steps)));
    let progress = clamp(f32(t - min(t, cfg.warmup)) / span, 0.0, 1.0);
    lr = cfg.lr_min + 0.5 * (cfg.lr - cfg.lr_min) * (1.0 + cos(3.141592653589793 * progress));
  } else if (cfg.schedule == 2u) {
    lr = cfg.lr / (1.0 + f32(t - 1u) / cfg.tau);
  }
  if (cfg.warmup > 0u && t <= cfg.warmup) { lr *= f32(t) / f32(cfg.warmup); }
  return lr;
}

@compute @workgroup_size(1)
fn begin_step() {
  let t = state.step + 1u;
  state.step = t;
  state.lr = scheduled_lr(t);
  if (cfg.clip_norm > 0.0) {
    var total = 0.0;
    for (var i = 0u; i < cfg.norm_partials; i++) { total += norm_partials[i]; }
    let norm = sqrt(total);
    state.grad_norm = norm;
    state.clip_scale = min(1.0, cfg.clip_norm / (norm + 1e-6));
  } else {
    state.clip_scale = 1.0;
  }
}

@compute @workgroup_size(WG)
fn apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= cfg.param_count) { return; }
  let p = cfg.param_count;
  let t = f32(state.step);
  let lr = state.lr;
  var theta = params[i];
  var g = state.clip_scale * gradient(i);
  if (cfg.kind == 0u) {
    g += cfg.weight_decay * theta;
    if (cfg.momentum > 0.0) {
      let buf = cfg.momentum * moments[i] + g;
      moments[i] = buf;
      g = buf;
    }
    theta -= lr * g;
  } else {
    if (cfg.kind == 1u) { g += cfg.weight_decay * theta; } else { theta -= lr * cfg.weight_decay * theta; }
    let m = cfg.beta1 * moments[i] + (1.0 - cfg.beta1) * g;
    let v = cfg.beta2 * moments[p + i] + (1.0 - cfg.beta2) * g * g;
    moments[i] = m;
    moments[p + i] = v;
    let m_hat = m / (1.0 - pow(cfg.beta1, t));
    let v_hat = v / (1.0 - pow(cfg.beta2, t));
    theta -= lr * m_hat / (sqrt(v_hat) + cfg.eps);
  }
  params[i] = theta;
  // Without EMA the sampling weights are the weights themselves: samplers read this slot, so it
  // must never keep the initial weights (and 0 · NaN would poison it, hence no 0-decay blend).
  if (cfg.ema_decay > 0.0) {
    moments[2u * p + i] = cfg.ema_decay * moments[2u * p + i] + (1.0 - cfg.ema_decay) * theta;
  } else {
    moments[2u * p + i] = theta;
  }
}

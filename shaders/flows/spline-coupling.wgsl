// Rational-quadratic spline coupling in 2-D (Durkan et al. 2019, "Neural Spline Flows"; nflows
// conventions). Coordinate A (u.cond) passes through and conditions an MLP whose 3K − 1 outputs
// per point (RAW) shape a monotone spline of K = BINS bins on [−B, B] that moves coordinate T:
//   raw[0, K)       bin widths       w = MIN_BIN + (1 − K·MIN_BIN)·softmax, knots x_i on [−B, B]
//   raw[K, 2K)      bin heights      likewise, knots y_i
//   raw[2K, 3K−1)   interior knot derivatives d_i = MIN_DERIVATIVE + softplus(raw + DERIVATIVE_SHIFT)
// d_0 = d_K = 1 and the map is the identity outside [−B, B] (linear tails), so it is C¹. The shift
// makes raw = 0 give d = 1: a zero-initialised conditioner is the identity.
// In bin k, with θ = (x − x_k)/w_k, s = h_k/w_k, t = θ(1 − θ):
//   y      = y_k + h_k (s θ² + d_k t) / (s + (d_k + d_{k+1} − 2s) t)                    (eq. 4)
//   dy/dx  = s² (d_{k+1} θ² + 2s t + d_k (1 − θ)²) / (s + (d_k + d_{k+1} − 2s) t)²
// The inverse solves a quadratic in θ (eq. 6). Twin: src/models/flows/spline-coupling.ts.

const BINS: u32 = {{BINS}};
const RAW: u32 = 3u * BINS - 1u;
const TAIL_BOUND: f32 = {{TAIL_BOUND}};
const MIN_BIN: f32 = {{MIN_BIN}};
const MIN_DERIVATIVE: f32 = {{MIN_DERIVATIVE}};
const DERIVATIVE_SHIFT: f32 = {{DERIVATIVE_SHIFT}};


// The current point's spline (one point per invocation).
var<private> knot_x: array<f32, BINS + 1u>;
var<private> knot_y: array<f32, BINS + 1u>;
var<private> deriv: array<f32, BINS + 1u>;
// Softmax probabilities of the widths and heights (backward needs them).
var<private> prob_w: array<f32, BINS>;
var<private> prob_h: array<f32, BINS>;

// The bin a point falls in: lower knot (x0, y0), size (w, h), end derivatives (d0, d1).
struct Bin {
  x0: f32,
  w: f32,
  y0: f32,
  h: f32,
  d0: f32,
  d1: f32,
}

fn inside(v: f32) -> bool {
  return v >= -TAIL_BOUND && v <= TAIL_BOUND;
}

fn softplus(z: f32) -> f32 {
  return max(z, 0.0) + log(1.0 + exp(-abs(z)));
}

fn sigmoid(z: f32) -> f32 {
  let e = exp(-abs(z));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
}

// Softmax of h[base, base + BINS), floored at MIN_BIN, accumulated into knots on [−B, B]. The end
// knots are set to ±B exactly so neighbouring bins and the tails meet without a gap.
fn bin_knots(
  base: u32,
  probs: ptr<private, array<f32, BINS>>,
  knots: ptr<private, array<f32, BINS + 1u>>,
) {
  var top = h[base];
  for (var i = 1u; i < BINS; i++) { top = max(top, h[base + i]); }
  var total = 0.0;
  for (var i = 0u; i < BINS; i++) {
    let e = exp(h[base + i] - top);
    (*probs)[i] = e;
    total += e;
  }
  (*knots)[0] = -TAIL_BOUND;
  var acc = 0.0;
  for (var i = 0u; i < BINS; i++) {
    (*probs)[i] /= total;
    acc += MIN_BIN + (1.0 - MIN_BIN * f32(BINS)) * (*probs)[i];
    (*knots)[i + 1u] = TAIL_BOUND * (2.0 * acc - 1.0);
  }
  (*knots)[BINS] = TAIL_BOUND;
}

fn load_spline(b: u32) {
  let base = b * RAW;
  bin_knots(base, &prob_w, &knot_x);
  bin_knots(base + BINS, &prob_h, &knot_y);
  deriv[0] = 1.0;
  deriv[BINS] = 1.0;
  for (var i = 1u; i < BINS; i++) {
    deriv[i] = MIN_DERIVATIVE + softplus(h[base + 2u * BINS + i - 1u] + DERIVATIVE_SHIFT);
  }
}

// The last bin whose lower knot is ≤ v (a linear scan: K ≤ 16).
fn find_bin(knots: ptr<private, array<f32, BINS + 1u>>, v: f32) -> u32 {
  var k = 0u;
  for (var i = 1u; i < BINS; i++) {
    if (v >= (*knots)[i]) { k = i; }
  }
  return k;
}

fn bin_at(k: u32) -> Bin {
  return Bin(
    knot_x[k],
    knot_x[k + 1u] - knot_x[k],
    knot_y[k],
    knot_y[k + 1u] - knot_y[k],
    deriv[k],
    deriv[k + 1u],
  );
}

// log dy/dx at θ: 2 log s + log(d1 θ² + 2sθ(1−θ) + d0(1−θ)²) − 2 log(denominator).
fn log_slope(bin: Bin, theta: f32) -> f32 {
  let s = bin.h / bin.w;
  let t = theta * (1.0 - theta);
  let den = s + (bin.d0 + bin.d1 - 2.0 * s) * t;
  let q = bin.d1 * theta * theta + 2.0 * s * t + bin.d0 * (1.0 - theta) * (1.0 - theta);
  return 2.0 * log(s) + log(q) - 2.0 * log(den);
}

// (y, log dy/dx) of a point inside the bin.
fn rq_forward(bin: Bin, v: f32) -> vec2<f32> {
  let s = bin.h / bin.w;
  let theta = (v - bin.x0) / bin.w;
  let t = theta * (1.0 - theta);
  let den = s + (bin.d0 + bin.d1 - 2.0 * s) * t;
  return vec2(bin.y0 + bin.h * (s * theta * theta + bin.d0 * t) / den, log_slope(bin, theta));
}

// (x, log dy/dx at x) of an output inside the bin: a θ² + b θ + c = 0, and the root in [0, 1]
// taken as 2c / (−b − √Δ), which never subtracts nearly equal numbers (b > 0 there).
fn rq_inverse(bin: Bin, v: f32) -> vec2<f32> {
  let s = bin.h / bin.w;
  let dy = v - bin.y0;
  let e = bin.d0 + bin.d1 - 2.0 * s;
  let a = dy * e + bin.h * (s - bin.d0);
  let b = bin.h * bin.d0 - dy * e;
  let c = -s * dy;
  let disc = max(b * b - 4.0 * a * c, 0.0);
  let theta = 2.0 * c / (-b - sqrt(disc));
  return vec2(bin.x0 + theta * bin.w, log_slope(bin, theta));
}

// dL/d(x, x0, w, y0, h, d0, d1) of L = gy·y + gl·log dy/dx in one bin.
struct BinGrads {
  x: f32,
  x0: f32,
  w: f32,
  y0: f32,
  h: f32,
  d0: f32,
  d1: f32,
}

// Reverse mode through rq_forward: each block undoes one line of the forward, last line first.
fn rq_backward(bin: Bin, v: f32, gy: f32, gl: f32) -> BinGrads {
  let s = bin.h / bin.w;
  let th = (v - bin.x0) / bin.w;
  let t = th * (1.0 - th);
  let e = bin.d0 + bin.d1 - 2.0 * s;
  let num = bin.h * (s * th * th + bin.d0 * t);
  let den = s + e * t;
  let q = bin.d1 * th * th + 2.0 * s * t + bin.d0 * (1.0 - th) * (1.0 - th);
  // y = y0 + num / den;  log slope = 2 log s + log q − 2 log den
  let g_num = gy / den;
  let g_den = -gy * num / (den * den) - 2.0 * gl / den;
  let g_q = gl / q;
  var g_s = 2.0 * gl / s;
  // q = d1 θ² + 2 s t + d0 (1 − θ)²
  var g_d1 = g_q * th * th;
  var g_d0 = g_q * (1.0 - th) * (1.0 - th);
  g_s += 2.0 * g_q * t;
  var g_t = 2.0 * g_q * s;
  var g_th = g_q * (2.0 * bin.d1 * th - 2.0 * bin.d0 * (1.0 - th));
  // den = s + (d0 + d1 − 2s) t
  g_s += g_den * (1.0 - 2.0 * t);
  g_d0 += g_den * t;
  g_d1 += g_den * t;
  g_t += g_den * e;
  // num = h (s θ² + d0 t)
  var g_h = g_num * (s * th * th + bin.d0 * t);
  g_s += g_num * bin.h * th * th;
  g_th += 2.0 * g_num * bin.h * s * th;
  g_d0 += g_num * bin.h * t;
  g_t += g_num * bin.h * bin.d0;
  // t = θ (1 − θ)
  g_th += g_t * (1.0 - 2.0 * th);
  // θ = (x − x0) / w;  s = h / w
  g_h += g_s / bin.w;
  return BinGrads(
    g_th / bin.w,
    -g_th / bin.w,
    -(g_th * th + g_s * s) / bin.w,
    gy,
    g_h,
    g_d0,
    g_d1,
  );
}

// dL/draw of one row of sizes (widths or heights) from dL/d(lower, upper knot) of bin k.
// Knot i (0 < i < K) = B(2·Σ_{j<i} q_j − 1), q = MIN_BIN + (1 − K·MIN_BIN)·softmax(raw); the end
// knots ±B are constants. Then the softmax Jacobian: dL/draw_j = p_j (g_j − Σ_i p_i g_i).
fn knot_grads(base: u32, probs: ptr<private, array<f32, BINS>>, k: u32, g_lower: f32, g_upper: f32) {
  let lower = select(0.0, g_lower, k > 0u);
  let upper = select(0.0, g_upper, k + 1u < BINS);
  let scale = 2.0 * TAIL_BOUND * (1.0 - MIN_BIN * f32(BINS));
  var dot = 0.0;
  for (var j = 0u; j < BINS; j++) {
    dot += (*probs)[j] * scale * (select(0.0, lower, j < k) + select(0.0, upper, j <= k));
  }
  for (var j = 0u; j < BINS; j++) {
    let g = scale * (select(0.0, lower, j < k) + select(0.0, upper, j <= k));
    grad_h[base + j] = (*probs)[j] * (g - dot);
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let a = u.cond;
  let t = 1u - a;
  let v = x[2u * b + t];
  y[2u * b + a] = x[2u * b + a];
  var res = vec2(v, 0.0);
  if (inside(v)) {
    load_spline(b);
    res = rq_forward(bin_at(find_bin(&knot_x, v)), v);
  }
  y[2u * b + t] = res.x;
  logdet[u.logdet_offset + b] = res.y;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn inverse(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let a = u.cond;
  let t = 1u - a;
  let v = y[2u * b + t];
  x[2u * b + a] = y[2u * b + a];
  var res = vec2(v, 0.0);
  if (inside(v)) {
    load_spline(b);
    res = rq_inverse(bin_at(find_bin(&knot_y, v)), v);
  }
  x[2u * b + t] = res.x;
  logdet[u.logdet_offset + b] = -res.y;
}

// Writes dL/dx_T, the pass-through part of dL/dx_A (the conditioner adds its part) and dL/draw.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let a = u.cond;
  let t = 1u - a;
  let v = x[2u * b + t];
  let gy = grad_y[2u * b + t];
  let base = b * RAW;
  grad_x[2u * b + a] = grad_y[2u * b + a];
  if (!inside(v)) {
    // Identity tail: the raw outputs do not matter here.
    grad_x[2u * b + t] = gy;
    for (var r = 0u; r < RAW; r++) { grad_h[base + r] = 0.0; }
    return;
  }
  load_spline(b);
  let k = find_bin(&knot_x, v);
  let g = rq_backward(bin_at(k), v, gy, u.logdet_weight);
  grad_x[2u * b + t] = g.x;
  // w = x_{k+1} − x_k and h = y_{k+1} − y_k: the bin sizes feed both knots.
  knot_grads(base, &prob_w, k, g.x0 - g.w, g.w);
  knot_grads(base + BINS, &prob_h, k, g.y0 - g.h, g.h);
  for (var i = 1u; i < BINS; i++) {
    let gd = select(0.0, g.d0, i == k) + select(0.0, g.d1, i == k + 1u);
    let r = base + 2u * BINS + i - 1u;
    grad_h[r] = gd * sigmoid(h[r] + DERIVATIVE_SHIFT);
  }
}

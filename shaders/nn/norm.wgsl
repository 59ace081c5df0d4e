// GroupNorm over NCHW batches with an optional activation fused into its output, forward and
// backward side by side. C channels in GROUPS groups of CG = C / GROUPS channels; each
// (sample, group) is normalised over its CG · PIXELS values:
//   μ = mean(x), σ² = mean((x − μ)²) (two passes), r = 1 / √(σ² + EPS), x̂ = (x − μ) r,
//   y[n, c, p] = γ[c] x̂ + β[c]          (γ, β at param_offset: C floats each)
//   out = act(y)                         (ACTIVATION; identity: out = y)
// Backward, from dL/d(out): d = dL/d(out) · act′(y) (y recomputed from x), g = d · γ[c]:
//   dL/dx = r (g − mean(g) − x̂ · mean(g x̂))     (means over the sample's group)
//   dL/dγ[c] = Σ_n Σ_p d · x̂,  dL/dβ[c] = Σ_n Σ_p d
// Cache at cache_offset: (μ, r) per (sample, group); (mean(g), mean(g x̂)) likewise; then
// (Σ_p d x̂, Σ_p d) per (sample, channel).
// Entry points: stats, apply (forward); backward_stats, backward_input, backward_params
// (backward). stats and backward_stats own one (sample, group) each; apply and backward_input 4
// pixels of one (sample, channel) plane; backward_params one channel's dγ, dβ, summed over the
// samples from backward_stats' per-(sample, channel) sums (the old one-invocation-per-channel
// loop over batch × pixels ran on one CPU thread).
// Every sum is one invocation's loop in a fixed order: no atomics, bit-reproducible. The
// activation is fused (not a pass of its own) because on CPU adapters these passes are memory
// bound: the residual block's GroupNorm → SiLU read and wrote every map twice.
// Twin: src/nn/reference/norm.ts (groupNormForward / groupNormBackward, then the activation).

struct NormUniforms {
  batch: u32,
  param_offset: u32,
  pad0: u32,
  pad1: u32,
}

const C: u32 = {{C}};
const GROUPS: u32 = {{GROUPS}};
const PIXELS: u32 = {{PIXELS}};
const EPS: f32 = {{EPS}};
const ACTIVATION: u32 = {{ACTIVATION}};
const CG: u32 = C / GROUPS;
const GROUP_SIZE: u32 = CG * PIXELS;
// Pixels of a plane in blocks of 4 (the last block may be partial).
const QUADS: u32 = (PIXELS + 3u) / 4u;

@group(0) @binding(0) var<uniform> u: NormUniforms;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
// backward: dL/d(out) (forward binds x again; unused).
@group(0) @binding(3) var<storage, read> dout: array<f32>;
// forward: out; backward_input: dL/dx; backward_params: the gradients (dγ, dβ at param_offset).
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;
@group(0) @binding(5) var<storage, read_write> cache: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

// Where the cache's three parts start.
fn stats_at(ng: u32) -> u32 { return 2u * ng; }
fn means_at(ng: u32) -> u32 { return 2u * u.batch * GROUPS + 2u * ng; }
fn channel_sums_at(nc: u32) -> u32 { return 4u * u.batch * GROUPS + 2u * nc; }

// Per (sample, group): μ and r, two passes over the group's contiguous CG · PIXELS values.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let ng = flat_index(gid, groups);
  if (ng >= u.batch * GROUPS) { return; }
  let start = ng * GROUP_SIZE;
  var sum = 0.0;
  for (var k = 0u; k < GROUP_SIZE; k++) { sum += x[start + k]; }
  let mean = sum / f32(GROUP_SIZE);
  var squares = 0.0;
  for (var k = 0u; k < GROUP_SIZE; k++) {
    let d = x[start + k] - mean;
    squares += d * d;
  }
  cache[stats_at(ng)] = mean;
  cache[stats_at(ng) + 1u] = inverseSqrt(squares / f32(GROUP_SIZE) + EPS);
}

// One invocation's block: sample n, channel c, pixels p0 .. p0 + 3 (those < PIXELS), and the
// normalisation constants of its group.
struct Quad {
  nc: u32,
  ng: u32,
  c: u32,
  base: u32,
  count: u32,
  mean: f32,
  rstd: f32,
  gamma: f32,
  beta: f32,
}

fn quad(q: u32) -> Quad {
  let nc = q / QUADS;
  let c = nc % C;
  let ng = (nc / C) * GROUPS + c / CG;
  let p0 = (q % QUADS) * 4u;
  return Quad(nc, ng, c, nc * PIXELS + p0, min(4u, PIXELS - p0), cache[stats_at(ng)],
    cache[stats_at(ng) + 1u], params[u.param_offset + c], params[u.param_offset + C + c]);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  if (q >= u.batch * C * QUADS) { return; }
  let b = quad(q);
  for (var j = 0u; j < b.count; j++) {
    let i = b.base + j;
    dst[i] = act_apply(ACTIVATION, b.gamma * (x[i] - b.mean) * b.rstd + b.beta);
  }
}

// Per (sample, group): the per-channel sums Σ_p d x̂ and Σ_p d, then the group's means of g = d γ
// and g x̂ from them (channel order).
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let ng = flat_index(gid, groups);
  if (ng >= u.batch * GROUPS) { return; }
  let mean = cache[stats_at(ng)];
  let rstd = cache[stats_at(ng) + 1u];
  let first = (ng / GROUPS) * C + (ng % GROUPS) * CG;
  var sum_g = 0.0;
  var sum_gx = 0.0;
  for (var k = 0u; k < CG; k++) {
    let nc = first + k;
    let c = nc % C;
    let gamma = params[u.param_offset + c];
    let beta = params[u.param_offset + C + c];
    var sum_d = 0.0;
    var sum_dx = 0.0;
    for (var p = 0u; p < PIXELS; p++) {
      let i = nc * PIXELS + p;
      let xhat = (x[i] - mean) * rstd;
      let d = dout[i] * act_grad(ACTIVATION, gamma * xhat + beta);
      sum_d += d;
      sum_dx += d * xhat;
    }
    cache[channel_sums_at(nc)] = sum_dx;
    cache[channel_sums_at(nc) + 1u] = sum_d;
    sum_g += gamma * sum_d;
    sum_gx += gamma * sum_dx;
  }
  cache[means_at(ng)] = sum_g / f32(GROUP_SIZE);
  cache[means_at(ng) + 1u] = sum_gx / f32(GROUP_SIZE);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let q = flat_index(gid, groups);
  if (q >= u.batch * C * QUADS) { return; }
  let b = quad(q);
  let mean_g = cache[means_at(b.ng)];
  let mean_gx = cache[means_at(b.ng) + 1u];
  for (var j = 0u; j < b.count; j++) {
    let i = b.base + j;
    let xhat = (x[i] - b.mean) * b.rstd;
    let g = dout[i] * act_grad(ACTIVATION, b.gamma * xhat + b.beta) * b.gamma;
    dst[i] = b.rstd * (g - mean_g - xhat * mean_gx);
  }
}

// dγ[c], dβ[c]: backward_stats' per-sample channel sums, samples in order (B loads each).
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_params(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let c = flat_index(gid, groups);
  if (c >= C) { return; }
  var d_gamma = 0.0;
  var d_beta = 0.0;
  for (var n = 0u; n < u.batch; n++) {
    d_gamma += cache[channel_sums_at(n * C + c)];
    d_beta += cache[channel_sums_at(n * C + c) + 1u];
  }
  dst[u.param_offset + c] = d_gamma;
  dst[u.param_offset + C + c] = d_beta;
}

// GroupNorm over NCHW batches, forward and backward side by side. C channels in GROUPS groups of
// CG = C / GROUPS channels; each (sample, group) is normalised over its CG · PIXELS values:
//   μ = mean(x), σ² = mean((x − μ)²) (two passes), r = 1 / √(σ² + EPS), x̂ = (x − μ) r,
//   y[n, c, p] = γ[c] x̂ + β[c]          (γ, β at param_offset: C floats each)
// Backward, with g = dL/dy · γ[c]:
//   dL/dx = r (g − mean(g) − x̂ · mean(g x̂))     (means over the sample's group)
//   dL/dγ[c] = Σ_n Σ_p dL/dy · x̂,  dL/dβ[c] = Σ_n Σ_p dL/dy   (sample, then pixel, in order)
// Cache at cache_offset: (μ, r) per (sample, group), then (mean(g), mean(g x̂)) likewise.
// Entry points: stats and apply (forward), backward_stats, backward_input, backward_params.
// Every sum is one invocation's loop in a fixed order: no atomics, bit-reproducible.
// Twin: src/nn/reference/norm.ts.

struct NormUniforms {
  batch: u32,
  param_offset: u32,
  // x and dL/dx.
  input_offset: u32,
  // y and dL/dy.
  output_offset: u32,
  cache_offset: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

const C: u32 = {{C}};
const GROUPS: u32 = {{GROUPS}};
const PIXELS: u32 = {{PIXELS}};
const EPS: f32 = {{EPS}};
const CG: u32 = C / GROUPS;
const GROUP_SIZE: u32 = CG * PIXELS;

@group(0) @binding(0) var<uniform> u: NormUniforms;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
// backward: dL/dy (forward binds x again; unused).
@group(0) @binding(3) var<storage, read> dy: array<f32>;
// forward: y; backward_input: dL/dx; backward_params: the gradients (dγ, dβ at param_offset).
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;
@group(0) @binding(5) var<storage, read_write> cache: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

// First element of (sample n, group g): the group's channels are contiguous in NCHW.
fn group_start(n: u32, g: u32) -> u32 {
  return (n * C + g * CG) * PIXELS;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let ng = flat_index(gid, groups);
  if (ng >= u.batch * GROUPS) { return; }
  let start = u.input_offset + group_start(ng / GROUPS, ng % GROUPS);
  var sum = 0.0;
  for (var k = 0u; k < GROUP_SIZE; k++) { sum += x[start + k]; }
  let mean = sum / f32(GROUP_SIZE);
  var squares = 0.0;
  for (var k = 0u; k < GROUP_SIZE; k++) {
    let d = x[start + k] - mean;
    squares += d * d;
  }
  cache[u.cache_offset + 2u * ng] = mean;
  cache[u.cache_offset + 2u * ng + 1u] = inverseSqrt(squares / f32(GROUP_SIZE) + EPS);
}

fn normalized(i: u32) -> f32 {
  let c = (i / PIXELS) % C;
  let ng = (i / (C * PIXELS)) * GROUPS + c / CG;
  return (x[u.input_offset + i] - cache[u.cache_offset + 2u * ng]) * cache[u.cache_offset + 2u * ng + 1u];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * C * PIXELS) { return; }
  let c = (i / PIXELS) % C;
  dst[u.output_offset + i] = params[u.param_offset + c] * normalized(i) + params[u.param_offset + C + c];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let ng = flat_index(gid, groups);
  if (ng >= u.batch * GROUPS) { return; }
  let start = group_start(ng / GROUPS, ng % GROUPS);
  var sum_g = 0.0;
  var sum_gx = 0.0;
  for (var k = 0u; k < GROUP_SIZE; k++) {
    let i = start + k;
    let g = dy[u.output_offset + i] * params[u.param_offset + (i / PIXELS) % C];
    sum_g += g;
    sum_gx += g * normalized(i);
  }
  let at = u.cache_offset + 2u * u.batch * GROUPS + 2u * ng;
  cache[at] = sum_g / f32(GROUP_SIZE);
  cache[at + 1u] = sum_gx / f32(GROUP_SIZE);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= u.batch * C * PIXELS) { return; }
  let c = (i / PIXELS) % C;
  let ng = (i / (C * PIXELS)) * GROUPS + c / CG;
  let at = u.cache_offset + 2u * u.batch * GROUPS + 2u * ng;
  let g = dy[u.output_offset + i] * params[u.param_offset + c];
  let r = cache[u.cache_offset + 2u * ng + 1u];
  dst[u.input_offset + i] = r * (g - cache[at] - normalized(i) * cache[at + 1u]);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward_params(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let c = flat_index(gid, groups);
  if (c >= C) { return; }
  var d_gamma = 0.0;
  var d_beta = 0.0;
  for (var n = 0u; n < u.batch; n++) {
    let start = (n * C + c) * PIXELS;
    for (var p = 0u; p < PIXELS; p++) {
      let d = dy[u.output_offset + start + p];
      d_gamma += d * normalized(start + p);
      d_beta += d;
    }
  }
  dst[u.param_offset + c] = d_gamma;
  dst[u.param_offset + C + c] = d_beta;
}

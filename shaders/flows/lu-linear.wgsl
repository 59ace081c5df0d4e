// Glow's invertible linear layer in LU form (Kingma & Dhariwal 2018), 2-D:
//   W = P · L · (U + diag(σ ⊙ exp(ls))),  L = [[1, 0], [l, 1]],  U = [[0, u], [0, 0]]
//   so M = L·U' = [[a, u], [l·a, l·u + d]] with a = σ₀·exp(ls₀), d = σ₁·exp(ls₁)
//   y = P·M·x,  log|det J| = ls₀ + ls₁;  inverse by two triangular solves.
// P (swap or not) and the signs σ are fixed at initialisation (uniforms). Parameters at
// u.param_offset: l, u, ls₀, ls₁. Twin: src/models/flows/lu-linear.ts.

struct LuUniforms {
  batch: u32,
  logdet_offset: u32,
  param_offset: u32,
  swap: u32,
  logdet_weight: f32,
  sign0: f32,
  sign1: f32,
  pad0: f32,
}

@group(0) @binding(0) var<uniform> u: LuUniforms;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> logdet: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_y: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad_x: array<f32>;
@group(0) @binding(7) var<storage, read_write> contrib: array<f32>;

struct Factors { l: f32, up: f32, a: f32, d: f32, ls: f32 }

fn factors() -> Factors {
  let o = u.param_offset;
  let ls0 = params[o + 2u];
  let ls1 = params[o + 3u];
  return Factors(params[o], params[o + 1u], u.sign0 * exp(ls0), u.sign1 * exp(ls1), ls0 + ls1);
}

// P and Pᵀ are the same permutation (identity or the swap).
fn permute(v: vec2<f32>) -> vec2<f32> {
  return select(v, v.yx, u.swap == 1u);
}

fn sample_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let f = factors();
  let v = vec2<f32>(x[2u * b], x[2u * b + 1u]);
  let m = vec2<f32>(f.a * v.x + f.up * v.y, f.l * f.a * v.x + (f.l * f.up + f.d) * v.y);
  let out = permute(m);
  y[2u * b] = out.x;
  y[2u * b + 1u] = out.y;
  logdet[u.logdet_offset + b] = f.ls;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn inverse(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let f = factors();
  let v = permute(vec2<f32>(y[2u * b], y[2u * b + 1u]));
  // L w = v, then U' x = w.
  let w1 = v.y - f.l * v.x;
  let x1 = w1 / f.d;
  let x0 = (v.x - f.up * x1) / f.a;
  x[2u * b] = x0;
  x[2u * b + 1u] = x1;
  logdet[u.logdet_offset + b] = -f.ls;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let f = factors();
  let xv = vec2<f32>(x[2u * b], x[2u * b + 1u]);
  let g = permute(vec2<f32>(grad_y[2u * b], grad_y[2u * b + 1u]));
  // dL/dx = Mᵀ g.
  grad_x[2u * b] = f.a * g.x + f.l * f.a * g.y;
  grad_x[2u * b + 1u] = f.up * g.x + (f.l * f.up + f.d) * g.y;
  // dL/dM = g xᵀ, then through M's entries to l, u, ls₀, ls₁.
  let g00 = g.x * xv.x;
  let g01 = g.x * xv.y;
  let g10 = g.y * xv.x;
  let g11 = g.y * xv.y;
  contrib[4u * b] = g10 * f.a + g11 * f.up;
  contrib[4u * b + 1u] = g01 + g11 * f.l;
  contrib[4u * b + 2u] = (g00 + g10 * f.l) * f.a + u.logdet_weight;
  contrib[4u * b + 3u] = g11 * f.d + u.logdet_weight;
}

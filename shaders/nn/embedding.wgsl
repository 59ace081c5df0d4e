// Sinusoidal embedding of a scalar (diffusion time or noise level) concatenated after the
// sample's coordinates — the usual conditioning input of a denoiser:
//   out[b] = (x_b, sin(ω_0 t_b), …, sin(ω_{H−1} t_b), cos(ω_0 t_b), …, cos(ω_{H−1} t_b))
//   ω_k = SCALE · exp(−ln(MAX_PERIOD) · k / H),  H = FEATURES / 2   (Vaswani et al.; DDPM)
// Backward passes dL/dx through (the embedding of t has no trained parameters).
// Twin: src/nn/reference/embedding.ts (float64 sin and cos of the float64 angle).
//
// Why not `sin(ω * t)`: angles reach 1000 rad. A float32 ω is off by up to 6e-5 rad once
// multiplied by 1000, and WGSL's sin/cos are only ~2^-11 accurate on some implementations
// (SwiftShader) at such arguments, which made PyTorch gradient parity miss 1e-4. So the host
// passes each ω as a float32 pair hi + lo (their sum within 1e-14 of the float64 ω), the angle
// (hi + lo)·t is reduced modulo π/2 without rounding (Cody–Waite, with products of 12-bit halves
// that float32 holds exactly), and sin/cos come from polynomials on [−π/4, π/4]: within ~3e-7 of
// the float64 values for angles below ~6400 rad.
struct EmbedUniforms {
  batch: u32,
  x_offset: u32,
  t_offset: u32,
  out_offset: u32,
  // (hi, lo, unused, unused) of ω_k: uniform arrays need a 16-byte stride.
  frequencies: array<vec4<f32>, HALF>,
}

const DIMS: u32 = {{DIMS}};
const FEATURES: u32 = {{FEATURES}};
const HALF: u32 = FEATURES / 2u;
const WIDTH: u32 = DIMS + FEATURES;

// π/2 = HALF_PI_1 + HALF_PI_2 + HALF_PI_3 (within 2e-15). The first two have at most 12
// significant bits, so q·HALF_PI_1 and q·HALF_PI_2 are exact in float32 for |q| < 2^12.
const HALF_PI_1: f32 = 1.5703125;
const HALF_PI_2: f32 = 0.0004837512969970703125;
const HALF_PI_3: f32 = 7.549790126404332e-8;
const TWO_OVER_PI: f32 = 0.6366197723675814;

@group(0) @binding(0) var<uniform> u: EmbedUniforms;
// forward: x (batch × DIMS) and t (batch); backward: dL/d(out).
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
// forward: out (batch × WIDTH); backward: dL/dx (batch × DIMS).
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// v with its low 12 mantissa bits cleared: 12 significant bits, so the product of two such
// values (or of one and a 12-bit remainder v − high_bits(v)) is exact in float32. Done on the
// bits rather than with Veltkamp's 4097·v trick, which a compiler's contraction could break.
fn high_bits(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) & 0xfffff000u);
}

// Taylor polynomials on |r| ≤ π/4 (+ a little slack from rounding q): the first omitted terms
// are below 2e-9.
fn sin_poly(r: f32) -> f32 {
  let r2 = r * r;
  return r + r * r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0))));
}

fn cos_poly(r: f32) -> f32 {
  let r2 = r * r;
  return 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0)))));
}

// (sin, cos) of the exact product (hi + lo)·t.
fn sin_cos_of_product(hi: f32, lo: f32, t: f32) -> vec2<f32> {
  let hi1 = high_bits(hi);
  let hi2 = hi - hi1;
  let t1 = high_bits(t);
  let t2 = t - t1;
  let q = round(hi * t * TWO_OVER_PI);
  // hi·t = hi1·t1 + (hi1·t2 + hi2·t1) + hi2·t2, each product exact; hi1·t1 − q·HALF_PI_1 is
  // exact too (two nearby float32 values), so only the small remainder terms are rounded.
  var r = hi1 * t1 - q * HALF_PI_1;
  r = r - q * HALF_PI_2;
  r = r + (hi1 * t2 + hi2 * t1);
  r = r + (hi2 * t2 + lo * t);
  r = r - q * HALF_PI_3;
  let s = sin_poly(r);
  let c = cos_poly(r);
  // sin(qπ/2 + r), cos(qπ/2 + r) by quadrant.
  switch (i32(q) & 3) {
    case 0: { return vec2<f32>(s, c); }
    case 1: { return vec2<f32>(c, -s); }
    case 2: { return vec2<f32>(-s, -c); }
    default: { return vec2<f32>(-c, s); }
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (b >= u.batch) { return; }
  let row = u.out_offset + b * WIDTH;
  for (var d = 0u; d < DIMS; d++) { out[row + d] = x[u.x_offset + b * DIMS + d]; }
  let time = t[u.t_offset + b];
  for (var k = 0u; k < HALF; k++) {
    let frequency = u.frequencies[k];
    let sin_cos = sin_cos_of_product(frequency.x, frequency.y, time);
    out[row + DIMS + k] = sin_cos.x;
    out[row + DIMS + HALF + k] = sin_cos.y;
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
  if (b >= u.batch) { return; }
  for (var d = 0u; d < DIMS; d++) { out[u.x_offset + b * DIMS + d] = x[u.out_offset + b * WIDTH + d]; }
}

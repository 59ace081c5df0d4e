// Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"),
// the counter-based generator of Random123. Twin: src/rng/philox.ts (bit-identical).
//
// Flowfield's counter convention: key = the seed (low word, high word);
// counter = (index, step, stream, extra). Every random number is a pure function of
// (seed, stream, step, index), so a batch can be regenerated anywhere, in any order.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// The 64-bit product a * b as (high word, low word), from 16-bit halves: WGSL has no u64.
fn philox_mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xFFFFu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xFFFFu;
  let b_hi = b >> 16u;
  let lo_lo = a_lo * b_lo;
  let t = a_hi * b_lo + (lo_lo >> 16u);
  let u = a_lo * b_hi + (t & 0xFFFFu);
  let hi = a_hi * b_hi + (t >> 16u) + (u >> 16u);
  return vec2<u32>(hi, a * b);
}

fn philox_round(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> {
  let p0 = philox_mulhilo(PHILOX_M0, c.x);
  let p1 = philox_mulhilo(PHILOX_M1, c.z);
  return vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 9u; round++) {
    c = philox_round(c, k);
    k += vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return philox_round(c, k);
}

// Top 24 bits to a float in the open interval (0, 1); exact in f32, so CPU and GPU agree bit for bit.
fn philox_unit(bits: u32) -> f32 {
  return (f32(bits >> 8u) + 0.5) * (1.0 / 16777216.0);
}

fn philox_uniform4(counter: vec4<u32>, key: vec2<u32>) -> vec4<f32> {
  let bits = philox4x32_10(counter, key);
  return vec4<f32>(philox_unit(bits.x), philox_unit(bits.y), philox_unit(bits.z), philox_unit(bits.w));
}

// Four standard normals by Box–Muller on the pairs (x, y) and (z, w).
fn philox_normal4(counter: vec4<u32>, key: vec2<u32>) -> vec4<f32> {
  let u = philox_uniform4(counter, key);
  let r0 = sqrt(-2.0 * log(u.x));
  let r1 = sqrt(-2.0 * log(u.z));
  let a0 = 6.283185307179586 * u.y;
  let a1 = 6.283185307179586 * u.w;
  return vec4<f32>(r0 * cos(a0), r0 * sin(a0), r1 * cos(a1), r1 * sin(a1));
}

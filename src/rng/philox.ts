/**
 * Philox4x32-10, the TypeScript twin of shaders/lib/philox.wgsl (bit-identical outputs).
 * Counter convention: key = seed (low, high word); counter = (index, step, stream, extra).
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

export type Counter = readonly [number, number, number, number];
export type Key = readonly [number, number];

/** High 32 bits of the 64-bit product of two u32 (the low bits are Math.imul). */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const loLo = aLo * bLo;
  const t = aHi * bLo + (loLo >>> 16);
  const u = aLo * bHi + (t & 0xffff);
  return (aHi * bHi + Math.floor(t / 65536) + Math.floor(u / 65536)) >>> 0;
}

/** Writes the four output words for (counter, key) into out[offset..offset+3]. */
export function philox4x32_10(
  counter: Counter,
  key: Key,
  out: Uint32Array = new Uint32Array(4),
  offset = 0,
): Uint32Array {
  let c0 = counter[0] >>> 0;
  let c1 = counter[1] >>> 0;
  let c2 = counter[2] >>> 0;
  let c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[offset] = c0;
  out[offset + 1] = c1;
  out[offset + 2] = c2;
  out[offset + 3] = c3;
  return out;
}

/** The Philox key of a seed: an integer in [0, 2^53). */
export function seedKey(seed: number): Key {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`A seed must be an integer in [0, 2^53), got ${seed}.`);
  }
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/** Top 24 bits to (0, 1), exactly as philox_unit in WGSL. */
export function unitFromBits(bits: number): number {
  return Math.fround(((bits >>> 8) + 0.5) * (1 / 16777216));
}

/** Four uniforms in (0, 1), float32 values. */
export function uniform4(counter: Counter, key: Key): [number, number, number, number] {
  const bits = philox4x32_10(counter, key);
  return [
    unitFromBits(bits[0]!),
    unitFromBits(bits[1]!),
    unitFromBits(bits[2]!),
    unitFromBits(bits[3]!),
  ];
}

/** Four standard normals by Box–Muller on the pairs (0,1) and (2,3), computed in float64. */
export function normal4(counter: Counter, key: Key): [number, number, number, number] {
  const [u0, u1, u2, u3] = uniform4(counter, key);
  const r0 = Math.sqrt(-2 * Math.log(u0));
  const r1 = Math.sqrt(-2 * Math.log(u2));
  const a0 = 2 * Math.PI * u1;
  const a1 = 2 * Math.PI * u3;
  return [r0 * Math.cos(a0), r0 * Math.sin(a0), r1 * Math.cos(a1), r1 * Math.sin(a1)];
}

export type RandomKind = 'bits' | 'uniform' | 'normal';

/** CPU twin of the random-fill kernel: `blocks` × 4 values for (seed, stream, step). */
export function fillRandomCpu(
  kind: RandomKind,
  seed: number,
  stream: number,
  step: number,
  blocks: number,
): Uint32Array | Float64Array {
  const key = seedKey(seed);
  if (kind === 'bits') {
    const out = new Uint32Array(blocks * 4);
    for (let i = 0; i < blocks; i++) philox4x32_10([i, step, stream, 0], key, out, 4 * i);
    return out;
  }
  const out = new Float64Array(blocks * 4);
  const draw = kind === 'uniform' ? uniform4 : normal4;
  for (let i = 0; i < blocks; i++) out.set(draw([i, step, stream, 0], key), 4 * i);
  return out;
}

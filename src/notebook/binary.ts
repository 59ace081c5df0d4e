/**
 * Byte-level helpers for links and files: IEEE 754 half precision, base64 / base64url and CRC-32.
 * All multi-byte numbers are little-endian, whatever the platform.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Whether typed arrays on this platform are little-endian (every browser's in practice). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The float16 bit pattern nearest to `value` (as a float32), ties to even; overflow → ±∞. */
export function float16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // ±∞, NaN (quiet)
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: value = significand · 2^(exponent − 150), in units of 2^−24.
    const shift = 14 - halfExponent;
    if (shift > 24) return sign; // below 2^−25: rounds to ±0
    return sign | roundShift(mantissa | 0x800000, shift);
  }
  // A carry out of the mantissa rounds up into the exponent (and from 65519.99 to ∞), as it should.
  return sign | ((halfExponent << 10) + roundShift(mantissa, 13));
}

/** `value >> shift`, rounded to nearest, ties to even. */
function roundShift(value: number, shift: number): number {
  const quotient = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return remainder > half || (remainder === half && quotient & 1) ? quotient + 1 : quotient;
}

/** The value of a float16 bit pattern. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Largest finite float16. */
export const FLOAT16_MAX = 65504;

/** The little-endian bytes of float32 values. */
export function float32Bytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytes;
}

/** Float32 values from little-endian bytes (length a multiple of 4). */
export function float32FromBytes(bytes: Uint8Array): Float32Array {
  if (LITTLE_ENDIAN) {
    // The bytes are already the values' memory: one copy (aligned, and bit-exact even for
    // signalling NaNs, which a read through a JS number would quieten).
    return new Float32Array(bytes.slice(0, bytes.byteLength & ~3).buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(bytes.byteLength >>> 2);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
  return values;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URL_ALPHABET = `${ALPHABET}-_`;
const STD_ALPHABET = `${ALPHABET}+/`;
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  DECODE[URL_ALPHABET.charCodeAt(i)] = i;
  DECODE[STD_ALPHABET.charCodeAt(i)] = i;
}

function encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  const parts: string[] = [];
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    const left = bytes.length - i;
    out += alphabet[(n >>> 18) & 63]! + alphabet[(n >>> 12) & 63]!;
    out += left > 1 ? alphabet[(n >>> 6) & 63]! : pad ? '=' : '';
    out += left > 2 ? alphabet[n & 63]! : pad ? '=' : '';
    if (out.length >= 8192) {
      parts.push(out);
      out = '';
    }
  }
  parts.push(out);
  return parts.join('');
}

/** base64url without padding (RFC 4648 §5): safe in a URL fragment as it is. */
export function base64UrlEncode(bytes: Uint8Array): string {
  return encode(bytes, URL_ALPHABET, false);
}

/** Standard base64 with padding (RFC 4648 §4), as JSON files usually carry binary data. */
export function base64Encode(bytes: Uint8Array): string {
  return encode(bytes, STD_ALPHABET, true);
}

/** Characters decoded between two pauses of `base64DecodeSteps`: a few milliseconds of work. */
export const BASE64_CHUNK_CHARS = 1 << 20;

/**
 * Bytes from base64 or base64url, padded or not. Undefined when `text` is not base64: a
 * character outside the alphabet, or a length no encoder produces.
 */
export function base64Decode(text: string): Uint8Array | undefined {
  return runSteps(base64DecodeSteps(text));
}

/**
 * `base64Decode` as steps: the generator yields after every `chunkChars` characters, so that a
 * caller on the page can give the event loop a turn between chunks (`runStepsPaced`) and a file of
 * tens of megabytes never blocks the page for long. Groups of four characters are decoded at once.
 */
export function* base64DecodeSteps(
  text: string,
  chunkChars = BASE64_CHUNK_CHARS,
): Generator<void, Uint8Array | undefined> {
  let end = text.length;
  if (text.endsWith('=')) {
    // Padding only completes a final group of four.
    if (text.length % 4 !== 0) return undefined;
    end -= text.endsWith('==') ? 2 : 1;
  }
  if (end % 4 === 1) return undefined;
  const bytes = new Uint8Array(Math.floor((end * 3) / 4));
  const whole = end - (end % 4);
  const chunk = Math.max(4, chunkChars - (chunkChars % 4));
  let at = 0;
  for (let from = 0; from < whole; from += chunk) {
    if (from > 0) yield;
    const to = Math.min(whole, from + chunk);
    for (let i = from; i < to; i += 4) {
      const n = (digit(text, i) << 18) | (digit(text, i + 1) << 12);
      const m = (digit(text, i + 2) << 6) | digit(text, i + 3);
      // A character outside the alphabet is −1: every bit set, so the sum is negative.
      if ((n | m) < 0) return undefined;
      const group = n | m;
      bytes[at++] = group >>> 16;
      bytes[at++] = (group >>> 8) & 0xff;
      bytes[at++] = group & 0xff;
    }
  }
  // The last 2 or 3 characters carry 1 or 2 bytes.
  const rest = end - whole;
  if (rest > 0) {
    let group = 0;
    for (let i = 0; i < rest; i++) {
      const d = digit(text, whole + i);
      if (d < 0) return undefined;
      group |= d << (18 - 6 * i);
    }
    bytes[at++] = group >>> 16;
    if (rest === 3) bytes[at] = (group >>> 8) & 0xff;
  }
  return bytes;
}

function digit(text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code < 128 ? DECODE[code]! : -1;
}

/** Runs steps to the end at once (Node, tests, small inputs). */
export function runSteps<T>(steps: Generator<void, T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Runs steps with a turn of the event loop between them: the page stays responsive. */
export async function runStepsPaced<T>(
  steps: Generator<void, T>,
  pause: () => Promise<void> = () => new Promise((resolve) => setTimeout(resolve, 0)),
): Promise<T> {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await pause();
  }
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as in zip and PNG) of `bytes`, as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array): number {
  return (crc32Update(0xffffffff, bytes) ^ 0xffffffff) >>> 0;
}

/** The CRC-32 register after `bytes`, from `state` (0xffffffff at the start). */
export function crc32Update(state: number, bytes: Uint8Array): number {
  let c = state;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

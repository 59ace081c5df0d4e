import { expect } from '@esm-bundle/chai';
import {
  base64Decode,
  base64DecodeSteps,
  base64Encode,
  base64UrlEncode,
  crc32,
  float16Bits,
  float16Value,
  float32FromBytes,
  runSteps,
  runStepsPaced,
} from '../../src/notebook/binary';

/** Bits of IEEE 754 binary16 known answers (from the standard's encoding, not from our code). */
const KNOWN: [number, number][] = [
  [1, 0x3c00],
  [-2, 0xc000],
  [65504, 0x7bff], // largest finite
  [2 ** -14, 0x0400], // smallest normal
  [2 ** -24, 0x0001], // smallest subnormal
  [1023 * 2 ** -24, 0x03ff], // largest subnormal
  [0, 0x0000],
  [-0, 0x8000],
  [0.5, 0x3800],
  [1 / 3, 0x3555],
  [Infinity, 0x7c00],
  [-Infinity, 0xfc00],
  [65520, 0x7c00], // halfway between 65504 and 2^16: ties to even → ∞
  [65519, 0x7bff],
  [1e10, 0x7c00],
  [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01 → even 0x3c00
  [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02 → even 0x3c02
  [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie → up
  [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal → even 0
  [3 * 2 ** -25, 0x0002], // tie between subnormals 1 and 2 → even 2
  [1.5 * 2 ** -25, 0x0001],
  [2 ** -26, 0x0000],
  [2048 + 1, 0x6800], // 2049 is a tie at spacing 2 → 2048
  [2048 + 3, 0x6802], // 2051 → 2052
];

describe('float16, base64 and CRC-32', () => {
  it('converts known values to float16 bits and back', () => {
    for (const [value, bits] of KNOWN) {
      expect(float16Bits(value), `${value}`).to.equal(bits);
    }
    expect(float16Value(0x3c00)).to.equal(1);
    expect(float16Value(0x7bff)).to.equal(65504);
    expect(float16Value(0x0001)).to.equal(2 ** -24);
    expect(Object.is(float16Value(0x8000), -0)).to.equal(true);
    expect(float16Value(0xfc00)).to.equal(-Infinity);
    expect(Number.isNaN(float16Value(0x7e00))).to.equal(true);
    const nan = float16Bits(Number.NaN);
    expect(nan & 0x7c00).to.equal(0x7c00);
    expect(nan & 0x3ff).to.not.equal(0);
  });

  it('round-trips every finite float16 and rounds random values to the nearest (ties even)', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue;
      expect(float16Bits(float16Value(bits))).to.equal(bits);
    }
    // Nearest: no neighbouring float16 is closer (a float64 comparison, independent of the encoder).
    let s = 7;
    for (let n = 0; n < 20_000; n++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const x = Math.fround((s / 2 ** 32 - 0.5) * 2 ** ((n % 44) - 28));
      const bits = float16Bits(x);
      const error = Math.abs(float16Value(bits) - x);
      for (const neighbour of [bits - 1, bits + 1]) {
        if ((neighbour & 0x7fff) > 0x7bff || neighbour < 0 || (neighbour ^ bits) & 0x8000) continue;
        const other = Math.abs(float16Value(neighbour) - x);
        expect(error <= other, `${x}`).to.equal(true);
        if (error === other) expect(bits & 1, `tie at ${x}`).to.equal(0);
      }
    }
  });

  it('encodes base64 like btoa and base64url without padding, and decodes both', () => {
    let s = 3;
    for (let length = 0; length < 200; length++) {
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = (s = (Math.imul(s, 69069) + 1) >>> 0) >>> 24;
      const reference = btoa(String.fromCharCode(...bytes));
      expect(base64Encode(bytes)).to.equal(reference);
      const url = reference.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      expect(base64UrlEncode(bytes)).to.equal(url);
      expect(Array.from(base64Decode(url)!)).to.deep.equal(Array.from(bytes));
      expect(Array.from(base64Decode(reference)!)).to.deep.equal(Array.from(bytes));
    }
    for (const junk of [
      'a',
      'abcde',
      'ab$d',
      'ab cd',
      'é',
      'ab===',
      '=',
      'a===',
      '====',
      'abc==',
    ]) {
      expect(base64Decode(junk), junk).to.equal(undefined);
    }
  });

  it('decodes base64 in chunks with a pause between them, byte for byte as atob', async () => {
    let s = 11;
    const bytes = new Uint8Array(10_001);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (s = (Math.imul(s, 69069) + 1) >>> 0) >>> 24;
    const text = btoa(String.fromCharCode(...bytes));
    // Characters in whole groups of four, without padding: what is decoded in chunks.
    const wholeGroups = text.replace(/=+$/, '').length & ~3;
    const reference = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    for (const chunk of [4, 8, 1000, 4096, 1 << 20]) {
      let pauses = 0;
      const decoded = await runStepsPaced(base64DecodeSteps(text, chunk), async () => {
        pauses++;
      });
      expect(Array.from(decoded!), `chunk ${chunk}`).to.deep.equal(Array.from(reference));
      // One pause between consecutive chunks of whole groups of four characters.
      expect(pauses, `chunk ${chunk}`).to.equal(Math.ceil(wholeGroups / chunk) - 1);
    }
    // A bad character in a late chunk is still refused.
    const junk = `${text.slice(0, 9000)}$${text.slice(9001)}`;
    expect(runSteps(base64DecodeSteps(junk, 64))).to.equal(undefined);
  });

  it('reads little-endian float32 values at any byte offset, as a DataView does', () => {
    const buffer = new Uint8Array(4 * 300 + 3);
    let s = 5;
    for (let i = 0; i < buffer.length; i++)
      buffer[i] = (s = (Math.imul(s, 69069) + 1) >>> 0) >>> 24;
    for (const offset of [0, 1, 2, 3]) {
      const bytes = buffer.subarray(offset, offset + 4 * 300);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const expected = Array.from({ length: 300 }, (_, i) => view.getUint32(i * 4, true));
      const values = float32FromBytes(bytes);
      expect(Array.from(new Uint32Array(values.buffer)), `offset ${offset}`).to.deep.equal(
        expected,
      );
      // A copy: the values do not change with the bytes.
      expect(values.buffer).to.not.equal(bytes.buffer);
    }
  });

  it('computes the CRC-32 check value of "123456789" (0xCBF43926)', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).to.equal(0xcbf43926);
    expect(crc32(new Uint8Array(0))).to.equal(0);
    expect(crc32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog'))).to.equal(
      0x414fa339,
    );
  });
});

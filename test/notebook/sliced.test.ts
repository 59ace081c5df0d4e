/**
 * The sliced JSON and CRC helpers give exactly what the one-shot versions give (the independent
 * truth: JSON.parse, JSON.stringify, crc32), for any JSON value, with tiny pieces so every path
 * of the member-by-member walk runs.
 */
import { expect } from '@esm-bundle/chai';
import fc from 'fast-check';
import { crc32 } from '../../src/notebook/binary';
import { crc32Sliced, parseJsonSliced, stringifySliced } from '../../src/notebook/sliced';

describe('sliced JSON and CRC', () => {
  it('parseJsonSliced equals JSON.parse for any JSON text (compact and indented)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.integer({ min: 1, max: 64 }), async (value, piece) => {
        for (const text of [JSON.stringify(value), JSON.stringify(value, null, 2)]) {
          const parsed = await parseJsonSliced(text, { pieceChars: piece, sliceMs: 0 });
          expect(parsed).to.deep.equal(JSON.parse(text));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps "__proto__" an own property, and rejects malformed text as JSON.parse does', async () => {
    const text = '{"__proto__": {"polluted": true}, "a": [1, {"b": "x"}]}';
    const parsed = (await parseJsonSliced(text, { pieceChars: 4 })) as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).to.equal(Object.prototype);
    expect(Object.keys(parsed)).to.deep.equal(['__proto__', 'a']);
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
    for (const bad of [
      '{"a": [1, 2}',
      '[1, 2',
      '{"a" 1}',
      '[1] x',
      '',
      '{"a": tru}',
      '["tab\there"]', // a raw control character in a string
    ]) {
      const error = await parseJsonSliced(bad, { pieceChars: 2 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, bad).to.be.instanceOf(SyntaxError);
    }
  });

  it('finds the end of strings made of quotes and runs of backslashes', async () => {
    const pieces = fc.array(fc.constantFrom('\\', '"', 'a', '\\"', '\\\\', '}', ']', ','), {
      maxLength: 40,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(pieces, { maxLength: 6 }), async (strings) => {
        const value = { list: strings.map((p) => p.join('')), tail: strings.map((p) => p.length) };
        const text = JSON.stringify(value);
        expect(await parseJsonSliced(text, { pieceChars: 1, sliceMs: 0 })).to.deep.equal(value);
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('stringifySliced equals JSON.stringify for objects and arrays of JSON values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue()))),
        async (value) => {
          expect(await stringifySliced(value, 0)).to.equal(JSON.stringify(value));
          const list = Object.values(value);
          expect(await stringifySliced(list, 0)).to.equal(JSON.stringify(list));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('crc32Sliced equals crc32, across megabyte slices', async () => {
    const bytes = new Uint8Array(3 * (1 << 20) + 17).map((_, i) => (i * 2654435761) >>> 24);
    expect(await crc32Sliced(bytes, 0)).to.equal(crc32(bytes));
    expect(await crc32Sliced(new Uint8Array(0))).to.equal(crc32(new Uint8Array(0)));
  });
});

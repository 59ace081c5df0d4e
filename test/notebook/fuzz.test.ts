/**
 * ≥ 10 000 hostile links: random text, valid links cut short, with flipped bits (in the text, in
 * the compressed bytes, inside the container with the CRC kept or recomputed), oversized, with
 * wrong versions, deflated junk and JSON with out-of-range values. Every one must resolve to a
 * payload that parseNotebook accepts as it is, or reject with a NotebookError, within a time
 * bound. The containers here are built by this file from the layout documented in codec.ts.
 */
import { expect } from '@esm-bundle/chai';
import fc from 'fast-check';
import {
  MAX_LINK_CHARS,
  NOTEBOOK_VERSION,
  NotebookError,
  crc32,
  decodeShareLink,
  defaultNotebook,
  encodeShareLink,
  parseNotebook,
  type ModelWeights,
  type Notebook,
  type NotebookErrorCode,
} from '../../src/notebook';
import { base64Decode, base64UrlEncode } from '../../src/notebook/binary';
import { notebookArbitrary, weightsArbitrary } from './arbitraries';
import v1 from './fixtures/notebook-v1.json' with { type: 'json' };

const CASES = 10_000;
const PER_CASE_MS = 10_000;
/** Cases in flight at once: a few overlap the streams' async hops; many only add overhead. */
const BATCH = 4;
const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Bytes through a native (de)compression stream (writer/reader: faster than a Response). */
async function through(
  stream: CompressionStream | DecompressionStream,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  void writer.write(bytes as Uint8Array<ArrayBuffer>);
  void writer.close();
  const chunks: Uint8Array[] = [];
  const reader = stream.readable.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return out;
}

const deflate = (bytes: Uint8Array) => through(new CompressionStream('deflate-raw'), bytes);
const inflate = (bytes: Uint8Array) => through(new DecompressionStream('deflate-raw'), bytes);

/**
 * `bytes` as raw deflate "stored" blocks (RFC 1951 §3.2.4: a header byte, LEN, NLEN = ~LEN, the
 * bytes as they are), built here without a compressor: valid deflate that is cheap to make.
 */
function stored(bytes: Uint8Array): Uint8Array {
  const blocks: number[] = [];
  let at = 0;
  do {
    const length = Math.min(65_535, bytes.length - at);
    const final = at + length >= bytes.length ? 1 : 0;
    blocks.push(final, length & 0xff, length >> 8, ~length & 0xff, (~length >> 8) & 0xff);
    for (let i = 0; i < length; i++) blocks.push(bytes[at + i]!);
    at += length;
  } while (at < bytes.length);
  return new Uint8Array(blocks);
}

/** A container by the documented layout: 'FFNB', format, version, u32 J, JSON, binary, CRC-32. */
function container(
  json: string,
  binary = new Uint8Array(0),
  version: number = NOTEBOOK_VERSION,
): Uint8Array {
  const text = new TextEncoder().encode(json);
  const bytes = new Uint8Array(10 + text.length + binary.length + 4);
  const view = new DataView(bytes.buffer);
  bytes.set([0x46, 0x46, 0x4e, 0x42, 1, version]);
  view.setUint32(6, text.length, true);
  bytes.set(text, 10);
  bytes.set(binary, 10 + text.length);
  withCrc(bytes);
  return bytes;
}

function withCrc(bytes: Uint8Array): Uint8Array {
  const end = bytes.length - 4;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(end, crc32(bytes.subarray(0, end)), true);
  return bytes;
}

/** A link holding `bytes`: compressed by the browser, or (cheaper) in stored deflate blocks. */
const linkOf = async (bytes: Uint8Array, compress: boolean) =>
  `nb=${NOTEBOOK_VERSION}.${base64UrlEncode(compress ? await deflate(bytes) : stored(bytes))}`;

interface Source {
  link: string;
  raw: Uint8Array;
  doc: { notebook: Notebook; weights: Record<string, unknown>[] };
}

/** Replaces one leaf (number, string, boolean) of `doc`, chosen by `pick`, with `value`. */
function replaceLeaf(doc: unknown, pick: number, value: unknown): void {
  const leaves: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      const k = Array.isArray(node) ? Number(key) : key;
      if (typeof child === 'object' && child !== null) walk(child);
      else leaves.push([node as Record<string, unknown>, k]);
    }
  };
  walk(doc);
  if (leaves.length === 0) return;
  const [parent, key] = leaves[pick % leaves.length]!;
  (parent as Record<string | number, unknown>)[key] = value;
}

const WEIRD = [
  1e7,
  -1,
  1e308,
  -1e308,
  0.5,
  2 ** 32,
  -0,
  '1',
  '',
  null,
  true,
  [],
  {},
  'x'.repeat(2000),
];

type Case =
  | { kind: 'random-text'; text: string }
  | { kind: 'random-link'; version: number; data: string }
  | { kind: 'truncated'; source: number; fraction: number }
  | { kind: 'char-flip'; source: number; flips: [number, number][] }
  | { kind: 'byte-flip'; source: number; flips: [number, number][] }
  | {
      kind: 'inner-flip';
      source: number;
      flips: [number, number][];
      fixCrc: boolean;
      compress: boolean;
    }
  | { kind: 'huge'; length: number; char: string }
  | { kind: 'wrong-version'; source: number; version: string }
  | { kind: 'deflated-junk'; bytes: Uint8Array; framed: boolean; compress: boolean }
  | { kind: 'bad-json'; source: number; pick: number; value: number; compress: boolean }
  | { kind: 'valid'; source: number };

const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), {
  minLength: 1,
  maxLength: 4,
});

function caseArbitrary(sources: number): fc.Arbitrary<Case> {
  const source = fc.integer({ min: 0, max: sources - 1 });
  // One in four through the real compressor, the rest in stored blocks (same decoder, faster).
  const compress = fc.integer({ min: 0, max: 3 }).map((n) => n === 0);
  return fc.oneof(
    {
      weight: 10,
      arbitrary: fc
        .oneof(
          fc.string({ maxLength: 300, unit: 'binary' }),
          fc.string({ maxLength: 300 }),
          fc.string({ maxLength: 300 }).map((s) => `#nb=${s}`),
        )
        .map((text) => ({ kind: 'random-text' as const, text })),
    },
    {
      weight: 10,
      arbitrary: fc.record({
        kind: fc.constant('random-link' as const),
        version: fc.integer({ min: 0, max: 4 }),
        data: fc.string({ maxLength: 400, unit: fc.constantFrom(...URL_ALPHABET) }),
      }),
    },
    {
      weight: 15,
      arbitrary: fc.record({
        kind: fc.constant('truncated' as const),
        source,
        fraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      }),
    },
    {
      weight: 10,
      arbitrary: fc.record({ kind: fc.constant('char-flip' as const), source, flips }),
    },
    {
      weight: 10,
      arbitrary: fc.record({ kind: fc.constant('byte-flip' as const), source, flips }),
    },
    {
      weight: 20,
      arbitrary: fc.record({
        kind: fc.constant('inner-flip' as const),
        source,
        flips,
        fixCrc: fc.boolean(),
        compress,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('huge' as const),
        length: fc.oneof(
          fc.integer({ min: 100_000, max: 3_000_000 }),
          fc.integer({ min: MAX_LINK_CHARS + 1, max: MAX_LINK_CHARS + 1000 }),
        ),
        char: fc.constantFrom('A', '_', '0', 'z'),
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('wrong-version' as const),
        source,
        version: fc.oneof(
          fc.nat().map(String),
          fc.constantFrom('', '-1', '1e3', '2.0', '99999999999', '0x2', ' 2'),
        ),
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('deflated-junk' as const),
        bytes: fc.uint8Array({ maxLength: 400 }),
        framed: fc.boolean(),
        compress,
      }),
    },
    {
      weight: 20,
      arbitrary: fc.record({
        kind: fc.constant('bad-json' as const),
        source,
        pick: fc.nat(),
        value: fc.integer({ min: 0, max: WEIRD.length - 1 }),
        compress,
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('valid' as const), source }) },
  );
}

function flipBits(bytes: Uint8Array, from: number, list: [number, number][]): Uint8Array {
  const out = bytes.slice();
  if (out.length <= from) return out;
  for (const [at, bit] of list) {
    const i = from + (at % (out.length - from));
    out[i] = out[i]! ^ (1 << bit);
  }
  return out;
}

async function linkFor(c: Case, sources: Source[]): Promise<string> {
  const src = 'source' in c ? sources[c.source]! : undefined;
  switch (c.kind) {
    case 'random-text':
      return c.text;
    case 'random-link':
      return `nb=${c.version}.${c.data}`;
    case 'truncated':
      return src!.link.slice(0, Math.floor(c.fraction * src!.link.length));
    case 'char-flip': {
      const chars = src!.link.split('');
      for (const [at, bit] of c.flips) {
        const i = 5 + (at % (chars.length - 5));
        chars[i] = URL_ALPHABET[(URL_ALPHABET.indexOf(chars[i]!) + 1 + bit * 7) % 64]!;
      }
      return chars.join('');
    }
    case 'byte-flip':
      return `nb=${NOTEBOOK_VERSION}.${base64UrlEncode(flipBits(base64Decode(src!.link.slice(5))!, 0, c.flips))}`;
    case 'inner-flip': {
      const flipped = flipBits(src!.raw, 4, c.flips);
      return linkOf(c.fixCrc ? withCrc(flipped) : flipped, c.compress);
    }
    case 'huge':
      return `nb=${NOTEBOOK_VERSION}.${c.char.repeat(c.length)}`;
    case 'wrong-version':
      return `nb=${c.version}.${src!.link.slice(5)}`;
    case 'deflated-junk': {
      const json = new TextDecoder().decode(c.bytes);
      return linkOf(c.framed ? container(json) : c.bytes, c.compress);
    }
    case 'bad-json': {
      const doc = structuredClone(src!.doc);
      replaceLeaf(doc, c.pick, structuredClone(WEIRD[c.value]));
      const binaryStart = 10 + new DataView(src!.raw.buffer).getUint32(6, true);
      return linkOf(container(JSON.stringify(doc), src!.raw.slice(binaryStart, -4)), c.compress);
    }
    case 'valid':
      return src!.link;
  }
}

type Outcome = 'accepted' | NotebookErrorCode;

async function decodeWithin(link: string): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PER_CASE_MS} ms`)), PER_CASE_MS);
  });
  try {
    const payload = await Promise.race([decodeShareLink(link), timeout]);
    expect(parseNotebook(payload.notebook)).to.deep.equal(payload.notebook);
    for (const w of payload.weights) expect(w.params).to.be.instanceOf(Float32Array);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof NotebookError)) throw error;
    expect(error.message.length).to.be.greaterThan(10);
    return error.code;
  } finally {
    clearTimeout(timer);
  }
}

describe('share link fuzz (fast-check)', () => {
  it(`answers ${CASES} hostile links with a payload or a NotebookError, never a hang`, async () => {
    // Valid links to damage: the default and v1 notebooks and random ones, some with weights.
    const payloads = fc.sample(
      notebookArbitrary(8).chain((notebook) =>
        weightsArbitrary(notebook, 200).map((weights) => ({ notebook, weights })),
      ),
      { numRuns: 30, seed: 5 },
    );
    const all: { notebook: Notebook; weights: ModelWeights[] }[] = [
      { notebook: defaultNotebook(), weights: [] },
      { notebook: parseNotebook(v1), weights: [] },
      ...payloads,
    ];
    const sources: Source[] = [];
    for (const payload of all) {
      const link = await encodeShareLink(payload, { weights: 'float16' });
      const raw = await inflate(base64Decode(link.slice(5))!);
      const jsonLength = new DataView(raw.buffer).getUint32(6, true);
      const doc = JSON.parse(new TextDecoder().decode(raw.subarray(10, 10 + jsonLength)));
      sources.push({ link, raw, doc });
    }

    const cases = fc.sample(caseArbitrary(sources.length), { numRuns: CASES, seed: 42 });
    const counts = new Map<string, number>();
    const outcomes = new Map<Outcome, number>();
    const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);
    let slowest = 0;
    const started = performance.now();
    for (let i = 0; i < cases.length; i += BATCH) {
      const batch = cases.slice(i, i + BATCH);
      await Promise.all(
        batch.map(async (c, j) => {
          const link = await linkFor(c, sources);
          try {
            const t = performance.now();
            bump(outcomes, await decodeWithin(link));
            slowest = Math.max(slowest, performance.now() - t);
          } catch (error) {
            const shown = link.length > 200 ? `${link.slice(0, 200)}… (${link.length})` : link;
            throw new Error(
              `case ${i + j} (${c.kind}) ${JSON.stringify(shown)}: ${String(error)}`,
              {
                cause: error,
              },
            );
          }
          bump(counts, c.kind);
        }),
      );
    }
    const seconds = (performance.now() - started) / 1000;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    console.log(
      `[figures] fuzz: ${total} links in ${seconds.toFixed(1)} s (${Math.round(total / seconds)}/s), slowest ${slowest.toFixed(0)} ms;`,
      JSON.stringify(Object.fromEntries(outcomes)),
      JSON.stringify(Object.fromEntries(counts)),
    );
    expect(total).to.equal(CASES);
    for (const kind of ['random-text', 'random-link', 'truncated', 'char-flip', 'byte-flip']) {
      expect(counts.get(kind) ?? 0, kind).to.be.greaterThan(300);
    }
    for (const kind of [
      'inner-flip',
      'huge',
      'wrong-version',
      'deflated-junk',
      'bad-json',
      'valid',
    ]) {
      expect(counts.get(kind) ?? 0, kind).to.be.greaterThan(20);
    }
    // Every failure mode is reached, and intact links still open.
    for (const code of [
      'syntax',
      'version',
      'schema',
      'checksum',
      'too-large',
      'compression',
      'weights',
    ]) {
      expect(outcomes.get(code as Outcome) ?? 0, code).to.be.greaterThan(0);
    }
    expect(outcomes.get('accepted') ?? 0).to.be.at.least(counts.get('valid')!);
  });
});

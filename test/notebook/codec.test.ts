import { expect } from '@esm-bundle/chai';
import {
  NotebookError,
  SHARE_LINK_BUDGET,
  decodeShareLink,
  defaultNotebook,
  encodeShareLink,
  maxQuantizationError,
  notebookFromFile,
  readNotebookFile,
  paramsHash,
  createCell,
  type ModelCell,
  notebookToFile,
  parseNotebook,
  type ModelWeights,
  type SharePayload,
} from '../../src/notebook';
import { base64Decode, base64UrlEncode, crc32 } from '../../src/notebook/binary';
import { buildFlowLayers, resolveFlowSpec } from '../../src/models/flows/flow-spec';
import { ParameterLayout } from '../../src/nn/parameters';
import v1 from './fixtures/notebook-v1.json' with { type: 'json' };

/** Deterministic test values: a mix of magnitudes, signs, zeros and subnormal-range values. */
function sampleParams(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    out[i] = (u - 0.5) * 2 ** Math.floor(u * 40 - 30);
  }
  out[0] = 0;
  out[1] = -0;
  out[2] = 65504;
  out[3] = 3e-6;
  return out;
}

function weightsFor(trainId: string, params: Float32Array): ModelWeights {
  return { trainId, steps: 500, params, normalization: { shift: [0.5, -0.25], scale: [1.5, 2] } };
}

async function rejection(promise: Promise<unknown>): Promise<NotebookError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(NotebookError);
    return error as NotebookError;
  }
  throw new Error('expected a NotebookError, but it resolved');
}

describe('notebook share links', () => {
  it('round-trips the default notebook settings-only, in every accepted form', async () => {
    const notebook = defaultNotebook();
    const link = await encodeShareLink({ notebook, weights: [] });
    expect(link).to.match(/^nb=3\.[A-Za-z0-9_-]+$/);
    expect(link.length).to.be.lessThan(SHARE_LINK_BUDGET);
    for (const form of [link, `#${link}`, `https://example.org/app/?x=1#${link}`]) {
      const decoded = await decodeShareLink(form);
      expect(decoded.notebook).to.deep.equal(notebook);
      expect(decoded.weights).to.deep.equal([]);
    }
    console.log(`[figures] default notebook, settings only: ${link.length} characters`);
  });

  it('round-trips the v1 fixture after migration', async () => {
    const notebook = parseNotebook(v1);
    const decoded = await decodeShareLink(await encodeShareLink({ notebook, weights: [] }));
    expect(decoded.notebook).to.deep.equal(notebook);
  });

  it('carries float16 weights within maxQuantizationError; settings-only drops them', async () => {
    const params = sampleParams(7000);
    const payload: SharePayload = {
      notebook: defaultNotebook(),
      weights: [weightsFor('train-1', params)],
    };
    const bound = maxQuantizationError(params);
    expect(bound).to.equal(65504 * 2 ** -11);
    const link = await encodeShareLink(payload, { weights: 'float16' });
    const { weights } = await decodeShareLink(link);
    expect(weights).to.have.length(1);
    const [w] = weights;
    expect(w!.trainId).to.equal('train-1');
    expect(w!.steps).to.equal(500);
    expect(w!.normalization).to.deep.equal(payload.weights[0]!.normalization);
    expect(w!.params.length).to.equal(params.length);
    for (let i = 0; i < params.length; i++) {
      const x = params[i]!;
      const error = Math.abs(w!.params[i]! - x);
      expect(error).to.be.at.most(bound);
      // The per-value bound: half an ulp of float16 (relative 2^-11, or 2^-25 below 2^-14).
      expect(error).to.be.at.most(Math.abs(x) >= 2 ** -14 ? Math.abs(x) * 2 ** -11 : 2 ** -25);
    }
    expect(Object.is(w!.params[1], -0)).to.equal(true);
    const settingsOnly = await decodeShareLink(await encodeShareLink(payload));
    expect(settingsOnly.weights).to.deep.equal([]);
  });

  it('stores models float16 cannot hold (|x| > 65504, NaN) as exact float32', async () => {
    const params = sampleParams(100);
    params[5] = 1e6;
    params[6] = Number.NaN;
    params[7] = -Infinity;
    expect(maxQuantizationError(params)).to.equal(0);
    const link = await encodeShareLink(
      { notebook: defaultNotebook(), weights: [weightsFor('train-1', params)] },
      { weights: 'float16' },
    );
    const { weights } = await decodeShareLink(link);
    expect(Array.from(weights[0]!.params)).to.deep.equal(Array.from(params));
  });

  it('refuses to encode invalid notebooks or weights for unknown Train cells', async () => {
    const notebook = defaultNotebook();
    const bad = structuredClone(notebook) as unknown as { cells: { model?: { hidden: number } }[] };
    bad.cells[2]!.model!.hidden = 10_000_000;
    const e1 = await rejection(
      encodeShareLink({ notebook: bad as never, weights: [] }, { weights: 'none' }),
    );
    expect(e1.path).to.equal('cells[2].model.hidden');
    const e2 = await rejection(
      encodeShareLink(
        { notebook, weights: [weightsFor('nope', new Float32Array(3))] },
        { weights: 'float16' },
      ),
    );
    expect(e2.code).to.equal('weights');
    expect(e2.path).to.equal('weights[0].trainId');
  });

  it('detects a changed byte with the checksum, a newer version, and junk', async () => {
    const link = await encodeShareLink({ notebook: defaultNotebook(), weights: [] });
    // Re-pack the container with one byte of the JSON changed and the old CRC kept.
    const compressed = base64Decode(link.slice(5))!;
    const raw = new Uint8Array(
      await new Response(
        new Blob([compressed as Uint8Array<ArrayBuffer>])
          .stream()
          .pipeThrough(new DecompressionStream('deflate-raw')),
      ).arrayBuffer(),
    );
    raw[20] = raw[20]! ^ 0x01;
    const tampered = new Uint8Array(
      await new Response(
        new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate-raw')),
      ).arrayBuffer(),
    );
    const e1 = await rejection(decodeShareLink(`nb=3.${base64UrlEncode(tampered)}`));
    expect(e1.code).to.equal('checksum');
    const e2 = await rejection(decodeShareLink(`nb=4.${link.slice(5)}`));
    expect(e2.code).to.equal('version');
    expect(e2.message).to.contain('versions 1 to 3');
    const e3 = await rejection(decodeShareLink('nb=3.!!!'));
    expect(e3.code).to.equal('syntax');
    const e4 = await rejection(decodeShareLink(`nb=3.${link.slice(5, 40)}`));
    expect(['compression', 'syntax']).to.include(e4.code);
  });

  it('opens a version 1 link (nb=1., a v1 notebook inside) as the migrated notebook', async () => {
    // Built here from the layout documented in codec.ts: magic, format 1, version, u32 JSON
    // length, JSON, (no weights), CRC-32 of everything before it.
    const pack = async (version: number, notebookVersion = version) => {
      const json = new TextEncoder().encode(
        JSON.stringify({ notebook: { ...v1, version: notebookVersion }, weights: [] }),
      );
      const bytes = new Uint8Array(10 + json.length + 4);
      const view = new DataView(bytes.buffer);
      bytes.set([0x46, 0x46, 0x4e, 0x42, 1, version]);
      view.setUint32(6, json.length, true);
      bytes.set(json, 10);
      view.setUint32(10 + json.length, crc32(bytes.subarray(0, 10 + json.length)), true);
      const compressed = await new Response(
        new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate-raw')),
      ).arrayBuffer();
      return base64UrlEncode(new Uint8Array(compressed));
    };
    const decoded = await decodeShareLink(`#nb=1.${await pack(1)}`);
    expect(decoded.notebook).to.deep.equal(parseNotebook(v1));
    expect(decoded.notebook.version).to.equal(3);
    // The prefix, the container and the notebook must agree on the version.
    expect((await rejection(decodeShareLink(`nb=2.${await pack(1)}`))).code).to.equal('version');
    expect((await rejection(decodeShareLink(`nb=1.${await pack(1, 2)}`))).code).to.equal('version');
  });

  it('refuses to make a link that would not open (over the payload cap)', async () => {
    const params = new Float32Array(4_000_000).fill(1e6); // float16 cannot hold 1e6: 16 MB of float32
    const error = await rejection(
      encodeShareLink(
        { notebook: defaultNotebook(), weights: [weightsFor('train-1', params)] },
        { weights: 'float16' },
      ),
    );
    expect(error.code).to.equal('too-large');
    expect(error.message).to.contain('.flowfield.json');
  });

  it('stops inflating a deflate bomb at the cap', async () => {
    const zeros = new Uint8Array(9 * 1024 * 1024);
    const bomb = new Uint8Array(
      await new Response(
        new Blob([zeros]).stream().pipeThrough(new CompressionStream('deflate-raw')),
      ).arrayBuffer(),
    );
    const error = await rejection(decodeShareLink(`nb=2.${base64UrlEncode(bomb)}`));
    expect(error.code).to.equal('too-large');
  });

  it('CRC-32 known answer', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).to.equal(0xcbf43926);
    expect(crc32(new Uint8Array(0))).to.equal(0);
  });
});

describe('notebook files', () => {
  it('round-trips float32 weights exactly', async () => {
    const params = sampleParams(5000);
    params[9] = 1e30;
    params[10] = Number.NaN;
    const payload: SharePayload = {
      notebook: defaultNotebook(),
      weights: [weightsFor('train-1', params)],
    };
    const text = notebookToFile(payload);
    const back = notebookFromFile(text);
    expect(back.notebook).to.deep.equal(payload.notebook);
    expect(back.weights[0]!.normalization).to.deep.equal(payload.weights[0]!.normalization);
    const a = new Uint32Array(params.buffer);
    const b = new Uint32Array(back.weights[0]!.params.buffer);
    expect(Array.from(b)).to.deep.equal(Array.from(a));
    // The page's reader (sliced JSON, base64 in chunks with pauses) gives the same payload.
    const paced = await readNotebookFile(text);
    expect(paced.notebook).to.deep.equal(payload.notebook);
    expect(Array.from(new Uint32Array(paced.weights[0]!.params.buffer))).to.deep.equal(
      Array.from(a),
    );
    const parsed = JSON.parse(text) as { format: string; version: number };
    expect(parsed.format).to.equal('flowfield-notebook');
    expect(parsed.version).to.equal(3);
  });

  it('rejects junk with NotebookError (both readers, the same message)', async () => {
    for (const junk of [
      '',
      'nope',
      '[]',
      '{"format":"other"}',
      '{"format":"flowfield-notebook"}',
    ]) {
      expect(() => notebookFromFile(junk)).to.throw(NotebookError);
      expect(await messageOf(readNotebookFile(junk)), junk).to.equal(
        messageOf(notebookFromFile, junk),
      );
    }
    const text = notebookToFile({ notebook: defaultNotebook(), weights: [] });
    const doc = JSON.parse(text) as { weights: unknown[] };
    doc.weights = [
      {
        trainId: 'train-1',
        steps: 1,
        normalization: { shift: [0, 0], scale: [1, 1] },
        float32: 'abc',
      },
    ];
    expect(() => notebookFromFile(JSON.stringify(doc))).to.throw(
      NotebookError,
      'weights[0].float32',
    );
    expect(await messageOf(readNotebookFile(JSON.stringify(doc)))).to.equal(
      messageOf(notebookFromFile, JSON.stringify(doc)),
    );
  });
});

/** The message a reader's NotebookError carries (sync: called with `text`). */
function messageOf(read: Promise<unknown>): Promise<string>;
function messageOf(read: (text: string) => unknown, text: string): string;
function messageOf(read: Promise<unknown> | ((text: string) => unknown), text = ''): unknown {
  const fail = (error: unknown) => {
    expect(error).to.be.instanceOf(NotebookError);
    return (error as Error).message;
  };
  if (read instanceof Promise) {
    return read.then(() => expect.fail('expected the reader to refuse the file'), fail);
  }
  try {
    read(text);
  } catch (error) {
    return fail(error);
  }
  return expect.fail('expected the reader to refuse the file');
}

describe('notebook figures and hashes', () => {
  it('fits a RealNVP 6×32 model with float16 weights in the share-link budget', async () => {
    const model = (createCell('model', 'm') as ModelCell).model;
    expect([model.kind, model.layers, model.hidden, model.hiddenLayers]).to.deep.equal([
      'realnvp',
      6,
      32,
      2,
    ]);
    const layout = new ParameterLayout();
    buildFlowLayers(resolveFlowSpec({ ...model, family: 'flow', kind: 'realnvp' }), layout);
    // Closed form: per coupling, an MLP 1 → 32 → 32 → 2 (scale and shift): weights + biases.
    const perCoupling = 1 * 32 + 32 + (32 * 32 + 32) + (32 * 2 + 2);
    expect(layout.total).to.equal(6 * perCoupling);
    // Initial parameters (every weight random, as after training): no easier to compress.
    const params = layout.initialize(model.seed);
    const payload = { notebook: defaultNotebook(), weights: [weightsFor('train-1', params)] };
    const link = await encodeShareLink(payload, { weights: 'float16' });
    const settingsOnly = await encodeShareLink(payload);
    console.log(
      `[figures] RealNVP 6×32: ${layout.total} parameters; link with float16 weights ${link.length} characters (settings only ${settingsOnly.length}); file ${notebookToFile(payload).length} characters`,
    );
    expect(link.length).to.be.lessThan(SHARE_LINK_BUDGET);
    const decoded = await decodeShareLink(link);
    const bound = maxQuantizationError(params);
    decoded.weights[0]!.params.forEach((x, i) =>
      expect(Math.abs(x - params[i]!)).to.be.at.most(bound),
    );
  });

  it('hashes parameters as SHA-256 of little-endian float32 bytes (known answers)', async () => {
    // Reference digests computed independently (Python hashlib over struct.pack('<f', …)).
    expect(await paramsHash(new Float32Array([1]))).to.equal(
      'e00e5eb9444182f352323374ef4e08ebcb784725fdd4fd612d7730540b3e0c8c',
    );
    expect(await paramsHash(new Float32Array([1, -2.5, 0]))).to.equal(
      '738e86d615200bd3391d7ae379779a8e4644bade56d93d0634aa07004fa697f3',
    );
    expect(await paramsHash(new Float32Array(0))).to.equal(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    const params = sampleParams(100);
    const copy = params.slice();
    copy[50] = Math.fround(copy[50]! * (1 + 2 ** -20));
    expect(await paramsHash(copy)).to.not.equal(await paramsHash(params));
  });
});

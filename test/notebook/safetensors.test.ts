import { expect } from '@esm-bundle/chai';
import { ParameterLayout } from '../../src/nn/parameters';
import { buildFlowLayers, resolveFlowSpec } from '../../src/models/flows/flow-spec';
import {
  type NotebookError,
  createCell,
  modelSafetensors,
  readSafetensors,
  writeSafetensors,
  type ModelCell,
} from '../../src/notebook';
import { notebookErrorFrom } from './errors';

const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));

/** A safetensors file by hand: u64 LE header length, header text, data bytes. */
function handMade(header: string, data: number[]): Uint8Array {
  const length = header.length;
  const bytes = [length & 0xff, (length >> 8) & 0xff, 0, 0, 0, 0, 0, 0, ...ascii(header), ...data];
  return new Uint8Array(bytes);
}

const errorOf = (bytes: Uint8Array): NotebookError =>
  notebookErrorFrom(() => readSafetensors(bytes), 'readSafetensors');

describe('safetensors', () => {
  it('writes the known bytes of a tiny F32 tensor (header padded with spaces to 8)', () => {
    const bytes = writeSafetensors({ a: { shape: [2], data: new Float32Array([1, 2]) } });
    // 54 header characters + 2 spaces = 56 = 0x38; 1.0f = 00 00 80 3f, 2.0f = 00 00 00 40.
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ';
    const expected = [0x38, 0, 0, 0, 0, 0, 0, 0, ...ascii(header), 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40];
    expect(Array.from(bytes)).to.deep.equal(expected);
  });

  it('round-trips several tensors and string metadata', () => {
    const w = new Float32Array([0.5, -1.25, 3e-8, 1e30, -0, 7]);
    const b = new Float32Array([Math.PI]);
    const bytes = writeSafetensors(
      {
        'layer.w': { shape: [2, 3], data: w },
        bias: { shape: [1], data: b },
        empty: { shape: [0], data: new Float32Array(0) },
      },
      { format: 'pt', note: 'é <script>' },
    );
    expect((new DataView(bytes.buffer).getUint32(0, true) + 8) % 8).to.equal(0);
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).to.deep.equal({ format: 'pt', note: 'é <script>' });
    expect(Object.keys(tensors)).to.deep.equal(['layer.w', 'bias', 'empty']);
    expect(tensors['layer.w']!.shape).to.deep.equal([2, 3]);
    expect(tensors['layer.w']!.dtype).to.equal('F32');
    expect(Array.from(tensors['layer.w']!.data)).to.deep.equal(Array.from(w));
    expect(Array.from(tensors['bias']!.data)).to.deep.equal(Array.from(b));
    expect(tensors['empty']!.data.length).to.equal(0);
  });

  it('reads F16 tensors (hand-made file)', () => {
    const header = '{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}';
    // 0x3c00 = 1, 0xc000 = −2, 0x7bff = 65504, 0x0001 = 2^−24.
    const bytes = handMade(header, [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00]);
    const { tensors } = readSafetensors(bytes);
    expect(tensors['h']!.dtype).to.equal('F16');
    expect(Array.from(tensors['h']!.data)).to.deep.equal([1, -2, 65504, 2 ** -24]);
  });

  it('refuses every truncation and bad headers with a clear NotebookError', () => {
    const bytes = writeSafetensors(
      { a: { shape: [3], data: new Float32Array([1, 2, 3]) } },
      { k: 'v' },
    );
    for (let cut = 0; cut < bytes.length; cut++) {
      const error = errorOf(bytes.subarray(0, cut));
      expect(error.code).to.equal('weights');
      expect(error.message).to.match(/shorter|truncated/);
    }
    const bad: [string, number[], RegExp][] = [
      ['{"a":', [], /not UTF-8 JSON/],
      ['[1,2]   ', [], /not a JSON object/],
      ['{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}', [0, 0], /F32 and F16 are read/],
      ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0], /do not span/],
      [
        '{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}',
        [0, 0, 0, 0],
        /not a list of sizes/,
      ],
      ['{"__metadata__":{"k":1}}', [], /not text/],
    ];
    for (const [header, data, message] of bad) {
      expect(errorOf(handMade(header, data)).message, header).to.match(message);
    }
  });

  it('exports a RealNVP model per layer with its settings in __metadata__', () => {
    const model = (createCell('model', 'm') as ModelCell).model;
    const layout = new ParameterLayout();
    buildFlowLayers(resolveFlowSpec({ ...model, family: 'flow', kind: 'realnvp' }), layout);
    const params = layout.initialize(model.seed);
    const weights = {
      trainId: 'train-1',
      steps: 500,
      params,
      normalization: { shift: [0.1, 0.2] as [number, number], scale: [1, 2] as [number, number] },
    };
    for (const slices of [layout.views, undefined]) {
      const { tensors, metadata } = readSafetensors(modelSafetensors(weights, model, slices));
      expect(JSON.parse(metadata['flowfield.model']!)).to.deep.equal(model);
      expect(JSON.parse(metadata['flowfield.normalization']!)).to.deep.equal(weights.normalization);
      expect(metadata['flowfield.steps']).to.equal('500');
      const names = slices ? layout.views.map((v) => v.name) : ['params'];
      expect(Object.keys(tensors)).to.deep.equal(names);
      const flat = Object.values(tensors).flatMap((t) => Array.from(t.data));
      expect(flat).to.deep.equal(Array.from(params));
      if (slices) {
        for (const view of layout.views)
          expect(tensors[view.name]!.shape).to.deep.equal(view.shape);
      }
    }
    expect(() => modelSafetensors(weights, model, layout.views.slice(1))).to.throw(RangeError);
  });
});

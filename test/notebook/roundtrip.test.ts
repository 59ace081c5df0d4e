import { expect } from '@esm-bundle/chai';
import fc from 'fast-check';
import {
  decodeShareLink,
  encodeShareLink,
  maxQuantizationError,
  notebookFromFile,
  notebookToFile,
  parseNotebook,
  type ModelWeights,
} from '../../src/notebook';
import { notebookArbitrary, weightsArbitrary } from './arbitraries';

const bitsOf = (values: Float32Array) => Array.from(new Uint32Array(values.slice().buffer));

function expectSameMeta(actual: ModelWeights, expected: ModelWeights): void {
  expect(actual.trainId).to.equal(expected.trainId);
  expect(actual.steps).to.equal(expected.steps);
  expect(actual.normalization).to.deep.equal(expected.normalization);
  expect(actual.params.length).to.equal(expected.params.length);
}

describe('notebook round trips (fast-check)', () => {
  it('random valid notebooks pass parseNotebook unchanged', () => {
    fc.assert(
      fc.property(notebookArbitrary(), (notebook) => {
        expect(parseNotebook(notebook)).to.deep.equal(notebook);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('random notebooks with weights: links within the float16 bound, files exact', async () => {
    const payloads = notebookArbitrary().chain((notebook) =>
      weightsArbitrary(notebook).map((weights) => ({ notebook, weights })),
    );
    let withWeights = 0;
    let exactFallbacks = 0;
    await fc.assert(
      fc.asyncProperty(payloads, async (payload) => {
        const settingsOnly = await decodeShareLink(await encodeShareLink(payload));
        expect(settingsOnly).to.deep.equal({ notebook: payload.notebook, weights: [] });

        const link = await decodeShareLink(await encodeShareLink(payload, { weights: 'float16' }));
        expect(link.notebook).to.deep.equal(payload.notebook);
        expect(link.weights).to.have.length(payload.weights.length);
        payload.weights.forEach((original, m) => {
          const decoded = link.weights[m]!;
          expectSameMeta(decoded, original);
          const bound = maxQuantizationError(original.params);
          if (original.params.length > 0) withWeights++;
          if (bound === 0) {
            // Values float16 cannot hold (or none at all): the model travels as exact float32.
            expect(bitsOf(decoded.params)).to.deep.equal(bitsOf(original.params));
            exactFallbacks += original.params.some((x) => !(Math.abs(x) <= 65504)) ? 1 : 0;
            return;
          }
          original.params.forEach((x, i) => {
            expect(Math.abs(decoded.params[i]! - x)).to.be.at.most(bound);
          });
        });

        const file = notebookFromFile(notebookToFile(payload));
        expect(file.notebook).to.deep.equal(payload.notebook);
        payload.weights.forEach((original, m) => {
          expectSameMeta(file.weights[m]!, original);
          expect(bitsOf(file.weights[m]!.params)).to.deep.equal(bitsOf(original.params));
        });
      }),
      { numRuns: 150, seed: 12 },
    );
    expect(withWeights).to.be.greaterThan(20);
    expect(exactFallbacks).to.be.greaterThan(0);
  });
});

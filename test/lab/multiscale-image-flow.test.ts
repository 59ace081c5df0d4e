/**
 * lab.createModel({ family: 'image-flow', kind: 'realnvp' | 'glow' }) end to end: bits/dim and
 * log p of a fresh model (a permutation of the pixels) against the closed form, training on MNIST
 * crops lowers held-out bits/dim with the first loss equal to the closed form, samples reproduce,
 * parameters round-trip.
 */
import { expect } from '@esm-bundle/chai';
import { Lab } from '../../src/lab/lab';
import { drawImagesCpu } from '../../src/data/images/draw';
import { resolvePreprocess } from '../../src/data/images/preprocess';
import type { ImageSet } from '../../src/data/images/image-set';
import { testGpu } from '../support/gpu';

/** log of the standard normal density, written independently of the library's twin. */
const logNormal = (z: number) => -0.5 * z * z - 0.5 * Math.log(2 * Math.PI);

/**
 * Bits/dim of a flow that permutes the pixels, with a Gaussian prior: the prior's log-density
 * summed over the pixels does not depend on their order.
 */
function permutationBitsPerDim(y: Float64Array, logDets: Float64Array, dims: number): number[] {
  return Array.from(logDets, (logDet, b) => {
    let logP = logDet;
    for (let d = 0; d < dims; d++) logP += logNormal(y[b * dims + d]!);
    return -logP / (dims * Math.LN2);
  });
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** 8×8 crops (rows and columns 3…10) of 14×14 MNIST digits: where the strokes are. */
function cropped(set: ImageSet, count: number): ImageSet {
  const pixels = new Uint8Array(count * 64);
  for (let i = 0; i < count; i++)
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++)
        pixels[i * 64 + y * 8 + x] = set.pixels[i * 196 + (y + 3) * 14 + x + 3]!;
  return { count, channels: 1, height: 8, width: 8, pixels };
}

const SIZES = {
  realnvp: { scales: 2, couplingsPerScale: 2, channels: 8 },
  glow: { levels: 2, stepsPerLevel: 2, channels: 8 },
} as const;

for (const kind of ['realnvp', 'glow'] as const) {
  describe(`image flows in the lab (${kind})`, () => {
    it('a fresh model permutes the pixels: bits/dim and log p equal the closed form', async () => {
      const lab = await Lab.open({ runtime: await testGpu() });
      try {
        const count = 10;
        const pixels = Uint8Array.from(
          { length: count * 16 },
          (_, i) => (i * 97 + (i >> 3) * 13) % 256,
        );
        const set: ImageSet = { count, channels: 1, height: 4, width: 4, pixels };
        const data = lab.dataset({ images: set });
        const model = await lab.createModel({
          family: 'image-flow',
          kind,
          shape: [1, 4, 4],
          ...SIZES[kind],
          seed: 4,
        });
        expect(model.spec.kind).to.equal(kind);
        // RealNVP: 2×2×2 factored out after the squeeze, the last scale 2×2×2. Glow: 2×2×2 out
        // after level 0's squeeze (4×2×2), then level 1 squeezes the kept 2×2×2 to 8×1×1.
        expect(model.latentShapes).to.deep.equal(
          kind === 'realnvp'
            ? [
                [2, 2, 2],
                [2, 2, 2],
              ]
            : [
                [2, 2, 2],
                [8, 1, 1],
              ],
        );
        const estimate = await model.bitsPerDim(data, { seed: 9 });
        const draws = drawImagesCpu(set, resolvePreprocess({ transform: 'unit' }), {
          count,
          seed: 9,
          step: 0,
          order: 'sequential',
        });
        const expected = permutationBitsPerDim(draws.z, draws.items.logDets, 16);
        expect(estimate.count).to.equal(count);
        expect(estimate.mean).to.be.closeTo(mean(expected), 1e-5 * mean(expected));
        const logProb = await model.logProb(pixels.subarray(0, 32));
        for (let b = 0; b < 2; b++) {
          let closed = -16 * Math.log(256);
          for (let d = 0; d < 16; d++) closed += logNormal((pixels[b * 16 + d]! + 0.5) / 256);
          expect(logProb[b]).to.be.closeTo(closed, 1e-5 * Math.abs(closed));
        }
        const a = await model.sample(3, { seed: 3, temperature: 0.7 });
        expect(Array.from(await model.sample(3, { seed: 3, temperature: 0.7 }))).to.deep.equal(
          Array.from(a),
        );
        // Temperature 0: the image of z = 0, which a permutation leaves at 0.
        expect(Array.from(await model.sample(2, { temperature: 0 }))).to.deep.equal(
          new Array(32).fill(0),
        );
      } finally {
        lab.dispose();
      }
    });

    it('training on MNIST crops lowers held-out bits/dim; parameters round-trip', async () => {
      const lab = await Lab.open({ runtime: await testGpu() });
      try {
        const [train, test] = await Promise.all([
          lab.dataset({ name: 'mnist', size: 14, split: 'train' }).load(),
          lab.dataset({ name: 'mnist', size: 14, split: 'test' }).load(),
        ]);
        const trainSet = cropped(train, 512);
        const data = lab.dataset({ images: trainSet });
        const heldOut = lab.dataset({ images: cropped(test, 64) });
        const model = await lab.createModel({
          family: 'image-flow',
          kind,
          shape: [1, 8, 8],
          ...SIZES[kind],
          seed: 2,
        });
        const before = await model.bitsPerDim(heldOut, { seed: 1 });
        const buffersBefore = lab.runtime.pool.stats().inUse;
        const losses: number[] = [];
        const batch = 16;
        const summary = await lab.train(model, data, {
          steps: 30,
          batch,
          seed: 5,
          optimizer: { kind: 'adam', lr: 0.005 },
          progressIntervalMs: 0,
          onProgress: (p) => losses.push(...p.losses),
        }).done;
        expect(summary.steps).to.equal(30);
        // Step 0 trains the fresh model: its loss is the closed-form bits/dim of the batch.
        const first = drawImagesCpu(trainSet, resolvePreprocess({ transform: 'unit' }), {
          count: batch,
          seed: 5,
          step: 0,
        });
        const expectedFirst = mean(permutationBitsPerDim(first.z, first.items.logDets, 64));
        expect(losses[0]).to.be.closeTo(expectedFirst, 1e-5 * expectedFirst);
        const after = await model.bitsPerDim(heldOut, { seed: 1 });
        data.dispose();
        expect(lab.runtime.pool.stats().inUse, 'buffers left by the run').to.equal(buffersBefore);
        expect(after.mean, `held-out bits/dim ${before.mean} → ${after.mean}`).to.be.lessThan(
          before.mean - 10 * (before.standardError + after.standardError),
        );
        const copy = await lab.createModel({ ...model.spec });
        copy.importParams(await model.exportParams());
        expect((await copy.bitsPerDim(heldOut, { seed: 1 })).mean).to.equal(after.mean);
      } finally {
        lab.dispose();
      }
    });
  });
}

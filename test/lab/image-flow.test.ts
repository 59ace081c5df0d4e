/**
 * lab.createModel({ family: 'image-flow', kind: 'nice' }) end to end: spec errors, bits/dim of a
 * fresh model against the closed form, training on MNIST lowers held-out bits/dim, the loss is
 * bits/dim, sampling and parameters round-trip.
 */
import { expect } from '@esm-bundle/chai';
import { Lab } from '../../src/lab/lab';
import { ModelSpecError } from '../../src/models/flows/flow-spec';
import { drawImagesCpu } from '../../src/data/images/draw';
import { resolvePreprocess } from '../../src/data/images/preprocess';
import type { ImageSet } from '../../src/data/images/image-set';
import { testGpu } from '../support/gpu';

/** log of the standard logistic density, written independently of the library's twin. */
function logisticLogDensity(z: number): number {
  return z - 2 * Math.log(1 + Math.exp(z));
}

/** Mean bits/dim of an identity flow with a logistic prior on draws y with log-dets. */
function identityBitsPerDim(y: Float64Array, logDets: Float64Array, dims: number): number[] {
  return Array.from(logDets, (logDet, b) => {
    let logP = logDet;
    for (let d = 0; d < dims; d++) logP += logisticLogDensity(y[b * dims + d]!);
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

describe('image flows in the lab (NICE)', () => {
  it('refuses bad specs and shape mismatches with messages that name the fields', async () => {
    const lab = await Lab.open({ runtime: await testGpu() });
    try {
      const base = { family: 'image-flow', kind: 'nice', shape: [1, 4, 4] } as const;
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ ...base, kind: 'maf' }, 'kind', /one of 'nice', 'realnvp', 'glow', got "maf"/],
        [{ ...base, kind: 'realnvp', shape: [1, 6, 6], scales: 3 }, 'scales', /divisible by 4/],
        [{ ...base, kind: 'glow', levels: 2, channels: 999 }, 'channels', /\[1, 256\]/],
        [{ ...base, shape: [1, 3, 3] }, 'shape', /must be even/],
        [{ ...base, shape: [14, 14] }, 'shape', /\[channels, height, width\]/],
        [{ ...base, hidden: 2048 }, 'hidden', /model.hidden must be an integer in \[1, 1024\]/],
        [
          { ...base, shape: [1, 64, 64], hidden: 1024, layers: 8 },
          'hidden',
          /more than the 8000000/,
        ],
        [{ ...base, prior: 'cauchy' }, 'prior', /'logistic' or 'gaussian', got "cauchy"/],
        [{ ...base, width: 3 }, 'width', /Unknown field 'width'.*allowed fields/],
      ];
      for (const [spec, field, message] of cases) {
        let error: unknown;
        try {
          await lab.createModel(spec as never);
        } catch (e) {
          error = e;
        }
        expect(error, field).to.be.instanceOf(ModelSpecError);
        expect((error as ModelSpecError).field).to.equal(field);
        expect((error as Error).message).to.match(message);
      }
      let unknown: unknown;
      try {
        await lab.createModel({ family: 'images', kind: 'nice' } as never);
      } catch (e) {
        unknown = e;
      }
      expect((unknown as Error).message).to.match(
        /'flow', 'diffusion', 'image-flow' or 'image-diffusion', got "images"/,
      );
      const model = await lab.createModel({ ...base, hidden: 4, seed: 1 });
      const data = lab.dataset({
        images: { count: 2, channels: 1, height: 2, width: 8, pixels: new Uint8Array(32) },
      });
      const options = { steps: 1, batch: 2, optimizer: { kind: 'adam', lr: 1e-3 } } as const;
      expect(() => lab.train(model, data, options)).to.throw(
        ModelSpecError,
        /model's shape \[1, 4, 4\].*dataset 'images' of shape \[1, 2, 8\]; create the model with shape: dataset.shape/,
      );
      const flow2d = await lab.createModel({
        family: 'flow',
        kind: 'nice',
        layers: 2,
        hidden: 4,
        seed: 0,
      });
      expect(() => lab.train(flow2d, data as never, options)).to.throw(
        TypeError,
        /image dataset for a 2-D model.*family: 'image-flow', kind: 'nice', shape: \[1, 2, 8\]/,
      );
    } finally {
      lab.dispose();
    }
  });

  it('a fresh model is the identity: bits/dim equal the closed form; samples reproduce', async () => {
    const lab = await Lab.open({ runtime: await testGpu() });
    try {
      const count = 12;
      const pixels = Uint8Array.from(
        { length: count * 16 },
        (_, i) => (i * 97 + (i >> 3) * 13) % 256,
      );
      const set: ImageSet = { count, channels: 1, height: 4, width: 4, pixels };
      const data = lab.dataset({ images: set });
      const model = await lab.createModel({
        family: 'image-flow',
        kind: 'nice',
        shape: [1, 4, 4],
        layers: 2,
        hidden: 8,
        seed: 4,
      });
      expect(model.latentShapes).to.deep.equal([[1, 4, 4]]);
      // Held-out bits/dim with dequantization noise: the draws' twin gives y and the log-dets.
      const estimate = await model.bitsPerDim(data, { seed: 9 });
      const draws = drawImagesCpu(set, resolvePreprocess({ transform: 'unit' }), {
        count,
        seed: 9,
        step: 0,
        order: 'sequential',
      });
      const expected = identityBitsPerDim(draws.z, draws.items.logDets, 16);
      expect(estimate.count).to.equal(count);
      expect(estimate.mean).to.be.closeTo(mean(expected), 1e-5 * mean(expected));
      const sd = Math.sqrt(
        expected.reduce((a, b) => a + (b - mean(expected)) ** 2, 0) / (count - 1),
      );
      expect(estimate.standardError).to.be.closeTo(sd / Math.sqrt(count), 1e-4);
      // log p of 8-bit pixels at their bins' centres, in nats on the pixel scale.
      const logProb = await model.logProb(pixels.subarray(0, 32));
      for (let b = 0; b < 2; b++) {
        let closed = -16 * Math.log(256);
        for (let d = 0; d < 16; d++)
          closed += logisticLogDensity((pixels[b * 16 + d]! + 0.5) / 256);
        expect(logProb[b]).to.be.closeTo(closed, 1e-5 * Math.abs(closed));
      }
      const a = await model.sample(5, { seed: 3, temperature: 0.7 });
      const b = await model.sample(5, { seed: 3, temperature: 0.7 });
      expect(Array.from(b)).to.deep.equal(Array.from(a));
      expect(a.every((v) => v >= 0 && v <= 1)).to.equal(true);
      // Temperature 0: the image of z = 0, which the identity flow leaves at 0.
      expect(Array.from(await model.sample(2, { temperature: 0 }))).to.deep.equal(
        new Array(32).fill(0),
      );
    } finally {
      lab.dispose();
    }
  });

  it('training on MNIST digits lowers held-out bits/dim; the loss is bits/dim', async () => {
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
        kind: 'nice',
        shape: [1, 8, 8],
        layers: 4,
        hidden: 16,
        hiddenLayers: 1,
        seed: 2,
      });
      const before = await model.bitsPerDim(heldOut, { seed: 1 });
      const buffersBefore = lab.runtime.pool.stats().inUse;
      const losses: number[] = [];
      const batch = 16;
      const run = lab.train(model, data, {
        steps: 40,
        batch,
        seed: 5,
        optimizer: { kind: 'adam', lr: 0.01 },
        progressIntervalMs: 0,
        onProgress: (p) => losses.push(...p.losses),
      });
      const summary = await run.done;
      expect(summary.steps).to.equal(40);
      expect(losses.length).to.equal(40);
      // Step 0 trains the fresh (identity) model: its loss is the closed-form mean bits/dim of
      // the batch the draw twin makes for (seed 5, step 0).
      const first = drawImagesCpu(trainSet, resolvePreprocess({ transform: 'unit' }), {
        count: batch,
        seed: 5,
        step: 0,
      });
      const expectedFirst = mean(identityBitsPerDim(first.z, first.items.logDets, 64));
      expect(losses[0]).to.be.closeTo(expectedFirst, 1e-5 * expectedFirst);
      const after = await model.bitsPerDim(heldOut, { seed: 1 });
      // The run's trainer and task released everything; the training set holds its own copy.
      data.dispose();
      expect(lab.runtime.pool.stats().inUse, 'buffers left by the run').to.equal(buffersBefore);
      expect(after.mean, `held-out bits/dim ${before.mean} → ${after.mean}`).to.be.lessThan(
        before.mean - 10 * (before.standardError + after.standardError),
      );
      // Parameters round-trip into a new model of the same spec.
      const copy = await lab.createModel({ ...model.spec });
      copy.importParams(await model.exportParams());
      const again = await copy.bitsPerDim(heldOut, { seed: 1 });
      expect(again.mean).to.equal(after.mean);
      // Weights of another size are refused with the count expected, and change nothing.
      expect(() => copy.importParams(new Float32Array(3))).to.throw(
        RangeError,
        new RegExp(
          `needs a Float32Array of this model's ${copy.parameterCount} parameters, got 3 values`,
        ),
      );
      expect((await copy.bitsPerDim(heldOut, { seed: 1 })).mean).to.equal(after.mean);
    } finally {
      lab.dispose();
    }
  });
});

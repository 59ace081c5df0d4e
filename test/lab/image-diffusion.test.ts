/**
 * lab.createModel({ family: 'image-diffusion', kind: 'flow-matching' | 'ddpm' }) end to end: spec
 * errors, the training loss against the twin at step 0, training lowers the loss, lab sampling,
 * the EMA of the weights against its recursion.
 */
import { expect } from '@esm-bundle/chai';
import { Lab } from '../../src/lab/lab';
import { ModelSpecError } from '../../src/models/flows/flow-spec';
import { drawImagesCpu } from '../../src/data/images/draw';
import { resolvePreprocess } from '../../src/data/images/preprocess';
import type { ImageSet } from '../../src/data/images/image-set';
import { fmBatchTwin } from '../../src/models/image-diffusion/fm-reference';
import { imageFmUNetShape } from '../../src/models/image-diffusion/fm-spec';
import { ddpmBatchTwin } from '../../src/models/image-diffusion/ddpm-reference';
import { imageDdpmUNetShape } from '../../src/models/image-diffusion/ddpm-spec';
import { makeSchedule } from '../../src/models/diffusion/schedule';
import type { ChunkGate } from '../../src/lab/training';
import { cfgLabelsTwin } from '../../src/models/image-diffusion/guidance-reference';
import { unetForward } from '../../src/nn/reference/unet';
import { testGpu } from '../support/gpu';

/**
 * 8×8 crops (rows and columns 3…10) of 14×14 MNIST digits: `count` images `stride` apart, with
 * their labels (the sets are ordered by class: a stride reaches every class).
 */
function cropped(set: ImageSet, count: number, stride = 1): ImageSet {
  const pixels = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const from = i * stride;
    labels[i] = set.labels?.[from] ?? 0;
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++)
        pixels[i * 64 + y * 8 + x] = set.pixels[from * 196 + (y + 3) * 14 + x + 3]!;
  }
  return { count, channels: 1, height: 8, width: 8, pixels, labels };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('image diffusion in the lab (flow matching)', () => {
  it('refuses bad specs, naming the field', async () => {
    const lab = await Lab.open({ runtime: await testGpu() });
    try {
      const base = { family: 'image-diffusion', kind: 'flow-matching', shape: [1, 8, 8] } as const;
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ ...base, kind: 'score' }, 'kind', /must be 'flow-matching' or 'ddpm', got "score"/],
        [{ ...base, kind: 'ddpm', timesteps: 5 }, 'timesteps', /in \[10, 1000\], got 5/],
        [{ ...base, kind: 'ddpm', schedule: 'quad' }, 'schedule', /'linear' or 'cosine'/],
        [{ ...base, timesteps: 10 }, 'timesteps', /Unknown field 'timesteps'/],
        [{ ...base, shape: [1, 7, 8] }, 'shape', /height and width must be even, got 7×8/],
        [{ ...base, channels: 6, groups: 4 }, 'groups', /must divide model.channels \(6\), got 4/],
        [{ ...base, timeFeatures: 5 }, 'timeFeatures', /must be even, got 5/],
        [{ ...base, hidden: 8 }, 'hidden', /Unknown field 'hidden'/],
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
    } finally {
      lab.dispose();
    }
  });

  it('trains on MNIST crops: step 0 is the twin loss, the loss falls; samples reproduce', async () => {
    const lab = await Lab.open({ runtime: await testGpu() });
    try {
      const train = await lab.dataset({ name: 'mnist', size: 14, split: 'train' }).load();
      const set = cropped(train, 256);
      const data = lab.dataset({ images: set });
      const model = await lab.createModel({
        family: 'image-diffusion',
        kind: 'flow-matching',
        shape: [1, 8, 8],
        channels: 4,
        groups: 2,
        timeFeatures: 4,
        timeHidden: 8,
        seed: 1,
      });
      const initial = Float64Array.from(await model.exportParams());
      const losses: number[] = [];
      const batch = 8;
      const steps = 40;
      const run = lab.train(model, data, {
        steps,
        batch,
        seed: 4,
        optimizer: { kind: 'adam', lr: 0.01 },
        progressIntervalMs: 0,
        onProgress: (p) => losses.push(...p.losses),
      });
      await run.done;
      expect(losses.length).to.equal(steps);
      // Step 0: the twin's batch (the data draw, t and ε) through the twin U-Net, MSE.
      const draw = drawImagesCpu(
        set,
        resolvePreprocess({ transform: 'scale', dequantize: false }),
        {
          count: batch,
          seed: 4,
          step: 0,
        },
      );
      const twin = fmBatchTwin(draw.z, batch, 4, 0);
      const prediction = unetForward(
        initial,
        0,
        imageFmUNetShape(model.spec),
        twin.noised,
        twin.time,
        batch,
      ).y;
      let mse = 0;
      for (let i = 0; i < prediction.length; i++) mse += (prediction[i]! - twin.target[i]!) ** 2;
      mse /= prediction.length;
      // ε is drawn by Box–Muller in f32 on the GPU (cos/sin to 2^-11): ~1e-3 of agreement.
      expect(losses[0]).to.be.closeTo(mse, 5e-3 * mse);
      const first = mean(losses.slice(0, 10));
      const last = mean(losses.slice(-10));
      expect(last, `loss ${first} → ${last}`).to.be.lessThan(0.85 * first);
      const a = await model.sample(2, { seed: 5, sampler: 'euler', steps: 3 });
      const b = await model.sample(2, { seed: 5, sampler: 'euler', steps: 3 });
      expect(Array.from(b)).to.deep.equal(Array.from(a));
      expect(a.length).to.equal(128);
      expect(a.every((v) => v >= 0 && v <= 1)).to.equal(true);
    } finally {
      lab.dispose();
    }
  });

  it('DDPM trains on MNIST crops (step 0 is the twin loss, the loss falls); the EMA follows its recursion', async () => {
    const lab = await Lab.open({ runtime: await testGpu() });
    try {
      const train = await lab.dataset({ name: 'mnist', size: 14, split: 'train' }).load();
      const set = cropped(train, 256);
      const data = lab.dataset({ images: set });
      const model = await lab.createModel({
        family: 'image-diffusion',
        kind: 'ddpm',
        shape: [1, 8, 8],
        channels: 4,
        groups: 2,
        timeFeatures: 4,
        timeHidden: 8,
        timesteps: 100,
        seed: 1,
      });
      expect(model.hasEma).to.equal(false);
      const initial = Float64Array.from(await model.exportParams());
      // One step per chunk, the weights read after each: θ_0 … θ_steps.
      const thetas: Float32Array[] = [Float32Array.from(initial)];
      const everyStep: ChunkGate = {
        enter: () =>
          Promise.resolve({
            steps: 1,
            leave: async () => void thetas.push(await model.exportParams()),
          }),
      };
      const losses: number[] = [];
      const batch = 8;
      const steps = 40;
      const decay = 0.9;
      await lab.train(model, data, {
        steps,
        batch,
        seed: 4,
        optimizer: { kind: 'adam', lr: 0.01, emaDecay: decay },
        progressIntervalMs: 0,
        chunkGate: everyStep,
        onProgress: (p) => losses.push(...p.losses),
      }).done;
      expect(losses.length).to.equal(steps);
      expect(thetas.length).to.equal(steps + 1);
      // Step 0: the twin's batch (the data draw, t and ε) through the twin U-Net, MSE(ε̂, ε).
      const draw = drawImagesCpu(
        set,
        resolvePreprocess({ transform: 'scale', dequantize: false }),
        {
          count: batch,
          seed: 4,
          step: 0,
        },
      );
      const table = makeSchedule({ kind: 'linear', timesteps: 100 });
      const twin = ddpmBatchTwin(draw.z, batch, table, 4, 0);
      const prediction = unetForward(
        initial,
        0,
        imageDdpmUNetShape(model.spec),
        twin.noised,
        twin.time,
        batch,
      ).y;
      let mse = 0;
      for (let i = 0; i < prediction.length; i++) mse += (prediction[i]! - twin.noise[i]!) ** 2;
      mse /= prediction.length;
      expect(losses[0]).to.be.closeTo(mse, 5e-3 * mse);
      const first = mean(losses.slice(0, 10));
      const last = mean(losses.slice(-10));
      expect(last, `loss ${first} → ${last}`).to.be.lessThan(0.85 * first);
      // EMA: e_0 = θ_0, e_k = d·e_{k−1} + (1 − d)·θ_k, in float64.
      const ema = Float64Array.from(thetas[0]!);
      for (const theta of thetas.slice(1)) {
        for (let i = 0; i < ema.length; i++) ema[i] = decay * ema[i]! + (1 - decay) * theta[i]!;
      }
      expect(model.hasEma).to.equal(true);
      const gpuEma = await model.exportParams('ema');
      let worst = 0;
      for (let i = 0; i < ema.length; i++) worst = Math.max(worst, Math.abs(gpuEma[i]! - ema[i]!));
      expect(worst, 'EMA vs recursion').to.be.lessThan(1e-5);
      const raw = await model.exportParams();
      expect(Array.from(raw)).to.deep.equal(Array.from(thetas[steps]!));
      // Sampling reads the EMA by default; 'params' reads the raw weights.
      const options = { seed: 5, sampler: 'ddim', steps: 5 } as const;
      const byDefault = await model.sample(2, options);
      expect(model.lastNfe).to.equal(5);
      expect(Array.from(await model.sample(2, { ...options, weights: 'ema' }))).to.deep.equal(
        Array.from(byDefault),
      );
      const fromParams = await model.sample(2, { ...options, weights: 'params' });
      expect(fromParams.some((v, i) => Math.abs(v - byDefault[i]!) > 1e-3)).to.equal(true);
      expect(byDefault.every((v) => v >= 0 && v <= 1)).to.equal(true);
      const ancestral = await model.sample(2, { seed: 5, sampler: 'ddpm' });
      expect(model.lastNfe).to.equal(100);
      expect(Array.from(await model.sample(2, { seed: 5, sampler: 'ddpm' }))).to.deep.equal(
        Array.from(ancestral),
      );
      // Decay 0: the EMA slot holds the raw weights.
      await lab.train(model, data, {
        steps: 3,
        batch,
        seed: 6,
        optimizer: { kind: 'adam', lr: 0.01, emaDecay: 0 },
        progressIntervalMs: 0,
      }).done;
      expect(Array.from(await model.exportParams('ema'))).to.deep.equal(
        Array.from(await model.exportParams()),
      );
      // Imported weights replace the EMA: samplers read them.
      model.importParams(raw);
      expect(model.hasEma).to.equal(false);
      expect(Array.from(await model.sample(2, options))).to.deep.equal(Array.from(fromParams));
    } finally {
      lab.dispose();
    }
  });

  it('class-conditional flow matching: step 0 is the twin loss with dropped labels, the loss falls, guidance 0 is unconditional', async () => {
    const lab = await Lab.open({ runtime: await testGpu() });
    try {
      const train = await lab.dataset({ name: 'mnist', size: 14, split: 'train' }).load();
      const set = cropped(train, 256, Math.floor(train.count / 256));
      expect(new Set(set.labels).size, 'every digit').to.equal(10);
      const data = lab.dataset({ images: set });
      const pUncond = 0.5;
      const model = await lab.createModel({
        family: 'image-diffusion',
        kind: 'flow-matching',
        shape: [1, 8, 8],
        channels: 4,
        groups: 2,
        timeFeatures: 4,
        timeHidden: 8,
        classes: 10,
        pUncond,
        seed: 2,
      });
      const initial = Float64Array.from(await model.exportParams());
      const losses: number[] = [];
      const batch = 8;
      await lab.train(model, data, {
        steps: 40,
        batch,
        seed: 4,
        optimizer: { kind: 'adam', lr: 0.01 },
        progressIntervalMs: 0,
        onProgress: (p) => losses.push(...p.losses),
      }).done;
      // Step 0: the twin's batch with the twin's labels (each dropped to ∅ = 10 with p 0.5).
      const draw = drawImagesCpu(
        set,
        resolvePreprocess({ transform: 'scale', dequantize: false }),
        {
          count: batch,
          seed: 4,
          step: 0,
        },
      );
      const labels = cfgLabelsTwin(Array.from(draw.items.labels), 4, 0, pUncond, 10);
      const twin = fmBatchTwin(draw.z, batch, 4, 0);
      const prediction = unetForward(
        initial,
        0,
        imageFmUNetShape(model.spec),
        twin.noised,
        twin.time,
        batch,
        labels,
      ).y;
      let mse = 0;
      for (let i = 0; i < prediction.length; i++) mse += (prediction[i]! - twin.target[i]!) ** 2;
      mse /= prediction.length;
      expect(losses[0]).to.be.closeTo(mse, 5e-3 * mse);
      // The same weights with every label kept would give another loss: the labels matter.
      const kept = unetForward(
        initial,
        0,
        imageFmUNetShape(model.spec),
        twin.noised,
        twin.time,
        batch,
        Array.from(draw.items.labels),
      ).y;
      expect(labels.filter((l) => l === 10).length, `dropped labels ${labels}`).to.be.greaterThan(
        0,
      );
      expect(
        kept.some((v, i) => Math.abs(v - prediction[i]!) > 1e-6),
        'the labels change the prediction',
      ).to.equal(true);
      const first = mean(losses.slice(0, 10));
      const last = mean(losses.slice(-10));
      expect(last, `loss ${first} → ${last}`).to.be.lessThan(0.85 * first);
      const options = { seed: 5, sampler: 'euler', steps: 3 } as const;
      const unconditional = await model.sample(2, options);
      const zero = await model.sample(2, { ...options, classes: [3, 7], guidance: 0 });
      expect(Array.from(zero)).to.deep.equal(Array.from(unconditional));
      const guided = await model.sample(2, { ...options, classes: 3, guidance: 2 });
      expect(model.lastNfe).to.equal(6);
      expect(
        guided.some((v, i) => Math.abs(v - unconditional[i]!) > 1e-4),
        'guided differs from unconditional',
      ).to.equal(true);
      let error: unknown;
      try {
        await model.sample(2, { ...options, classes: [3, 10] });
      } catch (e) {
        error = e;
      }
      expect((error as Error).message).to.match(/classes must be integers in \[0, 9\].*got 10/);
      // A set without labels cannot train a class-conditional model.
      const unlabelled = lab.dataset({ images: { ...set, labels: undefined } });
      let refused: unknown;
      try {
        await lab.train(model, unlabelled, {
          steps: 1,
          batch,
          optimizer: { kind: 'adam', lr: 0.01 },
        }).done;
      } catch (e) {
        refused = e;
      }
      expect(refused).to.be.instanceOf(ModelSpecError);
      expect((refused as Error).message).to.match(/has no labels/);
    } finally {
      lab.dispose();
    }
  });
});

/**
 * The View cell's image views through the worker API (src/worker/image-views.ts): each table
 * against the lab's own method on a model of the same spec and weights (a separate device in the
 * page), and the refusals that name what would work.
 */
import { expect } from '@esm-bundle/chai';
import type { Remote } from 'comlink';
import type { LabApi } from '../../src/worker/api';
import type { WorkerHandle } from '../../src/worker/client';
import { openLab, type Lab } from '../../src/lab/lab';
import { testValues } from '../support/gpu-helpers';
import type { ImageSet } from '../../src/data/images/image-set';
import { nearestImagesCpu } from '../../src/lab/image-nearest';
import { interpolateImages } from '../../src/lab/image-interpolation';

/** 40 random 1×4×4 images (a deterministic LCG). */
function tinySet(): ImageSet {
  const pixels = Uint8Array.from(testValues(40 * 16, 21, 1), (v) => Math.floor((v + 1) * 127.9));
  return { count: 40, channels: 1, height: 4, width: 4, pixels };
}
import { rejection, startLabWorker } from './helpers';

const FM = {
  family: 'image-diffusion',
  kind: 'flow-matching',
  shape: [1, 4, 4],
  channels: 4,
  groups: 2,
  timeFeatures: 4,
  timeHidden: 8,
  seed: 3,
} as const;
const NICE = {
  family: 'image-flow',
  kind: 'nice',
  shape: [1, 4, 4],
  layers: 2,
  hidden: 8,
  hiddenLayers: 1,
  seed: 3,
} as const;

/** The multi-scale flows at their smallest with two scales each (4×4 images). */
const REALNVP = {
  family: 'image-flow',
  kind: 'realnvp',
  shape: [1, 4, 4],
  scales: 2,
  couplingsPerScale: 1,
  channels: 4,
  seed: 3,
} as const;
const GLOW = {
  family: 'image-flow',
  kind: 'glow',
  shape: [1, 4, 4],
  levels: 2,
  stepsPerLevel: 1,
  channels: 4,
  seed: 3,
} as const;

describe('image views through the worker API', () => {
  let worker: WorkerHandle;
  let api: Remote<LabApi>;
  let lab: Lab;
  before(async () => {
    worker = startLabWorker();
    api = worker.api;
    lab = await openLab();
  });
  /** Weights testValues(count, seed, scale) + shift in `twin` and in a worker model of `spec`. */
  async function sameWeights(
    twin: { parameterCount: number; importParams(values: Float32Array): void },
    spec: Parameters<LabApi['createModel']>[0],
    seed: number,
    scale: number,
    shift = 0,
  ) {
    const params = Float32Array.from(
      testValues(twin.parameterCount, seed, scale),
      (v) => v + shift,
    );
    twin.importParams(params);
    const model = await api.createModel(spec);
    await api.importParams(model.id, params.slice().buffer);
    return model;
  }
  after(() => {
    worker.terminate();
    lab.dispose();
  });

  it("film strip: the lab's filmStrip as rows × columns with step captions", async () => {
    const twin = await lab.createModel(FM);
    const model = await sameWeights(twin, FM, 9, 0.3, 0.1);
    const request = {
      view: 'film-strip',
      count: 2,
      seed: 5,
      sampler: 'euler',
      steps: 6,
      columns: 4,
    } as const;
    const table = await api.imageView(model.id, request);
    const expected = await twin.filmStrip(2, { seed: 5, sampler: 'euler', steps: 6, columns: 4 });
    expect(table).to.deep.include({ rows: 2, columns: 4, shape: [1, 4, 4] });
    expect(table.columnLabels).to.deep.equal(['x_T', 'step 2', 'step 4', 'x₀ (6)']);
    expect(Array.from(table.values)).to.deep.equal(Array.from(expected.images));
    twin.dispose();
  });

  it('a class-conditional model: film strip and nearest samples are drawn with the request’s labels and guidance', async () => {
    const spec = { ...FM, classes: 3 } as const;
    const twin = await lab.createModel(spec);
    const model = await sameWeights(twin, spec, 13, 0.3, 0.1);
    const solver = { seed: 5, sampler: 'heun', steps: 3 } as const;
    const labels = { classes: [2, 0], guidance: 2.5 };
    const strip = await api.imageView(model.id, {
      view: 'film-strip',
      count: 2,
      columns: 3,
      ...solver,
      ...labels,
    });
    const guided = await twin.filmStrip(2, { ...solver, ...labels, columns: 3 });
    expect(Array.from(strip.values)).to.deep.equal(Array.from(guided.images));
    const plain = await twin.filmStrip(2, { ...solver, columns: 3 });
    expect(Array.from(strip.values)).to.not.deep.equal(Array.from(plain.images));

    const opened = await api.openImageSet({ images: tinySet(), seed: 1 });
    const near = await api.imageView(model.id, {
      view: 'nearest',
      count: 2,
      set: opened.id,
      ...solver,
      ...labels,
    });
    const samples = await twin.sample(2, { ...solver, ...labels });
    for (let r = 0; r < 2; r++) {
      expect(
        Array.from(near.values.subarray(2 * r * 16, (2 * r + 1) * 16)),
        `row ${r}`,
      ).to.deep.equal(Array.from(samples.subarray(r * 16, (r + 1) * 16)));
    }
    await api.disposeImageSet(opened.id);
    twin.dispose();
  });

  it('nearest: each sample next to the brute-force nearest training image, with index and distance', async () => {
    const set = tinySet();
    const opened = await api.openImageSet({ images: set, seed: 1 });
    const twin = await lab.createModel(NICE);
    const model = await sameWeights(twin, NICE, 4, 0.2);
    const request = {
      view: 'nearest',
      count: 5,
      seed: 2,
      temperature: 0.3,
      set: opened.id,
    } as const;
    const table = await api.imageView(model.id, request);
    const samples = await twin.sample(5, { seed: 2, temperature: 0.3 });
    const truth = nearestImagesCpu(samples, set);
    expect(table).to.deep.include({ rows: 5, columns: 2, shape: [1, 4, 4] });
    expect(table.columnLabels).to.deep.equal(['sample', 'nearest training image']);
    for (let r = 0; r < 5; r++) {
      const sample = table.values.subarray(2 * r * 16, (2 * r + 1) * 16);
      const nearest = table.values.subarray((2 * r + 1) * 16, (2 * r + 2) * 16);
      expect(Array.from(sample), `sample ${r}`).to.deep.equal(
        Array.from(samples.subarray(r * 16, (r + 1) * 16)),
      );
      const i = truth.index[r]!;
      expect(Array.from(nearest), `nearest ${r}`).to.deep.equal(
        Array.from(set.pixels.subarray(i * 16, (i + 1) * 16), (v) => Math.fround((v + 0.5) / 256)),
      );
      expect(table.rowLabels![r]).to.equal(`#${i}: L2 ${truth.distance[r]!.toFixed(3)}`);
    }
    // Twice: the search kept for the set answers alike.
    expect(Array.from((await api.imageView(model.id, request)).values)).to.deep.equal(
      Array.from(table.values),
    );
    expect(
      (await rejection(api.imageView(model.id, { view: 'nearest', count: 2 }))).message,
    ).to.match(/The nearest view reads the run’s training set: pass its image set id/);
    twin.dispose();
  });

  it('interpolation: the lab path between the two training images the seed picks', async () => {
    const set = tinySet();
    const opened = await api.openImageSet({ images: set, seed: 1 });
    const twin = await lab.createModel(FM);
    const model = await sameWeights(twin, FM, 9, 0.3, 0.1);
    const request = {
      view: 'interpolation',
      count: 1,
      seed: 45,
      sampler: 'rk4',
      steps: 4,
      columns: 5,
      set: opened.id,
    } as const;
    const table = await api.imageView(model.id, request);
    // Seed 45 of 40 images: #5, and #25 half the set on.
    expect(table.columnLabels).to.deep.equal(['#5', '0.25', '0.50', '0.75', '#25']);
    const image = (i: number) =>
      Float32Array.from(set.pixels.subarray(i * 16, (i + 1) * 16), (v) => (v + 0.5) / 256);
    const expected = await interpolateImages(twin, image(5), image(25), {
      frames: 5,
      sampler: 'rk4',
      steps: 4,
    });
    expect(table).to.deep.include({ rows: 1, columns: 5 });
    expect(Array.from(table.values)).to.deep.equal(Array.from(expected));
    twin.dispose();
  });

  for (const spec of [REALNVP, GLOW]) {
    it(`latents (${spec.kind}): each scale's part of the lab's forward, clipped to ±3, as grey`, async () => {
      const set = tinySet();
      const opened = await api.openImageSet({ images: set, seed: 1 });
      const twin = await lab.createModel(spec);
      // Weights large enough that some latents pass ±3 (the clipping is exercised).
      const model = await sameWeights(twin, spec, 7, 0.6);
      const table = await api.imageView(model.id, {
        view: 'latents',
        count: 4,
        seed: 45,
        set: opened.id,
      });
      // Seed 45 of 40 images, 4 rows: #5 and every 10th after.
      const picked = [5, 15, 25, 35];
      expect(table.rowLabels).to.deep.equal(picked.map((i) => `#${i}`));
      const images = new Float32Array(4 * 16);
      picked.forEach((i, r) => {
        for (let d = 0; d < 16; d++) images[r * 16 + d] = (set.pixels[i * 16 + d]! + 0.5) / 256;
      });
      const z = await twin.forward(images);
      const shapes = twin.latentShapes;
      expect(shapes.length, 'scales').to.equal(2);
      expect(table.columnLabels).to.deep.equal([
        'image',
        `scale 1: ${shapes[0]!.join('×')}`,
        `scale 2 (last): ${shapes[1]!.join('×')}`,
      ]);
      expect(table.columnShapes).to.deep.equal([
        [1, 4, 4],
        ...shapes.map(([c, h, w]) => [1, h, c * w]),
      ]);
      let at = 0;
      let clipped = 0;
      for (let r = 0; r < 4; r++) {
        expect(Array.from(table.values.subarray(at, at + 16)), `image ${r}`).to.deep.equal(
          Array.from(images.subarray(r * 16, (r + 1) * 16)),
        );
        at += 16;
        let from = r * 16;
        shapes.forEach(([c, h, w], s) => {
          for (let k = 0; k < c; k++) {
            for (let y = 0; y < h; y++) {
              for (let x = 0; x < w; x++) {
                const value = z[from + (k * h + y) * w + x]!;
                if (Math.abs(value) > 3) clipped++;
                const grey = (Math.min(3, Math.max(-3, value)) + 3) / 6;
                const shown = table.values[at + y * c * w + k * w + x]!;
                expect(
                  Math.abs(shown - grey),
                  `row ${r} scale ${s + 1} (${k}, ${y}, ${x})`,
                ).to.be.below(1e-6);
              }
            }
          }
          at += c * h * w;
          from += c * h * w;
        });
      }
      expect(at).to.equal(table.values.length);
      expect(clipped, 'latents beyond ±3').to.be.above(0);
      twin.dispose();
    });
  }

  it('refuses the latents view of NICE and of diffusion models, naming the kinds that have it', async () => {
    const set = await api.openImageSet({ images: tinySet(), seed: 1 });
    const nice = await api.createModel(NICE);
    expect(
      (await rejection(api.imageView(nice.id, { view: 'latents', count: 4, set: set.id }))).message,
    ).to.match(/NICE has a single latent .* needs a RealNVP or Glow model/);
    const fm = await api.createModel(FM);
    expect(
      (await rejection(api.imageView(fm.id, { view: 'latents', count: 4, set: set.id }))).message,
    ).to.match(/A flow-matching model’s latent is the noise x_T.* needs a RealNVP or Glow model/);
  });

  it('refuses a film strip of an image flow and of too many rows, saying what works', async () => {
    const nice = await api.createModel(NICE);
    expect(
      (await rejection(api.imageView(nice.id, { view: 'film-strip', count: 2 }))).message,
    ).to.match(
      /no denoising film strip\. Choose the sample grid, or a flow-matching or DDPM model/,
    );
    const fm = await api.createModel(FM);
    expect(
      (await rejection(api.imageView(fm.id, { view: 'film-strip', count: 9 }))).message,
    ).to.match(/1 to 8 samples, got 9/);
  });
});

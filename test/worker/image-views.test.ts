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

describe('image views through the worker API', () => {
  let worker: WorkerHandle;
  let api: Remote<LabApi>;
  let lab: Lab;
  before(async () => {
    worker = startLabWorker();
    api = worker.api;
    lab = await openLab();
  });
  after(() => {
    worker.terminate();
    lab.dispose();
  });

  it("film strip: the lab's filmStrip as rows × columns with step captions", async () => {
    const twin = await lab.createModel(FM);
    const params = Float32Array.from(testValues(twin.parameterCount, 9, 0.3), (v) => v + 0.1);
    twin.importParams(params);
    const model = await api.createModel(FM);
    await api.importParams(model.id, params.slice().buffer);
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

  it('nearest: each sample next to the brute-force nearest training image, with index and distance', async () => {
    const set = tinySet();
    const opened = await api.openImageSet({ images: set, seed: 1 });
    const twin = await lab.createModel(NICE);
    const params = Float32Array.from(testValues(twin.parameterCount, 4, 0.2));
    twin.importParams(params);
    const model = await api.createModel(NICE);
    await api.importParams(model.id, params.slice().buffer);
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
    const params = Float32Array.from(testValues(twin.parameterCount, 9, 0.3), (v) => v + 0.1);
    twin.importParams(params);
    const model = await api.createModel(FM);
    await api.importParams(model.id, params.slice().buffer);
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

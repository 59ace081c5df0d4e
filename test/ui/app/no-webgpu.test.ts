/**
 * The app in a browser without WebGPU: the worker starts with navigator.gpu and the GPU*
 * constant globals removed (as in Firefox without WebGPU), the page without navigator.gpu. A
 * gallery notebook then opens with its weights, computed on the CPU: its samples lie on the data
 * (not a Gaussian blob), its view draws them, training is disabled, and the note says why.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import { shareableWorkerClient } from '../../../src/ui/app/weights-client';
import type { FfTrainCell } from '../../../src/ui/train-cell/train-cell';
import type { FfViewCell } from '../../../src/ui/view-cell/view-cell';
import { startWorker, type WorkerHandle } from '../../../src/worker/client';
import { freshDb, settle, until } from '../support/share-support';

const GALLERY_URL = new URL('../../../public/gallery/', import.meta.url).href;

/**
 * A module worker that removes WebGPU, then runs the real worker. Static imports, evaluated in
 * order: a top-level await would let the page's first messages arrive before comlink listens.
 */
function workerWithoutWebGpu(): URL {
  const blob = (text: string) => URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
  const removal = blob(`
    delete WorkerNavigator.prototype.gpu;
    for (const name of ['GPUBufferUsage', 'GPUShaderStage', 'GPUMapMode', 'GPUTextureUsage', 'GPUColorWrite']) {
      delete self[name];
    }
  `);
  const real = new URL('../../../src/worker/worker.ts', import.meta.url).href;
  return new URL(blob(`import ${JSON.stringify(removal)};\nimport ${JSON.stringify(real)};\n`));
}

/** Median distance from each sample to its nearest reference point. */
function medianNearest(samples: Float32Array, reference: Float32Array): number {
  const distances: number[] = [];
  for (let i = 0; i < samples.length; i += 2) {
    let best = Infinity;
    for (let j = 0; j < reference.length; j += 2) {
      best = Math.min(
        best,
        (samples[i]! - reference[j]!) ** 2 + (samples[i + 1]! - reference[j + 1]!) ** 2,
      );
    }
    distances.push(Math.sqrt(best));
  }
  distances.sort((a, b) => a - b);
  return distances[distances.length >> 1]!;
}

/** Standard normal points scaled to the per-axis moments of `points` (a fixed grid of quantiles). */
function matchedGaussian(points: Float32Array, side: number): Float32Array {
  const n = points.length / 2;
  const stats = [0, 1].map((a) => {
    let m = 0;
    for (let i = 0; i < n; i++) m += points[2 * i + a]! / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (points[2 * i + a]! - m) ** 2 / n;
    return [m, Math.sqrt(v)] as const;
  });
  const out = new Float32Array(2 * side * side);
  // Box–Muller on a regular grid of (u1, u2): deterministic, Gaussian-distributed.
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      const r = Math.sqrt(-2 * Math.log((i + 0.5) / side));
      const t = (2 * Math.PI * (j + 0.5)) / side;
      out[2 * (i * side + j)] = stats[0]![0] + stats[0]![1] * r * Math.cos(t);
      out[2 * (i * side + j) + 1] = stats[1]![0] + stats[1]![1] * r * Math.sin(t);
    }
  }
  return out;
}

/** Pixels of the samples' Okabe–Ito vermilion. */
function vermilion(image: { data: Uint8ClampedArray }): number {
  let n = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    const [r, g, b] = [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
    if (r > 90 && r > g + 30 && r > b + 50) n++;
  }
  return n;
}

describe('the app without WebGPU (CPU backend)', function () {
  this.timeout(60_000);
  let worker: WorkerHandle;
  const pageGpu = Object.getOwnPropertyDescriptor(Navigator.prototype, 'gpu');
  before(() => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
    worker = startWorker(workerWithoutWebGpu());
  });
  after(() => {
    worker.terminate();
    if (pageGpu) Object.defineProperty(Navigator.prototype, 'gpu', pageGpu);
  });

  async function openGallery(name: string): Promise<FfApp> {
    const app = await fixture<FfApp>(
      html`<ff-app .client=${shareableWorkerClient(worker.api)}></ff-app>`,
    );
    await app.session.boot({ hash: '', autosaveDb: freshDb() });
    app.session.galleryBase = GALLERY_URL;
    await app.session.openGallery(name);
    await until('the gallery notebook', () => app.session.lastGalleryOpen, 60_000);
    await settle(app);
    return app;
  }

  it('the worker says it serves the CPU, and training calls reject with the reason', async () => {
    expect('gpu' in navigator).to.equal(false);
    const report = await worker.api.probe();
    expect(report.cpuFallback?.reason).to.equal('no-navigator-gpu');
    expect(report.cpuFallback?.note).to.match(
      /^Viewing without WebGPU: .*training needs WebGPU.*Browsers that have it: Chrome/,
    );
    const data = await worker.api.createDataset({ name: 'moons', seed: 1 });
    const model = await worker.api.createModel({
      family: 'flow',
      kind: 'realnvp',
      layers: 2,
      hidden: 8,
      seed: 1,
    });
    const run = await worker.api.createRun(model.id, data.id, {
      steps: 5,
      batch: 32,
      optimizer: { kind: 'adam', lr: 1e-3 },
    });
    let refusal = '';
    await worker.api.start(run).catch((error: Error) => (refusal = error.message));
    expect(refusal).to.match(/^Training needs WebGPU\. Viewing without WebGPU/);
    // What still works: samples and log p of the model.
    const samples = await worker.api.sample(model.id, 64, { seed: 1 });
    expect(samples.length).to.equal(128);
    expect(Array.from(await worker.api.logProb(model.id, samples)).every(Number.isFinite)).to.equal(
      true,
    );
  });

  for (const [name, trainId] of [
    ['realnvp-8gaussians', 'train-1'],
    ['ddpm-swissroll', 'train-1'],
  ] as const) {
    it(`${name}: samples on the data, drawn, with the note, and training disabled`, async () => {
      const app = await openGallery(name);
      const timing = app.session.lastGalleryOpen!;
      console.log(
        `${name} without WebGPU: ${timing.msToSamples.toFixed(0)} ms from opening to first samples`,
      );
      expect(timing.withWeights).to.equal(true);
      const note = app.shadowRoot!.querySelector('.cpu-note')?.textContent ?? '';
      expect(note).to.contain('Viewing without WebGPU').and.contain('training needs WebGPU');
      expect(app.shadowRoot!.querySelector('.missing')).to.equal(null);

      const run = await until('samples', () => {
        const r = app.lab!.run(trainId);
        return r.samples && r.state === 'done' ? r : undefined;
      });
      expect(run.samples!.every(Number.isFinite)).to.equal(true);
      const dataCell = app.store.cell('data-1');
      if (dataCell?.kind !== 'data') throw new Error('data-1 is not a Data cell');
      const data = await app.client!.sampleData(dataCell.source, 2048, 5);
      const model = medianNearest(run.samples!.subarray(0, 1024), data);
      const gaussian = medianNearest(matchedGaussian(data, 24), data);
      expect(model, `median distance to data: model ${model}, Gaussian ${gaussian}`).to.be.lessThan(
        0.8 * gaussian,
      );

      // Training is disabled, and asking anyway keeps the weights and says why.
      const view = app.shadowRoot!.querySelector('ff-notebook-view')!;
      await settle(view as unknown as FfApp);
      const trainCell = view.shadowRoot!.querySelector('ff-train-cell') as FfTrainCell;
      const train = [...trainCell.shadowRoot!.querySelectorAll('button')].find(
        (b) => b.textContent?.trim() === 'Train',
      )!;
      expect(train.disabled).to.equal(true);
      const runAll = [...view.shadowRoot!.querySelectorAll('button')].find(
        (b) => b.textContent?.trim() === 'Run all',
      )!;
      expect(runAll.disabled).to.equal(true);
      await app.lab!.play(trainId);
      expect(app.lab!.run(trainId).state).to.equal('done');
      expect(app.lab!.run(trainId).step).to.equal(run.step);
      expect(app.lab!.run(trainId).error).to.contain('training needs WebGPU');

      // The View cell draws the samples into its canvas with a 2-D context.
      const viewCell = view.shadowRoot!.querySelector('ff-view-cell') as FfViewCell;
      const report = await until('a drawn view', () => viewCell.gpuView?.report, 60_000);
      expect(report.width).to.be.greaterThan(0);
      const pixels = await viewCell.gpuView!.readPixels();
      expect(vermilion(pixels), 'sample-coloured pixels').to.be.greaterThan(200);
      app.remove();
    });
  }
});

/**
 * The gallery: every notebook validates and survives a link round trip, every generated file in
 * public/gallery/ (npm run pretrain) holds exactly that notebook with weights for each Train
 * cell, and opening one on the real GPU shows trained samples without any training.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import { GALLERY } from '../../../src/gallery';
import {
  decodeShareLink,
  encodeShareLink,
  notebookFromFile,
  parseNotebook,
  trainInputs,
  type SharePayload,
} from '../../../src/notebook';
import { shareableWorkerClient, type ShareableClient } from '../../../src/ui/app/weights-client';
import { startWorker, type WorkerHandle } from '../../../src/worker/client';
import { freshDb, settle, until } from '../support/share-support';

const GALLERY_URL = new URL('../../../public/gallery/', import.meta.url).href;

async function galleryFile(name: string): Promise<SharePayload> {
  const response = await fetch(new URL(`${name}.flowfield.json`, GALLERY_URL));
  expect(response.ok, `public/gallery/${name}.flowfield.json (run npm run pretrain)`).to.equal(
    true,
  );
  return notebookFromFile(await response.text());
}

/** Median distance from each sample to its nearest reference point. */
function medianNearest(samples: Float32Array, reference: Float32Array): number {
  const distances: number[] = [];
  for (let i = 0; i < samples.length; i += 2) {
    let best = Infinity;
    for (let j = 0; j < reference.length; j += 2) {
      const dx = samples[i]! - reference[j]!;
      const dy = samples[i + 1]! - reference[j + 1]!;
      best = Math.min(best, dx * dx + dy * dy);
    }
    distances.push(Math.sqrt(best));
  }
  distances.sort((a, b) => a - b);
  return distances[distances.length >> 1]!;
}

/** Gaussian points with the per-axis mean and standard deviation of `points` (seeded). */
function matchedGaussian(points: Float32Array, count: number): Float32Array {
  const n = points.length / 2;
  const mean = [0, 0];
  const sd = [0, 0];
  for (let a = 0; a < 2; a++) {
    for (let i = 0; i < n; i++) mean[a]! += points[2 * i + a]! / n;
    for (let i = 0; i < n; i++) sd[a]! += (points[2 * i + a]! - mean[a]!) ** 2 / n;
    sd[a] = Math.sqrt(sd[a]!);
  }
  let state = 12345;
  const uniform = () => ((state = (state * 1103515245 + 12345) >>> 0) + 0.5) / 2 ** 32;
  const out = new Float32Array(2 * count);
  for (let i = 0; i < count; i++) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const t = 2 * Math.PI * uniform();
    out[2 * i] = mean[0]! + sd[0]! * r * Math.cos(t);
    out[2 * i + 1] = mean[1]! + sd[1]! * r * Math.sin(t);
  }
  return out;
}

describe('gallery notebooks', () => {
  it('has at least 8 notebooks covering every model kind, a comparison and a drawn density', () => {
    expect(GALLERY.length).to.be.greaterThanOrEqual(8);
    const kinds = new Set(
      GALLERY.flatMap((e) =>
        e.notebook.cells.flatMap((c) => (c.kind === 'model' ? [c.model.kind] : [])),
      ),
    );
    expect([...kinds].sort()).to.deep.equal(
      ['ddpm', 'flow-matching', 'glow', 'nice', 'realnvp', 'spline'].sort(),
    );
    expect(GALLERY.some((e) => e.notebook.cells.some((c) => c.kind === 'compare'))).to.equal(true);
    expect(
      GALLERY.some((e) =>
        e.notebook.cells.some((c) => c.kind === 'data' && c.source.kind === 'grid'),
      ),
    ).to.equal(true);
    for (const entry of GALLERY) {
      expect(entry.notebook.cells[0]!.kind, entry.name).to.equal('note');
      for (const cell of entry.notebook.cells) {
        if (cell.kind === 'model') expect(cell.model.hidden, entry.name).to.be.at.most(64);
      }
    }
  });

  it('every notebook is accepted by parseNotebook and decodes from its link deep-equal', async () => {
    const lengths: string[] = [];
    for (const entry of GALLERY) {
      expect(parseNotebook(structuredClone(entry.notebook)), entry.name).to.deep.equal(
        entry.notebook,
      );
      const settings = await encodeShareLink({ notebook: entry.notebook, weights: [] });
      expect((await decodeShareLink(settings)).notebook, entry.name).to.deep.equal(entry.notebook);
      const file = await galleryFile(entry.name);
      const withWeights = await encodeShareLink(file, { weights: 'float16' });
      const decoded = await decodeShareLink(withWeights);
      expect(decoded.notebook, entry.name).to.deep.equal(entry.notebook);
      expect(decoded.weights.map((w) => w.trainId)).to.deep.equal(
        file.weights.map((w) => w.trainId),
      );
      lengths.push(
        `${entry.name}: settings ${settings.length + 1}, with weights ${withWeights.length + 1}`,
      );
    }
    // Measured for the README and the report: characters after '#'.
    console.log(`gallery link lengths (characters after #):\n${lengths.join('\n')}`);
  });

  it('public/gallery holds each notebook with finite weights for every Train cell, and an index', async () => {
    const index = (await (await fetch(new URL('index.json', GALLERY_URL))).json()) as {
      notebooks: { name: string; title: string; file: string }[];
    };
    expect(index.notebooks.map((n) => n.name)).to.deep.equal(GALLERY.map((e) => e.name));
    for (const entry of GALLERY) {
      const file = await galleryFile(entry.name);
      expect(file.notebook, entry.name).to.deep.equal(entry.notebook);
      const trains = entry.notebook.cells.filter((c) => c.kind === 'train').map((c) => c.id);
      expect(
        file.weights.map((w) => w.trainId),
        entry.name,
      ).to.deep.equal(trains);
      for (const w of file.weights) {
        const model = trainInputs(entry.notebook, w.trainId).model!;
        expect(w.steps, `${entry.name}/${w.trainId}`).to.equal(model.train.steps);
        expect(w.params.length).to.be.greaterThan(100);
        expect(w.params.every(Number.isFinite)).to.equal(true);
        // Some parameters moved away from their zero initialisation.
        expect(w.params.some((v) => Math.abs(v) > 1e-3)).to.equal(true);
      }
    }
  });
});

describe('opening a gallery notebook (real GPU)', function () {
  this.timeout(300_000);
  let worker: WorkerHandle;
  before(() => {
    worker = startWorker(new URL('../../../src/worker/worker.ts', import.meta.url));
  });
  after(() => worker.terminate());

  // Each with how much closer to the data its samples must be than a matched Gaussian's.
  const cases: [string, number][] = [
    ['nice-moons', 0.6],
    ['realnvp-8gaussians', 0.6],
    ['ddpm-swissroll', 0.8],
  ];
  /** Opens gallery notebook `name` in a new app, as a visitor would, through the Gallery menu. */
  async function openGallery(name: string, client: ShareableClient): Promise<FfApp> {
    const app = await fixture<FfApp>(html`<ff-app .client=${client}></ff-app>`);
    await app.session.boot({ hash: '', autosaveDb: freshDb() });
    app.session.galleryBase = GALLERY_URL;
    await settle(app);
    const gallery = app.shadowRoot!.querySelector('button.gallery') as HTMLButtonElement;
    gallery.click();
    await app.gallery.show();
    const entry = app.gallery.shadowRoot!.querySelector(
      `button[data-name="${name}"]`,
    ) as HTMLButtonElement;
    const opened = new Promise<void>((resolve) =>
      app.addEventListener('ff-gallery-open', () => resolve(), { once: true }),
    );
    // What the "Opening …" indicator says along the way (polled: the steps last 10s of ms+).
    const seen = new Set<string>();
    const watch = setInterval(() => {
      const text = app.shadowRoot!.querySelector('.opening')?.textContent;
      if (text) seen.add(text.replace(/\s+/g, ' ').trim());
    }, 10);
    entry.click();
    await opened;
    await until('the gallery notebook', () => app.session.lastGalleryOpen, 120_000);
    // The indicator goes once the notebook is saved and shown.
    await until('the end of the opening', () => !app.opening, 30_000);
    await app.updateComplete;
    clearInterval(watch);
    openingSteps.set(name, [...seen]);
    return app;
  }
  const openingSteps = new Map<string, string[]>();

  async function samplesOf(app: FfApp, trainId: string): Promise<Float32Array> {
    const start = performance.now();
    for (;;) {
      const run = app.lab!.run(trainId);
      if (run.samples && run.state === 'done') return run.samples;
      if (run.state === 'failed') throw new Error(run.error);
      if (performance.now() - start > 120_000) throw new Error(`no samples from ${trainId}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('straight-paths: with one Euler step the OT-paired model lies on the data, the independent one does not', async () => {
    const client = shareableWorkerClient(worker.api);
    const app = await openGallery('straight-paths', client);
    const [independent, ot] = [
      await samplesOf(app, 'train-independent'),
      await samplesOf(app, 'train-ot'),
    ];
    const dataCell = app.store.cell('data-1');
    if (dataCell?.kind !== 'data') throw new Error('data-1 is not a Data cell');
    const data = await client.sampleData(dataCell.source, 2048, 5);
    const near = {
      independent: medianNearest(independent.subarray(0, 1024), data),
      ot: medianNearest(ot.subarray(0, 1024), data),
      gaussian: medianNearest(matchedGaussian(data, 512), data),
    };
    console.log(
      `straight-paths, 1 Euler step: median distance to data independent ${near.independent.toFixed(3)}, ` +
        `minibatch OT ${near.ot.toFixed(3)} (matched Gaussian ${near.gaussian.toFixed(3)})`,
    );
    // What the notebook's note claims: one network evaluation suffices with straight paths only.
    expect(near.ot).to.be.lessThan(0.6 * near.gaussian);
    expect(near.ot).to.be.lessThan(0.5 * near.independent);
    app.remove();
  });

  for (const [name, ratio] of cases) {
    it(`${name}: samples at once, without training, and they lie on the data`, async () => {
      const client = shareableWorkerClient(worker.api);
      let trainCalls = 0;
      const train = client.train;
      client.train = (...args) => {
        trainCalls++;
        return train(...args);
      };
      const app = await openGallery(name, client);
      await samplesOf(app, 'train-1');
      const timing = app.session.lastGalleryOpen!;
      // A visitor sees that something is opening, and then the opening is over.
      const title = (await galleryFile(name)).notebook.title;
      const steps = openingSteps.get(name) ?? [];
      expect(
        steps.includes(`Opening the gallery notebook “${title}”. Loading its trained weights…`),
        `indicator texts seen: ${JSON.stringify(steps)}`,
      ).to.equal(true);
      expect(app.shadowRoot!.querySelector('.opening')).to.equal(null);
      console.log(`${name}: ${timing.msToSamples.toFixed(0)} ms from opening to first samples`);
      expect(timing.withWeights).to.equal(true);
      expect(trainCalls).to.equal(0);
      expect(app.store.notebook).to.deep.equal((await galleryFile(name)).notebook);
      const run = app.lab!.run('train-1');
      const view = app.store.notebook.cells.find((c) => c.kind === 'view')!;
      expect(view.kind === 'view' && run.samples!.length).to.equal(
        2 * (view.kind === 'view' ? view.sampleCount : 0),
      );
      expect(run.samples!.every(Number.isFinite)).to.equal(true);
      // Trained samples sit on the data: far closer to it than a Gaussian of the same moments.
      const dataCell = app.store.cell('data-1');
      if (dataCell?.kind !== 'data') throw new Error('data-1 is not a Data cell');
      const data = await client.sampleData(dataCell.source, 2048, 5);
      const model = medianNearest(run.samples!.subarray(0, 1024), data);
      const gaussian = medianNearest(matchedGaussian(data, 512), data);
      console.log(
        `${name}: median distance to data ${model.toFixed(3)} (matched Gaussian ${gaussian.toFixed(3)})`,
      );
      expect(model).to.be.lessThan(ratio * gaussian);
      app.remove();
    });
  }
});

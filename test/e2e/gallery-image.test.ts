/**
 * End to end on the built site (dist/, from `npm run build`): the Gallery menu opens a
 * pretrained image notebook (public/gallery/nice-mnist.flowfield.json) and its View cell shows a
 * non-constant sample grid with no Train step: the pixels are the samples a separate worker
 * draws from the file's weights with the View cell's seed and temperature (an independent path:
 * createModel + importParams + sample through the LabApi).
 */
import { expect } from '@esm-bundle/chai';
import type { FfApp } from '../../src/ui/app/app';
import { until, shadow, imgPixels } from './dom';
import { forgetAutosave } from './autosave';
import { intensityByte, sampleGrid } from '../../src/ui/view-cell/image-samples';
import { notebookFromFile, trainInputs } from '../../src/notebook';
import { imageModelSpec } from '../../src/specs';
import { startWorker } from '../../src/worker/client';

const NAME = 'nice-mnist';
let frame: HTMLIFrameElement | undefined;

describe('a pretrained gallery image notebook end to end (built site)', () => {
  afterEach(async () => {
    frame?.remove();
    await forgetAutosave();
  });

  it(`${NAME}: the Gallery opens it and the grid shows the worker's samples, untrained`, async function () {
    this.timeout(300_000);
    const response = await fetch('/dist/index.html');
    expect(response.ok, 'dist/index.html missing: run `npm run build` first').to.equal(true);
    await forgetAutosave();
    frame = document.createElement('iframe');
    frame.style.width = '1100px';
    frame.style.height = '900px';
    frame.src = '/dist/index.html';
    document.body.append(frame);
    const app = await until(
      'the app',
      () => frame!.contentDocument?.querySelector('ff-app') as FfApp | null,
      30_000,
    );
    await until('the GPU', () => app.lab?.gpu.state === 'ready', 60_000);
    (app.shadowRoot!.querySelector('button.gallery') as HTMLButtonElement).click();
    await app.gallery.show();
    const entry = await until(
      'the gallery entry',
      () => shadow(app.gallery, `button[data-name="${NAME}"]`) as HTMLButtonElement | null,
      30_000,
    );
    entry.click();
    await until('the gallery notebook', () => app.session.lastGalleryOpen, 120_000);
    const notebook = shadow(app, 'ff-notebook-view')!;
    const viewCell = await until('the View cell', () => shadow(notebook, 'ff-view-cell'), 10_000);
    const img = await until(
      'the sample grid',
      () => {
        const found = shadow(viewCell, '#sample-grid') as HTMLImageElement | null;
        return found?.complete && found.naturalWidth > 0 ? found : undefined;
      },
      120_000,
    );
    const run = app.lab!.run('train-1');
    expect(run.state).to.equal('done');
    // No Train step ran: the run holds the imported weights' step and no loss of its own.
    expect(run.losses.length, 'no Train step').to.equal(0);

    // The truth: the file's weights in a worker of the test's own, sampled as the View cell asks.
    const file = notebookFromFile(
      await (await fetch(`/dist/gallery/${NAME}.flowfield.json`)).text(),
    );
    expect(run.step).to.equal(file.weights[0]!.steps);
    const view = file.notebook.cells.find((c) => c.kind === 'view')!;
    const model = trainInputs(file.notebook, 'train-1').model!.model;
    if (view.kind !== 'view' || !model.image) throw new Error(`${NAME} is not an image notebook`);
    const worker = startWorker(new URL('../../src/worker/worker.ts', import.meta.url));
    try {
      const created = await worker.api.createModel(
        imageModelSpec(model.image, [1, 14, 14], model.seed),
      );
      await worker.api.importParams(created.id, file.weights[0]!.params.slice().buffer);
      // NICE samples z = T·ε with the cell's seed and temperature: the request written out here,
      // not taken from the app's code (a wrong request in the app fails this test).
      const count = view.sampleCount;
      const values = await worker.api.sample(created.id, count, {
        seed: view.sampleSeed,
        temperature: view.temperature,
      });
      const grid = sampleGrid({ count, shape: [1, 14, 14], values });
      expect([img.naturalWidth, img.naturalHeight]).to.deep.equal([grid.width, grid.height]);
      const shown = await imgPixels(img);
      // Every pixel of the grid (red channel; the grid is grey), frame and gaps included.
      const expected = Array.from(
        { length: grid.width * grid.height },
        (_, i) => grid.rgba[i * 4]!,
      );
      const seen = Array.from({ length: grid.width * grid.height }, (_, i) => shown[i * 4]!);
      expect(seen).to.deep.equal(expected);
      const first = Array.from(values.subarray(0, 196), intensityByte);
      expect(new Set(first).size, 'a non-constant sample').to.be.above(20);
    } finally {
      worker.terminate();
    }
  });
});

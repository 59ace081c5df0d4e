/**
 * Image models on the user's own images, through the app and the real worker: the run trains on
 * the pixels the page holds for the Data cell's files (the notebook only references them), and
 * a reference whose pixels are not here says to add them again instead of failing obscurely.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import { workerLabClient } from '../../../src/ui/controllers/worker-lab-client';
import { startWorker, type WorkerHandle } from '../../../src/worker/client';
import { IMAGE_TRAIN_DEFAULTS, imageSetHash, type ModelCell } from '../../../src/notebook';

async function until(check: () => boolean, what: string, ms = 120_000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('image models on the user’s images (app + real worker)', function () {
  this.timeout(240_000);
  let worker: WorkerHandle;
  before(() => {
    worker = startWorker(new URL('../../../src/worker/worker.ts', import.meta.url));
  });
  after(() => worker.terminate());

  it('trains NICE on the page’s pixels; without them, says to add the images again', async () => {
    const app = await fixture<FfApp>(
      html`<ff-app .client=${workerLabClient(worker.api)}></ff-app>`,
    );
    await until(() => app.lab?.gpu.state === 'ready', 'the GPU');
    // Four 4×4 grey images, as readImageFiles makes them, put where the Data cell keeps them.
    const pixels = Uint8Array.from({ length: 4 * 16 }, (_, i) => (i * 53) % 256);
    const hash = await imageSetHash(pixels);
    await app.lab!.images.adopt([{ hash, count: 4, channels: 1, size: 4, pixels }]);
    const files = {
      kind: 'image-files',
      label: '4 files',
      count: 4,
      channels: 1,
      size: 4,
      classNames: [],
      hash,
      seed: 1,
    } as const;
    app.store.dispatch({ type: 'update', id: 'data-1', patch: { source: files } });
    const model = app.store.cell('model-1') as ModelCell;
    app.store.dispatch({
      type: 'update',
      id: 'model-1',
      patch: {
        model: {
          ...model.model,
          image: {
            kind: 'nice',
            options: { layers: 2, hidden: 8, hiddenLayers: 1, prior: 'logistic' },
          },
        },
        train: { ...IMAGE_TRAIN_DEFAULTS, batch: 4, steps: 8 },
      },
    });
    await app.lab!.play('train-1');
    const run = app.lab!.run('train-1');
    expect(run.error).to.equal(undefined);
    expect(run).to.deep.include({ state: 'done', step: 8 });
    expect(run.losses.length).to.equal(8);
    await until(() => !!app.lab!.run('train-1').images, 'the sample grid');
    expect(app.lab!.run('train-1').images!.shape).to.deep.equal([1, 4, 4]);

    // The same notebook where the pixels are not in this browser (e.g. opened from a link).
    app.store.dispatch({
      type: 'update',
      id: 'data-1',
      patch: { source: { ...files, hash: 'cd'.repeat(32) } },
    });
    await app.lab!.play('train-1');
    expect(app.lab!.run('train-1').error).to.match(
      /The images of “4 files” are not in this browser: add them again in the Data cell/,
    );
  });
});

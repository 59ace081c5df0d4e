/**
 * An image notebook's trained weights go everywhere 2-D weights go (issue #16 item 4): a
 * .flowfield.json file (exact float32), a link with float16 weights, and the weights autosave.
 * Opening each samples the View cell's grid without training, and the grid is the model's: the
 * same images as before (file, autosave: bit for bit) or as the worker samples from the link's
 * float16 weights imported directly through the LabApi (an independent path).
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import { decodeShareLink, encodeShareLink, notebookFromFile } from '../../../src/notebook';
import { data, imageModel, note, notebook, train, view } from '../../../src/gallery/build';
import { imageModelSpec } from '../../../src/specs';
import { imageSampleRequest, gridCount } from '../../../src/ui/controllers/run-samples';
import { shareableWorkerClient, type ShareableClient } from '../../../src/ui/app/weights-client';
import { startWorker, type WorkerHandle } from '../../../src/worker/client';
import { freshDb, settle, until } from '../support/share-support';

/** A tiny NICE on MNIST 14×14: a few steps on SwiftShader. */
const NOTEBOOK = notebook('Tiny NICE digits', [
  note('intro', '# Tiny NICE'),
  data('data-1', 'MNIST', { kind: 'images', name: 'mnist', size: 14, seed: 2 }),
  imageModel(
    'model-1',
    'NICE',
    { kind: 'nice', options: { layers: 2, hidden: 16, hiddenLayers: 1, prior: 'logistic' } },
    5,
    { batch: 16, steps: 8, learningRate: 1e-3 },
  ),
  train('train-1'),
  view('view-1', { sampleCount: 16, sampleSeed: 3, temperature: 0.9 }),
]);

describe('image notebook weights: file, link and autosave (real GPU)', function () {
  this.timeout(300_000);
  let worker: WorkerHandle;
  before(() => {
    worker = startWorker(new URL('../../../src/worker/worker.ts', import.meta.url));
  });
  after(() => worker.terminate());

  async function app(hash: string, db: string): Promise<{ app: FfApp; client: ShareableClient }> {
    const client = shareableWorkerClient(worker.api);
    const el = await fixture<FfApp>(html`<ff-app .client=${client}></ff-app>`);
    await el.session.boot({ hash, autosaveDb: db });
    await settle(el);
    return { app: el, client };
  }

  /** The View cell's grid once the run is done at `step`, with no Train step run by `client`. */
  async function gridOf(el: FfApp, step: number): Promise<number[]> {
    const run = await until(
      'the sample grid',
      () => {
        const r = el.lab!.run('train-1');
        if (r.state === 'failed') throw new Error(r.error);
        return r.state === 'done' && r.step === step && r.images ? r : undefined;
      },
      120_000,
    );
    expect(run.images!.shape).to.deep.equal([1, 14, 14]);
    return Array.from(run.images!.values);
  }

  it('file, float16 link and autosave each reopen to the same sample grid, untrained', async () => {
    const db = freshDb();
    const settings = await encodeShareLink({ notebook: NOTEBOOK, weights: [] });
    const { app: first } = await app(`#${settings}`, db);
    await first.lab!.play('train-1');
    const before = await gridOf(first, 8);
    expect(new Set(before).size, 'a non-constant grid').to.be.above(20);
    await first.session.autosaveWeights();

    // 1. The file: exact float32 weights, the very same images.
    await first.session.saveFile();
    const text = new TextDecoder().decode(first.session.lastDownload!.bytes);
    expect(notebookFromFile(text).weights[0]!.params.length).to.be.above(1000);
    // 2. The link with float16 weights.
    const options = await first.session.shareOptions();
    const link = options.weights as { fragment: string };
    first.remove();

    const counted = async (hash: string, where: string) => {
      const opened = await app(hash, where);
      let trainCalls = 0;
      const trainOf = opened.client.train;
      opened.client.train = (...args) => {
        trainCalls++;
        return trainOf(...args);
      };
      return { ...opened, trainCalls: () => trainCalls };
    };

    const fromFile = await counted('', freshDb());
    expect(await fromFile.app.session.openFile(new Blob([text]))).to.equal(true);
    expect(await gridOf(fromFile.app, 8), 'file').to.deep.equal(before);
    expect(fromFile.trainCalls()).to.equal(0);
    fromFile.app.remove();

    // 3. The autosave: a reload restores the notebook and its weights.
    const reloaded = await counted('', db);
    expect(await gridOf(reloaded.app, 8), 'autosave').to.deep.equal(before);
    expect(reloaded.trainCalls()).to.equal(0);
    reloaded.app.remove();

    const fromLink = await counted(`#${link.fragment}`, freshDb());
    const linked = await gridOf(fromLink.app, 8);
    expect(fromLink.trainCalls()).to.equal(0);
    // The truth for float16: the link's weights imported straight into a worker model.
    const payload = await decodeShareLink(link.fragment);
    const cell = payload.notebook.cells.find((c) => c.id === 'model-1')!;
    const viewCell = payload.notebook.cells.find((c) => c.id === 'view-1')!;
    if (cell.kind !== 'model' || viewCell.kind !== 'view') throw new Error('cells moved');
    const model = await worker.api.createModel(
      imageModelSpec(cell.model.image!, [1, 14, 14], cell.model.seed),
    );
    const params = payload.weights[0]!.params.slice();
    await worker.api.importParams(model.id, params.buffer);
    const direct = await worker.api.sample(
      model.id,
      gridCount(viewCell),
      imageSampleRequest(viewCell, cell.model.image!),
    );
    expect(linked, 'link').to.deep.equal(Array.from(direct));
    // float16 rounding moves the weights a little: close to the float32 grid, not equal.
    const drift = Math.max(...linked.map((v, i) => Math.abs(v - before[i]!)));
    expect(drift).to.be.below(0.1);
    fromLink.app.remove();
    await worker.api.disposeModel(model.id);
  });
});

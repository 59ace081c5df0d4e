/**
 * Exact replay on the real GPU (the worker from source): a tiny model trained N steps, reset and
 * retrained N steps has the same parameter hash; a settings-only link records that hash and a
 * new app that opens it and presses Run all reports "replay identical ✓"; a tampered hash is
 * reported as diverged.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import {
  decodeShareLink,
  defaultNotebook,
  encodeShareLink,
  paramsHash,
  type Notebook,
} from '../../../src/notebook';
import { shareableWorkerClient, type ShareableClient } from '../../../src/ui/app/weights-client';
import { startWorker, type WorkerHandle } from '../../../src/worker/client';
import { freshDb, settle, until } from '../support/share-support';

const STEPS = 40;

/** The starting notebook with a model small enough for SwiftShader. */
function tinyNotebook(): Notebook {
  const notebook = defaultNotebook();
  notebook.cells = notebook.cells.map((cell) => {
    if (cell.kind === 'model') {
      return {
        ...cell,
        model: { ...cell.model, kind: 'realnvp', layers: 2, hidden: 8, hiddenLayers: 1, seed: 11 },
        train: { ...cell.train, batch: 64, steps: STEPS, learningRate: 5e-3 },
      };
    }
    if (cell.kind === 'view') return { ...cell, sampleCount: 256 };
    return cell;
  });
  return notebook;
}

let worker: WorkerHandle;

async function mount(notebook?: Notebook): Promise<{ app: FfApp; client: ShareableClient }> {
  const client = shareableWorkerClient(worker.api);
  const app = await fixture<FfApp>(html`<ff-app .client=${client}></ff-app>`);
  await app.session.boot({ hash: '', autosaveDb: freshDb() });
  if (notebook) app.store.dispatch({ type: 'replace', notebook });
  await settle(app);
  return { app, client };
}

async function hashOf(client: ShareableClient, trainId = 'train-1'): Promise<string> {
  return paramsHash((await client.exportWeights(trainId)).params);
}

function replayText(app: FfApp): string {
  // The verdict is shown in the Train cell it belongs to.
  const view = app.shadowRoot!.querySelector('ff-notebook-view')!;
  const cell = [...view.shadowRoot!.querySelectorAll('ff-train-cell')].find(
    (c) => c.cell.id === 'train-1',
  );
  return cell?.shadowRoot!.querySelector('.replay')?.textContent?.trim() ?? '';
}

describe('exact replay (real GPU)', function () {
  this.timeout(300_000);
  before(() => {
    worker = startWorker(new URL('../../../src/worker/worker.ts', import.meta.url));
  });
  after(() => worker.terminate());

  it('retraining after reset gives the same parameter hash; a link replay reports identical, a tampered one diverged', async () => {
    const { app, client } = await mount(tinyNotebook());
    await app.lab!.play('train-1');
    expect(app.lab!.run('train-1').state).to.equal('done');
    expect(app.lab!.run('train-1').step).to.equal(STEPS);
    const first = await hashOf(client);
    await app.lab!.reset('train-1');
    await app.lab!.play('train-1');
    const second = await hashOf(client);
    expect(second).to.equal(first);

    // The settings-only link records the hash; a second app replays it.
    const options = await app.session.shareOptions();
    const shared = await decodeShareLink(options.settings.fragment);
    const train = shared.notebook.cells.find((c) => c.id === 'train-1');
    expect(train?.kind === 'train' && train.expected).to.deep.equal({
      steps: STEPS,
      paramsHash: first,
    });

    const { app: replay } = await mount();
    await replay.session.openLink(options.settings.fragment);
    await replay.lab!.runAll();
    await until(
      'the replay verdict',
      () =>
        replay.session.replay.get('train-1')?.state !== 'checking' &&
        replay.session.replay.get('train-1'),
      30_000,
    );
    await settle(replay);
    expect(replay.session.replay.get('train-1')!.state).to.equal('identical');
    expect(replayText(replay)).to.contain('replay identical ✓');

    // Reset clears the verdict; training again checks again.
    await replay.lab!.reset('train-1');
    await settle(replay);
    expect(replay.session.replay.has('train-1')).to.equal(false);
    await replay.lab!.play('train-1');
    await until(
      'the second verdict',
      () => replay.session.replay.get('train-1')?.state === 'identical',
      30_000,
    );

    // A tampered expected hash: the same training is reported as diverged.
    const tampered = structuredClone(shared.notebook);
    const cell = tampered.cells.find((c) => c.id === 'train-1')!;
    if (cell.kind !== 'train' || !cell.expected) throw new Error('no expectation');
    cell.expected.paramsHash = first.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const { app: diverged } = await mount();
    await diverged.session.openLink(await encodeShareLink({ notebook: tampered, weights: [] }));
    await diverged.lab!.runAll();
    await until(
      'the diverged verdict',
      () => diverged.session.replay.get('train-1')?.state === 'diverged',
      30_000,
    );
    await settle(diverged);
    expect(replayText(diverged)).to.contain('replay diverged (different browser/GPU?)');
  });

  it('changing the model after opening a link drops the replay check', async () => {
    const { app } = await mount(tinyNotebook());
    await app.lab!.play('train-1');
    const fragment = (await app.session.shareOptions()).settings.fragment;
    const { app: other } = await mount();
    await other.session.openLink(fragment);
    const model = other.store.cell('model-1')!;
    if (model.kind !== 'model') throw new Error('model-1 is not a Model cell');
    other.store.dispatch({
      type: 'update',
      id: 'model-1',
      patch: { model: { ...model.model, seed: 12 } },
    });
    await other.lab!.runAll();
    await settle(other);
    expect(other.lab!.run('train-1').step).to.equal(STEPS);
    expect(other.session.replay.has('train-1')).to.equal(false);
  });
});

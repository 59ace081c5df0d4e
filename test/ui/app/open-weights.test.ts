/**
 * Files → Open weights and a .safetensors file dropped on a Model cell: the weights load into
 * the matching Train cell (exact float32), its View cells sample at once, and a file for another
 * model is refused with the setting that differs while the notebook stays as it was.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import type { ModelCell } from '../../../src/notebook';
import type { RunProgress, RunWeights } from '../../../src/ui/controllers/lab-client';
import { workerProgress } from '../support/fake-lab-client';
import { FakeWeightsClient, fakeParams, freshDb, settle, until } from '../support/share-support';

async function mount(
  client = new FakeWeightsClient(),
): Promise<{ app: FfApp; client: FakeWeightsClient }> {
  const app = await fixture<FfApp>(html`<ff-app .client=${client}></ff-app>`);
  await settle(app);
  await app.session.boot({ hash: '', autosaveDb: freshDb() });
  return { app, client };
}

function setModel(app: FfApp, patch: Partial<ModelCell['model']>): void {
  const model = app.store.cell('model-1') as ModelCell;
  app.store.dispatch({
    type: 'update',
    id: 'model-1',
    patch: { model: { ...model.model, ...patch } },
  });
}

/** Every element under `root`, through shadow roots. */
function deepElements(root: Element | ShadowRoot): Element[] {
  const out: Element[] = [];
  for (const el of root.querySelectorAll('*')) {
    out.push(el);
    if (el.shadowRoot) out.push(...deepElements(el.shadowRoot));
  }
  return out;
}

/** Weights of a NICE model (hidden 24, seed 9) trained 500 steps by the fake client. */
async function trainedFile(): Promise<File> {
  const { app } = await mount();
  setModel(app, { kind: 'nice', hidden: 24, seed: 9 });
  await app.lab!.play('train-1');
  await app.session.exportSafetensors('train-1');
  const bytes = app.session.lastDownload!.bytes;
  return new File([new Uint8Array(bytes)], 'nice.safetensors', {
    type: 'application/octet-stream',
  });
}

function filesOf(file: File): FileList {
  const transfer = new DataTransfer();
  transfer.items.add(file);
  return transfer.files;
}

function errorBanner(app: FfApp): string {
  return app.shadowRoot!.querySelector('.banner.error')?.textContent ?? '';
}

describe('Open weights (.safetensors) in the app', () => {
  it('Files → Open weights loads them into the matching Train cell and samples at once', async () => {
    const file = await trainedFile();
    const { app, client } = await mount();
    // Another seed: weights move between Model cells that agree on the layout.
    setModel(app, { kind: 'nice', hidden: 24, seed: 3 });
    await settle(app);
    const before = structuredClone(app.store.notebook);
    const samplesBefore = client.sampleRequests.filter((r) => r.runId === 'train-1').length;
    const input = deepElements(app.shadowRoot!).find((el) =>
      el.matches('input.open-weights-file'),
    ) as HTMLInputElement;
    const button = deepElements(app.shadowRoot!).find((el) => el.matches('button.open-weights'));
    expect(button?.textContent).to.contain('Open weights');
    input.files = filesOf(file);
    input.dispatchEvent(new Event('change'));
    await until('the import', () => client.imports.length === 1);
    expect(client.imports[0]!.runId).to.equal('train-1');
    expect(client.imports[0]!.params).to.deep.equal(fakeParams(9, 500));
    await until(
      'a sample of the imported model',
      () => client.sampleRequests.filter((r) => r.runId === 'train-1').length > samplesBefore,
    );
    expect(app.lab!.run('train-1').step).to.equal(500);
    expect(app.store.notebook).to.deep.equal(before);
  });

  it('a drop on the Model cell loads them; another width is refused and nothing changes', async () => {
    const file = await trainedFile();
    const { app, client } = await mount();
    setModel(app, { kind: 'nice', hidden: 32 });
    await settle(app);
    const before = structuredClone(app.store.notebook);
    const cell = () =>
      deepElements(app.shadowRoot!).find((el) => el.matches('section[data-cell-id="model-1"]'))!;
    const drop = () => {
      const transfer = new DataTransfer();
      transfer.items.add(file);
      cell().dispatchEvent(
        new DragEvent('drop', { dataTransfer: transfer, bubbles: true, composed: true }),
      );
    };
    drop();
    await until('the refusal', () => errorBanner(app).includes('not loaded'));
    expect(errorBanner(app)).to.contain('model.hidden: expected 32, received 24');
    expect(client.imports).to.have.length(0);
    expect(app.store.notebook).to.deep.equal(before);

    setModel(app, { hidden: 24 });
    await settle(app);
    drop();
    await until('the import', () => client.imports.length === 1);
    expect(client.imports[0]!.params).to.deep.equal(fakeParams(9, 500));
    await until('a sample', () => client.sampleRequests.some((r) => r.runId === 'train-1'));
  });

  it("shows the worker's report of the import as the run's state, never a state of its own", async () => {
    const file = await trainedFile();
    // A worker whose report after the import differs from anything the page could assume
    // (the file's 500 steps, 'done', the Model cell's learning rate and batch).
    class ReportingClient extends FakeWeightsClient {
      override async importWeights(
        runId: string,
        weights: RunWeights,
        steps: number,
      ): Promise<RunProgress> {
        await super.importWeights(runId, weights, steps);
        return workerProgress({
          state: 'paused',
          step: 321,
          totalSteps: 400,
          losses: new Float32Array(0),
          learningRate: 0.0042,
          batch: 77,
        });
      }
    }
    const { app, client } = await mount(new ReportingClient());
    setModel(app, { kind: 'nice', hidden: 24, seed: 3 });
    await settle(app);
    const input = deepElements(app.shadowRoot!).find((el) =>
      el.matches('input.open-weights-file'),
    ) as HTMLInputElement;
    input.files = filesOf(file);
    input.dispatchEvent(new Event('change'));
    await until('the import', () => client.imports.length === 1);
    await until('the report shown', () => app.lab!.run('train-1').state !== 'preparing');
    const run = app.lab!.run('train-1');
    expect([run.state, run.step, run.totalSteps]).to.deep.equal(['paused', 321, 400]);
    expect([run.learningRate, run.batch]).to.deep.equal([0.0042, 77]);
    await settle(app);
    const trainCell = deepElements(app.shadowRoot!).find((el) => el.matches('ff-train-cell'));
    const hint = trainCell?.shadowRoot?.querySelector('p.hint');
    expect(hint?.textContent).to.contain('Paused: step 321 of 400.');
  });
});

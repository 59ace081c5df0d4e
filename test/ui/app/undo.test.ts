/**
 * Nothing the user made is lost by one click: deleting a cell can be undone (a Train cell's
 * trained model survives the undo), resetting a trained model and opening another notebook over
 * trained models ask first (#17 item 4).
 */
import { expect, fixture, html } from '@open-wc/testing';
import type { ModelCell } from '../../../src/notebook';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import { FakeLabClient } from '../support/fake-lab-client';

async function mount(client = new FakeLabClient()): Promise<FfApp> {
  const app = await fixture<FfApp>(html`<ff-app .client=${client}></ff-app>`);
  const model = app.store.notebook.cells.find((c) => c.kind === 'model') as ModelCell;
  app.store.dispatch({
    type: 'update',
    id: model.id,
    patch: { train: { ...model.train, steps: 5 } },
  });
  await app.updateComplete;
  return app;
}

function banner(app: FfApp): HTMLElement | null {
  return app.shadowRoot!.querySelector('.banner');
}

async function press(app: FfApp, label: string): Promise<void> {
  const button = [...banner(app)!.querySelectorAll('button')].find(
    (b) => b.textContent!.trim() === label,
  );
  if (!button) throw new Error(`no "${label}" in the banner: ${banner(app)!.textContent}`);
  button.click();
  await app.updateComplete;
}

function command(app: FfApp, id: string, name: 'delete'): void {
  app.dispatchEvent(
    new CustomEvent('ff-cell-command', { detail: { id, command: name }, bubbles: true }),
  );
}

describe('undo and confirmations', () => {
  it('a deleted cell comes back where it was with Undo', async () => {
    const app = await mount();
    const before = app.store.notebook;
    command(app, 'data-1', 'delete');
    await app.updateComplete;
    expect(app.store.cell('data-1')).to.equal(undefined);
    expect(banner(app)!.textContent).to.contain('Deleted Data 2.');
    await press(app, 'Undo');
    expect(app.store.notebook).to.deep.equal(before);
    expect(banner(app)).to.equal(null);
  });

  it('a deleted Train cell keeps its model while Undo is offered, and releases it after', async () => {
    const client = new FakeLabClient();
    const app = await mount(client);
    await app.lab!.play('train-1');
    expect(app.lab!.run('train-1').step).to.equal(5);
    command(app, 'train-1', 'delete');
    await app.updateComplete;
    expect(banner(app)!.textContent).to.contain('Its model (5 trained steps) is kept');
    expect(client.calls).to.not.include('disposeRun train-1');
    await press(app, 'Undo');
    expect(app.store.cell('train-1')?.kind).to.equal('train');
    expect(app.lab!.run('train-1')).to.include({ step: 5, state: 'done' });
    expect(client.calls).to.not.include('disposeRun train-1');
    // Deleted again and the offer dismissed: now the model goes.
    command(app, 'train-1', 'delete');
    await app.updateComplete;
    await press(app, 'Dismiss');
    await new Promise((r) => setTimeout(r, 0));
    expect(client.calls).to.include('disposeRun train-1');
    expect(app.lab!.run('train-1').step).to.equal(0);
  });

  it('a new offer ends the previous one: its deleted Train cell is released', async () => {
    const client = new FakeLabClient();
    const app = await mount(client);
    await app.lab!.play('train-1');
    command(app, 'train-1', 'delete');
    command(app, 'data-1', 'delete');
    await app.updateComplete;
    await new Promise((r) => setTimeout(r, 0));
    expect(client.calls).to.include('disposeRun train-1');
    expect(banner(app)!.textContent).to.contain('Deleted Data');
  });

  it('Reset of a trained model asks first; "Keep it" keeps it, "Reset" discards it', async () => {
    const client = new FakeLabClient();
    const app = await mount(client);
    await app.lab!.play('train-1');
    const reset = () =>
      app.dispatchEvent(
        new CustomEvent('ff-train-command', {
          detail: { id: 'train-1', command: 'reset' },
          bubbles: true,
        }),
      );
    reset();
    await app.updateComplete;
    expect(banner(app)!.textContent).to.contain('trained for 5 steps, will be discarded');
    await press(app, 'Keep it');
    expect(app.lab!.run('train-1').step).to.equal(5);
    expect(client.calls).to.not.include('disposeRun train-1');
    reset();
    await app.updateComplete;
    await press(app, 'Reset');
    await new Promise((r) => setTimeout(r, 0));
    expect(app.lab!.run('train-1').step).to.equal(0);
    expect(client.calls).to.include('disposeRun train-1');
  });

  it('opening a gallery notebook over a trained model asks first; Cancel changes nothing', async () => {
    const app = await mount();
    const opened: string[] = [];
    app.session.openGallery = async (name: string) => void opened.push(name);
    const open = () =>
      app.dispatchEvent(
        new CustomEvent('ff-gallery-open', { detail: { name: 'nice-moons' }, bubbles: true }),
      );
    // Nothing trained: it opens at once.
    open();
    expect(opened).to.deep.equal(['nice-moons']);
    await app.lab!.play('train-1');
    const before = app.store.notebook;
    open();
    await app.updateComplete;
    expect(banner(app)!.textContent).to.contain('Open the gallery notebook “nice-moons”?');
    expect(banner(app)!.textContent).to.contain('Train 4: 5 steps');
    await press(app, 'Cancel');
    expect(opened).to.deep.equal(['nice-moons']);
    expect(app.store.notebook).to.equal(before);
    expect(app.lab!.run('train-1').step).to.equal(5);
    open();
    await app.updateComplete;
    await press(app, 'Open');
    expect(opened).to.deep.equal(['nice-moons', 'nice-moons']);
  });
});

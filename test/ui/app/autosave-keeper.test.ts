/**
 * Autosave keeps everything the user made (#17 item 4): an invalid edit is saved as a draft and
 * the app says why (a reload offers it), two tabs on one notebook do not overwrite each other,
 * and trained weights come back after a reload without retraining.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import { NotebookAutosave } from '../../../src/notebook';
import { FakeWeightsClient, fakeParams, freshDb, settle, until } from '../support/share-support';

async function booted(db: string, client = new FakeWeightsClient()): Promise<FfApp> {
  const app = await fixture<FfApp>(html`<ff-app .client=${client}></ff-app>`);
  await app.session.boot({ hash: '', autosaveDb: db });
  await settle(app);
  return app;
}

function retitle(app: FfApp, title: string): void {
  app.store.dispatch({ type: 'replace', notebook: { ...app.store.notebook, title } });
}

function setHidden(app: FfApp, hidden: number): void {
  const model = app.store.cell('model-1');
  if (model?.kind !== 'model') throw new Error('model-1 is not a Model cell');
  app.store.dispatch({
    type: 'update',
    id: 'model-1',
    patch: { model: { ...model.model, hidden } },
  });
}

function hiddenOf(app: FfApp): number {
  const model = app.store.cell('model-1');
  if (model?.kind !== 'model') throw new Error('model-1 is not a Model cell');
  return model.model.hidden;
}

function text(app: FfApp, selector: string): string {
  return app.shadowRoot!.querySelector(selector)?.textContent ?? '';
}

describe('autosave keeps drafts, tabs apart and weights', () => {
  it('an out-of-range edit is saved as a draft, the app says why, and a reload offers it', async () => {
    const db = freshDb();
    const app = await booted(db);
    retitle(app, 'Before the typo');
    await app.session.flushAutosave();
    setHidden(app, 10_000_000);
    await app.session.flushAutosave();
    await app.updateComplete;
    const note = text(app, '.autosave-note');
    expect(note).to.contain('Draft saved');
    expect(note).to.contain('10000000');
    app.remove();

    const next = await booted(db);
    // The valid version opened; the banner offers the draft with the reason.
    expect(hiddenOf(next)).to.not.equal(10_000_000);
    expect(next.store.notebook.title).to.equal('Before the typo');
    expect(text(next, '.banner')).to.contain('kept as a draft');
    const open = [...next.shadowRoot!.querySelectorAll<HTMLButtonElement>('.banner .action')].find(
      (b) => b.textContent?.includes('Open the draft'),
    )!;
    open.click();
    await until('the draft opened', () => hiddenOf(next) === 10_000_000);
    // Fixing the value saves the notebook again, and the note goes away.
    setHidden(next, 48);
    await next.session.flushAutosave();
    await next.updateComplete;
    expect(next.shadowRoot!.querySelector('.autosave-note')).to.equal(null);
    const store = await NotebookAutosave.open(db);
    try {
      expect(await store.lastDraft()).to.equal(undefined);
      const model = (await store.restoreLast())!.notebook.cells.find((c) => c.id === 'model-1');
      expect(model?.kind === 'model' && model.model.hidden).to.equal(48);
    } finally {
      store.close();
      next.remove();
    }
  });

  it('two tabs on the same notebook save separate records and both say so', async () => {
    const db = freshDb();
    const first = await booted(db);
    retitle(first, 'Shared start');
    await first.session.flushAutosave();
    const second = await booted(db);
    expect(second.store.notebook.title).to.equal('Shared start');
    await second.updateComplete;
    expect(text(second, '.autosave-note')).to.contain('open in another tab too');
    await until('the first tab heard of the copy', () =>
      text(first, '.autosave-note').includes('opened in another tab too'),
    );
    retitle(first, 'Edited in tab one');
    await first.session.flushAutosave();
    retitle(second, 'Edited in tab two');
    await second.session.flushAutosave();
    const store = await NotebookAutosave.open(db);
    try {
      const titles = (await store.recent()).map((r) => r.title).sort();
      expect(titles).to.deep.equal(['Edited in tab one', 'Edited in tab two']);
    } finally {
      store.close();
      first.remove();
      second.remove();
    }
  });

  it('trained weights come back after a reload, exactly, without training', async () => {
    const db = freshDb();
    const app = await booted(db);
    app.dispatchEvent(
      new CustomEvent('ff-train-command', {
        detail: { id: 'train-1', command: 'play' },
        bubbles: true,
      }),
    );
    await until('trained', () => app.lab!.run('train-1').state === 'done');
    const steps = app.lab!.run('train-1').step;
    const model = app.store.cell('model-1');
    if (model?.kind !== 'model') throw new Error('model-1 is not a Model cell');
    const expected = fakeParams(model.model.seed, steps);
    // Saved after the run ended (the app does it by itself).
    const store = await NotebookAutosave.open(db);
    try {
      let kept = 0;
      for (let i = 0; i < 50 && !kept; i++) {
        const last = await store.restoreLast();
        kept = last ? (await store.loadWeights(last.id)).length : 0;
        if (!kept) await new Promise((r) => setTimeout(r, 50));
      }
      expect(kept).to.equal(1);
    } finally {
      store.close();
    }
    app.remove();

    const client = new FakeWeightsClient();
    const next = await booted(db, client);
    await until('weights imported', () => next.lab!.run('train-1').state === 'done');
    expect(client.trainCalls).to.equal(0);
    expect(next.lab!.run('train-1').step).to.equal(steps);
    expect(Array.from(client.imports[0]!.params)).to.deep.equal(Array.from(expected));

    // Weights of another model (the Model cell changed since) are not forced into it.
    setHidden(next, hiddenOf(next) + 8);
    await next.session.flushAutosave();
    next.remove();
    const third = new FakeWeightsClient();
    const after = await booted(db, third);
    await settle(after);
    expect(third.imports).to.deep.equal([]);
    after.remove();
  });
});

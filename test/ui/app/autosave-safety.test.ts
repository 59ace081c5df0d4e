/**
 * Autosave does not lose the last edit or silently stop (#17 item 4): a pending save is written
 * when the page is hidden or left, a newer build upgrading the database in another tab stops
 * autosave with a message instead of being blocked, and the browser is asked to persist the
 * site's storage once something has been trained.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { AUTOSAVE_DB_VERSION, NotebookAutosave } from '../../../src/notebook';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import { FakeLabClient } from '../support/fake-lab-client';
import { freshDb } from '../support/share-support';

async function booted(db: string): Promise<FfApp> {
  const app = await fixture<FfApp>(html`<ff-app .client=${new FakeLabClient()}></ff-app>`);
  await app.session.boot({ hash: '', autosaveDb: db });
  return app;
}

function retitle(app: FfApp, title: string): void {
  app.store.dispatch({ type: 'replace', notebook: { ...app.store.notebook, title } });
}

describe('autosave safety', () => {
  it('a pending edit is saved at once on pagehide, before the debounce delay', async () => {
    const db = freshDb();
    const app = await booted(db);
    retitle(app, 'Edited just before closing the tab');
    dispatchEvent(new PageTransitionEvent('pagehide'));
    // Well within the debounce delay: only the pagehide flush can have saved it.
    await new Promise((r) => setTimeout(r, 100));
    const store = await NotebookAutosave.open(db);
    try {
      expect((await store.restoreLast())?.notebook.title).to.equal(
        'Edited just before closing the tab',
      );
    } finally {
      store.close();
      app.remove();
    }
  });

  it('an upgrade of the database by another tab stops autosave with a message, unblocked', async () => {
    const db = freshDb();
    const app = await booted(db);
    await app.session.flushAutosave();
    // What a newer build in another tab does: open the database at a higher version.
    const upgraded = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(db, AUTOSAVE_DB_VERSION + 1);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('the app kept the database open: blocked'));
    });
    upgraded.close();
    await app.updateComplete;
    const banner = app.shadowRoot!.querySelector('.banner')!;
    expect(banner.textContent).to.contain('Autosave stopped.');
    expect(banner.textContent).to.contain('Save file');
    // Later edits do not throw into the page: they are simply not saved.
    retitle(app, 'after the upgrade');
    await app.session.flushAutosave();
    app.remove();
  });

  it('asks the browser once to persist storage after the first training', async () => {
    const app = await booted(freshDb());
    let asked = 0;
    const storage = navigator.storage;
    const original = storage.persist;
    storage.persist = async () => {
      asked++;
      return true;
    };
    try {
      const play = () =>
        app.dispatchEvent(
          new CustomEvent('ff-train-command', {
            detail: { id: 'train-1', command: 'play' },
            bubbles: true,
          }),
        );
      play();
      await new Promise((r) => setTimeout(r, 50));
      expect(app.lab!.run('train-1').step).to.be.greaterThan(0);
      expect(asked).to.equal(1);
      play();
      await new Promise((r) => setTimeout(r, 50));
      expect(asked).to.equal(1);
    } finally {
      storage.persist = original;
      app.remove();
    }
  });
});

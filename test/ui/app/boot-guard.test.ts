/**
 * The boot guard: an opening that did not finish (the page froze or was closed while a notebook
 * opened) is not repeated by itself at the next start; the app asks "Open anyway / Start fresh".
 * A finished opening leaves no note, so the next start restores as usual.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import { OpeningGuard, linkFingerprint } from '../../../src/ui/app/opening-guard';
import { encodeShareLink, type Notebook } from '../../../src/notebook';
import { FakeWeightsClient, freshDb, settle } from '../support/share-support';

async function mount(): Promise<FfApp> {
  const app = await fixture<FfApp>(html`<ff-app .client=${new FakeWeightsClient()}></ff-app>`);
  await settle(app);
  return app;
}

function titled(app: FfApp, title: string): Notebook {
  return { ...structuredClone(app.store.notebook), title };
}

function bannerButton(app: FfApp, label: string): HTMLButtonElement | undefined {
  return [...app.shadowRoot!.querySelectorAll<HTMLButtonElement>('.banner button')].find(
    (b) => b.textContent!.trim() === label,
  );
}

describe('boot guard', () => {
  it('a finished opening leaves no note: the next start restores the notebook', async () => {
    const db = freshDb();
    const first = await mount();
    const link = await encodeShareLink({ notebook: titled(first, 'From a link'), weights: [] });
    await first.session.boot({ hash: `#${link}`, autosaveDb: db });
    expect(first.store.notebook.title).to.equal('From a link');
    expect(new OpeningGuard(db).pending()).to.equal(undefined);
    const next = await mount();
    await next.session.boot({ hash: '', autosaveDb: db });
    expect(next.store.notebook.title).to.equal('From a link');
    expect(next.shadowRoot!.querySelector('.banner')).to.equal(null);
  });

  it('an unfinished opening: the next start asks; Start fresh keeps the starting notebook', async () => {
    const db = freshDb();
    const first = await mount();
    await first.session.boot({ hash: '', autosaveDb: db });
    first.store.dispatch({ type: 'replace', notebook: titled(first, 'Heavy') });
    await first.session.flushAutosave();
    // The page stops while it restores that notebook: the note is left behind.
    new OpeningGuard(db).begin('autosave', 'the last autosaved notebook');

    const next = await mount();
    const start = structuredClone(next.store.notebook);
    await next.session.boot({ hash: '', autosaveDb: db });
    await settle(next);
    expect(next.store.notebook).to.deep.equal(start);
    const banner = next.shadowRoot!.querySelector('.banner.error')!;
    expect(banner.textContent).to.contain('did not finish opening');
    expect(bannerButton(next, 'Open anyway')).to.not.equal(undefined);
    bannerButton(next, 'Start fresh')!.click();
    await settle(next);
    expect(next.shadowRoot!.querySelector('.banner')).to.equal(null);
    expect(next.store.notebook).to.deep.equal(start);
    expect(new OpeningGuard(db).pending()).to.equal(undefined);
    // Starting fresh turned autosave on: an edit is saved and restored by the next start.
    next.store.dispatch({ type: 'replace', notebook: titled(next, 'Fresh') });
    await next.session.flushAutosave();
    const third = await mount();
    await third.session.boot({ hash: '', autosaveDb: db });
    expect(third.store.notebook.title).to.equal('Fresh');
  });

  it('Open anyway opens what was pending; the same link in the address bar is guarded too', async () => {
    const db = freshDb();
    const first = await mount();
    const link = await encodeShareLink({ notebook: titled(first, 'Linked'), weights: [] });
    new OpeningGuard(db).begin(linkFingerprint(link), 'a notebook from a link');
    const next = await mount();
    const start = structuredClone(next.store.notebook);
    await next.session.boot({ hash: `#${link}`, autosaveDb: db });
    await settle(next);
    expect(next.store.notebook).to.deep.equal(start);
    bannerButton(next, 'Open anyway')!.click();
    for (let i = 0; i < 50 && next.store.notebook.title !== 'Linked'; i++) await settle(next);
    expect(next.store.notebook.title).to.equal('Linked');
    await next.session.flushAutosave();
    for (let i = 0; i < 50 && new OpeningGuard(db).pending(); i++) await settle(next);
    expect(new OpeningGuard(db).pending()).to.equal(undefined);
    // A different link is not held back by an old note.
    new OpeningGuard(db).begin(linkFingerprint(link), 'a notebook from a link');
    const other = await encodeShareLink({ notebook: titled(first, 'Other'), weights: [] });
    const third = await mount();
    await third.session.boot({ hash: `#${other}`, autosaveDb: db });
    expect(third.store.notebook.title).to.equal('Other');
  });
});

/**
 * The app's autosave keeps the pixels of the user's image sets (#17 item 4): a set the notebook
 * references is written by hash and handed back to the next app on the same database (on reload
 * and from Recent); a set
 * over the cap is not kept and the standing note says to save a file. The GPU side is a fake:
 * what is checked is the keeping, not the preview (test/ui/data-cell/image-choice.test.ts).
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import {
  MAX_AUTOSAVED_IMAGE_BYTES,
  NotebookAutosave,
  defaultNotebook,
  imageSetHash,
  type ImageFilesSource,
} from '../../../src/notebook';
import { FakeWeightsClient, freshDb, settle } from '../support/share-support';

async function booted(db: string): Promise<FfApp> {
  const app = await fixture<FfApp>(html`<ff-app .client=${new FakeWeightsClient()}></ff-app>`);
  await app.session.boot({ hash: '', autosaveDb: db });
  await settle(app);
  return app;
}

/** Puts a set of `count` images of size×size grey on the page and points the Data cell at it. */
async function useSet(app: FfApp, count: number, size: number, labelled: boolean) {
  const pixels = new Uint8Array(count * size * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 13) % 256;
  const labels = labelled ? Uint8Array.from({ length: count }, (_, i) => i % 2) : undefined;
  const hash = await imageSetHash(pixels, labels);
  await app.lab!.images.adopt([
    { hash, count, channels: 1, size, pixels, ...(labels ? { labels } : {}) },
  ]);
  const source: ImageFilesSource = {
    kind: 'image-files',
    label: 'mine.zip',
    count,
    channels: 1,
    size,
    classNames: labelled ? ['odd', 'even'] : [],
    hash,
    seed: 1,
  };
  app.store.dispatch({ type: 'update', id: 'data-1', patch: { source } });
  return { hash, pixels };
}

async function keptHashes(db: string): Promise<string[]> {
  const store = await NotebookAutosave.open(db);
  try {
    return await store.images.hashes();
  } finally {
    store.close();
  }
}

describe('autosave keeps the user’s image sets', () => {
  it('a set the notebook uses is kept by hash and comes back on the next app', async () => {
    const db = freshDb();
    const app = await booted(db);
    const { hash, pixels } = await useSet(app, 40, 14, false);
    await app.session.flushAutosave();
    expect(await keptHashes(db)).to.deep.equal([hash]);
    app.remove();

    const next = await booted(db);
    const back = next.lab!.images.carried().find((set) => set.hash === hash);
    expect(back, 'the set handed back before the notebook shows').to.not.equal(undefined);
    expect([...back!.pixels]).to.deep.equal([...pixels]);
    expect(next.store.cell('data-1')).to.deep.nested.include({ 'source.hash': hash });
    const recordWithImages = (await next.session.recent())[0]!.id;
    // Another notebook opened over it, then a reload: the set comes back from Recent.
    await next.session.openPayload({ notebook: defaultNotebook(), weights: [] });
    next.remove();
    const later = await booted(db);
    expect(later.lab!.images.carried()).to.deep.equal([]);
    await later.session.openRecent(recordWithImages);
    expect(later.store.cell('data-1')).to.deep.nested.include({ 'source.hash': hash });
    const fromRecent = later.lab!.images.carried().find((set) => set.hash === hash);
    expect([...fromRecent!.pixels]).to.deep.equal([...pixels]);
    later.remove();
  });

  it('a set over the cap is not kept, and the note says to save the notebook as a file', async () => {
    const db = freshDb();
    const app = await booted(db);
    // 2²⁰ images of 8×8: 64 MiB of pixels (the most a set may hold) + 1 MiB of labels.
    await useSet(app, 2 ** 20, 8, true);
    await app.session.flushAutosave();
    await app.updateComplete;
    const note = app.shadowRoot!.querySelector('.autosave-note')?.textContent ?? '';
    expect(note).to.contain('The images of “mine.zip” (65.0 MiB) were not autosaved');
    expect(note).to.contain(`${MAX_AUTOSAVED_IMAGE_BYTES / 2 ** 20} MiB`);
    expect(note).to.contain('save the notebook as a file');
    expect(await keptHashes(db)).to.deep.equal([]);
    // Back to a small set: it is kept and the note goes away.
    const { hash } = await useSet(app, 4, 8, false);
    await app.session.flushAutosave();
    await app.updateComplete;
    expect(app.shadowRoot!.querySelector('.autosave-note')).to.equal(null);
    expect(await keptHashes(db)).to.deep.equal([hash]);
    app.remove();
  });
});

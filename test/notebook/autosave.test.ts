import { expect } from '@esm-bundle/chai';
import {
  MAX_AUTOSAVES,
  NotebookAutosave,
  defaultNotebook,
  reduce,
  type Notebook,
} from '../../src/notebook';

let dbCount = 0;
const opened: { autosave: NotebookAutosave; name: string }[] = [];

/** A fresh database per test, deleted afterwards. */
async function fresh(): Promise<{ autosave: NotebookAutosave; name: string }> {
  const name = `flowfield-autosave-test-${Date.now()}-${++dbCount}`;
  const entry = { autosave: await NotebookAutosave.open(name), name };
  opened.push(entry);
  return entry;
}

/** Writes `value` straight into a store, as a corrupting bug or a hand edit would. */
async function putRaw(name: string, store: string, value: unknown, key?: string): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction(store, 'readwrite');
    tx.objectStore(store).put(value, key);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

function titled(title: string): Notebook {
  return { ...defaultNotebook(), title };
}

describe('notebook autosave (IndexedDB)', () => {
  afterEach(async () => {
    for (const { autosave, name } of opened.splice(0)) {
      autosave.close();
      await new Promise((resolve) => {
        const req = indexedDB.deleteDatabase(name);
        req.onsuccess = req.onerror = req.onblocked = resolve;
      });
    }
  });

  it('restores nothing from an empty database', async () => {
    const { autosave } = await fresh();
    expect(await autosave.restoreLast()).to.equal(undefined);
    expect(await autosave.recent()).to.deep.equal([]);
    expect(await autosave.load('nope')).to.equal(undefined);
  });

  it('saves, restores the last, lists recent, loads and removes', async () => {
    const { autosave, name } = await fresh();
    const a = await autosave.save(titled('A'));
    const b = await autosave.save(titled('B'));
    expect(a).to.not.equal(b);
    const edited = reduce(titled('A2'), { type: 'toggle-collapse', id: 'intro' });
    expect(await autosave.save(edited, a)).to.equal(a);
    const last = await autosave.restoreLast();
    expect(last).to.deep.equal({ id: a, notebook: edited });
    const recent = await autosave.recent();
    expect(recent.map((r) => [r.id, r.title])).to.deep.equal([
      [a, 'A2'],
      [b, 'B'],
    ]);
    expect(recent[0]!.savedAt).to.be.greaterThan(recent[1]!.savedAt);
    expect(await autosave.recent(1)).to.have.length(1);
    expect(await autosave.load(b)).to.deep.equal(titled('B'));
    await autosave.remove(a);
    expect(await autosave.load(a)).to.equal(undefined);
    expect(await autosave.restoreLast()).to.deep.equal({ id: b, notebook: titled('B') });
    // Survives closing and reopening the database (a reload).
    autosave.close();
    const reopened = await NotebookAutosave.open(name);
    opened.push({ autosave: reopened, name });
    expect(await reopened.restoreLast()).to.deep.equal({ id: b, notebook: titled('B') });
  });

  it(`keeps the ${MAX_AUTOSAVES} most recent autosaves`, async () => {
    const { autosave } = await fresh();
    const ids: string[] = [];
    for (let i = 0; i < MAX_AUTOSAVES + 3; i++) ids.push(await autosave.save(titled(`N${i}`)));
    const recent = await autosave.recent(1000);
    expect(recent.map((r) => r.id)).to.deep.equal(ids.slice(3).reverse());
    expect(await autosave.load(ids[2]!)).to.equal(undefined);
    expect((await autosave.load(ids[3]!))?.title).to.equal('N3');
  });

  it('skips corrupt records: restoreLast falls back, recent and load leave them out', async () => {
    const { autosave, name } = await fresh();
    const good = await autosave.save(titled('Good'));
    const future = Date.now() + 1e9;
    await putRaw(name, 'notebooks', {
      id: 'junk',
      title: 'Junk',
      savedAt: future,
      notebook: { version: 99 },
    });
    await putRaw(name, 'notebooks', {
      id: 'bad-number',
      title: 'x',
      savedAt: future + 1,
      notebook: { ...titled('x'), cells: [{ id: 'm', kind: 'model' }] },
    });
    await putRaw(name, 'notebooks', { id: 'no-date', notebook: titled('x') });
    await putRaw(name, 'meta', 'junk', 'last');
    expect(await autosave.restoreLast()).to.deep.equal({ id: good, notebook: titled('Good') });
    expect((await autosave.recent()).map((r) => r.id)).to.deep.equal([good]);
    expect(await autosave.load('junk')).to.equal(undefined);
    expect(await autosave.load('no-date')).to.equal(undefined);
    await putRaw(name, 'meta', 42, 'last');
    expect((await autosave.restoreLast())?.id).to.equal(good);
  });

  it('falls back to the earlier valid save when the last holds an out-of-range edit', async () => {
    const { autosave } = await fresh();
    const id = await autosave.save(titled('Valid'));
    const typing = structuredClone(titled('Typing')) as unknown as {
      cells: { model?: { hidden: number } }[];
    };
    typing.cells[2]!.model!.hidden = 100_000;
    const other = await autosave.save(typing as unknown as Notebook);
    expect(other).to.not.equal(id);
    expect((await autosave.restoreLast())?.id).to.equal(id);
  });
});

import { expect } from '@esm-bundle/chai';
import {
  AUTOSAVE_DB_VERSION,
  MAX_AUTOSAVED_WEIGHT_BYTES,
  MAX_AUTOSAVES,
  MAX_WEIGHT_RECORDS,
  NotebookAutosave,
  type AutosavedWeights,
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

  it('keeps an out-of-range edit as a draft beside the last valid version', async () => {
    const { autosave } = await fresh();
    const id = await autosave.save(titled('Valid'));
    const typing = structuredClone(titled('Typing')) as unknown as {
      cells: { model?: { hidden: number } }[];
    };
    typing.cells[2]!.model!.hidden = 100_000;
    expect(await autosave.saveDraft(typing as unknown as Notebook, 'too wide', id)).to.equal(id);
    // The valid version is what a reload restores; the draft is offered beside it.
    expect(await autosave.restoreLast()).to.deep.equal({ id, notebook: titled('Valid') });
    const draft = await autosave.lastDraft();
    expect(draft?.id).to.equal(id);
    expect(draft?.problem).to.equal('too wide');
    const loaded = (await autosave.loadDraft(id)) as unknown as typeof typing;
    expect(loaded.cells[2]!.model!.hidden).to.equal(100_000);
    expect((loaded as unknown as Notebook).title).to.equal('Typing');
    // The recent list still shows the record (by its valid notebook).
    expect((await autosave.recent()).map((r) => r.id)).to.deep.equal([id]);
    // A valid save replaces the draft.
    await autosave.save(titled('Fixed'), id);
    expect(await autosave.lastDraft()).to.equal(undefined);
    expect(await autosave.loadDraft(id)).to.equal(undefined);
  });

  it('a draft with no valid version restores nothing but is still offered', async () => {
    const { autosave } = await fresh();
    const typing = structuredClone(titled('Only a draft')) as unknown as {
      cells: { train?: { learningRate: number } }[];
    };
    const trainCell = typing.cells.findIndex((c) => c.train);
    typing.cells[trainCell]!.train!.learningRate = 50;
    const id = await autosave.saveDraft(typing as unknown as Notebook, 'lr above 1');
    expect(await autosave.restoreLast()).to.equal(undefined);
    expect((await autosave.lastDraft())?.id).to.equal(id);
    const loaded = (await autosave.loadDraft(id)) as unknown as typeof typing;
    expect(loaded.cells[trainCell]!.train!.learningRate).to.equal(50);
  });

  it('a draft is still parsed: junk in it is refused, not opened', async () => {
    const { autosave } = await fresh();
    const junk = { ...titled('Junk'), cells: [{ id: 'x', kind: 'nonsense' }] };
    const id = await autosave.saveDraft(junk as unknown as Notebook, 'junk');
    expect(await autosave.loadDraft(id)).to.equal(undefined);
  });

  function weightsOf(trainId: string, count: number, value: number): AutosavedWeights {
    return {
      trainId,
      runKey: `key-${trainId}`,
      steps: 12,
      params: Float32Array.from({ length: count }, (_, i) => value + i * 1e-3),
      normalization: { shift: [0.5, -1], scale: [2, 3] },
    };
  }

  it('keeps trained weights beside a notebook, exactly, and removes them with it', async () => {
    const { autosave } = await fresh();
    const id = await autosave.save(titled('Trained'));
    const weights = [weightsOf('train-1', 1000, Math.PI), weightsOf('train-2', 10, -1)];
    expect(await autosave.saveWeights(id, weights)).to.equal(true);
    const back = await autosave.loadWeights(id);
    expect(back.map((w) => w.trainId)).to.deep.equal(['train-1', 'train-2']);
    expect(Array.from(back[0]!.params)).to.deep.equal(Array.from(weights[0]!.params));
    expect(back[0]!.normalization).to.deep.equal(weights[0]!.normalization);
    expect(back[0]!.runKey).to.equal('key-train-1');
    await autosave.remove(id);
    expect(await autosave.loadWeights(id)).to.deep.equal([]);
  });

  it('refuses weights over the cap (keeping none) and keeps weights of the newest notebooks only', async () => {
    const { autosave } = await fresh();
    const id = await autosave.save(titled('Big'));
    await autosave.saveWeights(id, [weightsOf('train-1', 4, 1)]);
    const tooMany = MAX_AUTOSAVED_WEIGHT_BYTES / 4 + 1;
    expect(await autosave.saveWeights(id, [weightsOf('train-1', tooMany, 1)])).to.equal(false);
    expect(await autosave.loadWeights(id)).to.deep.equal([]);
    const ids: string[] = [];
    for (let i = 0; i <= MAX_WEIGHT_RECORDS; i++) {
      const nb = await autosave.save(titled(`N${i}`));
      ids.push(nb);
      await autosave.saveWeights(nb, [weightsOf('train-1', 4, i)]);
    }
    expect((await autosave.loadWeights(ids[0]!)).length).to.equal(0);
    for (const nb of ids.slice(1)) expect((await autosave.loadWeights(nb)).length).to.equal(1);
  });

  it('upgrades a database of the previous version in place, keeping its notebooks', async () => {
    const name = `flowfield-autosave-test-v1-${Date.now()}`;
    const v1 = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name, AUTOSAVE_DB_VERSION - 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore('notebooks', { keyPath: 'id' });
        req.result.createObjectStore('meta');
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    v1.close();
    await putRaw(name, 'notebooks', {
      id: 'old',
      title: 'Old',
      savedAt: 1,
      notebook: titled('Old'),
    });
    await putRaw(name, 'meta', 'old', 'last');
    const autosave = await NotebookAutosave.open(name);
    opened.push({ autosave, name });
    expect(await autosave.restoreLast()).to.deep.equal({ id: 'old', notebook: titled('Old') });
    expect(await autosave.saveWeights('old', [weightsOf('train-1', 3, 0)])).to.equal(true);
    expect((await autosave.loadWeights('old')).length).to.equal(1);
  });
});

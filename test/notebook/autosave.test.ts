import { expect } from '@esm-bundle/chai';
import {
  AUTOSAVE_DB_VERSION,
  MAX_AUTOSAVED_IMAGE_BYTES,
  MAX_AUTOSAVED_WEIGHT_BYTES,
  MAX_AUTOSAVES,
  MAX_WEIGHT_RECORDS,
  NotebookAutosave,
  type AutosavedImageSet,
  type AutosavedWeights,
  defaultNotebook,
  packNotebook,
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

  it('upgrades a version-1 database in place, keeping its notebooks', async () => {
    const name = `flowfield-autosave-test-v1-${Date.now()}`;
    const v1 = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name, 1);
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

  /** A set of `count` images of channels×size×size with pixel i = (i·step + seed) mod 256. */
  function imageSet(
    hash: string,
    count: number,
    options: { size?: number; channels?: 1 | 3; labelled?: boolean; seed?: number } = {},
  ): AutosavedImageSet {
    const { size = 16, channels = 1, labelled = false, seed = 0 } = options;
    const pixels = new Uint8Array(count * channels * size * size);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + seed) % 256;
    return {
      hash,
      count,
      channels,
      size,
      pixels,
      classNames: labelled ? ['cats', 'dogs'] : [],
      ...(labelled ? { labels: Uint8Array.from({ length: count }, (_, i) => i % 2) } : {}),
    };
  }

  it('keeps a user image set by hash: pixels, labels and class names come back exactly', async () => {
    const { autosave, name } = await fresh();
    const rgb = imageSet('a'.repeat(64), 5, { size: 14, channels: 3, labelled: true, seed: 3 });
    const grey = imageSet('b'.repeat(64), 3, { size: 8 });
    expect(await autosave.images.save(rgb)).to.equal(true);
    expect(await autosave.images.save(grey)).to.equal(true);
    expect(await autosave.images.load('c'.repeat(64))).to.equal(undefined);
    const back = (await autosave.images.load(rgb.hash))!;
    expect(back).to.include({ hash: rgb.hash, count: 5, channels: 3, size: 14 });
    expect([...back.pixels]).to.deep.equal([...rgb.pixels]);
    expect([...back.labels!]).to.deep.equal([0, 1, 0, 1, 0]);
    expect(back.classNames).to.deep.equal(['cats', 'dogs']);
    const backGrey = (await autosave.images.load(grey.hash))!;
    expect([...backGrey.pixels]).to.deep.equal([...grey.pixels]);
    expect(backGrey.labels).to.equal(undefined);
    // A reopened database (a reload) still has them; a damaged record reads as missing.
    autosave.close();
    const again = await NotebookAutosave.open(name);
    opened.push({ autosave: again, name });
    expect([...(await again.images.load(rgb.hash))!.pixels]).to.deep.equal([...rgb.pixels]);
    await putRaw(name, 'imageSets', { ...grey, pixels: new Uint8Array(3) });
    expect(await again.images.load(grey.hash)).to.equal(undefined);
  });

  it(`keeps at most ${MAX_AUTOSAVED_IMAGE_BYTES / 2 ** 20} MiB of image sets, dropping the least recently used`, async () => {
    const { autosave } = await fresh();
    // Three sets of 22 MiB: two fit, the third pushes out the one used least recently.
    const count = (22 * 2 ** 20) / 256;
    const [a, b, c] = ['a', 'b', 'c'].map((h, i) => imageSet(h.repeat(64), count, { seed: i }));
    expect(await autosave.images.save(a!)).to.equal(true);
    expect(await autosave.images.save(b!)).to.equal(true);
    expect((await autosave.images.load(a!.hash))?.hash).to.equal(a!.hash); // a is used again
    expect(await autosave.images.save(c!)).to.equal(true);
    expect(await autosave.images.hashes()).to.deep.equal([c!.hash, a!.hash]);
    expect(await autosave.images.load(b!.hash)).to.equal(undefined);
    expect([...(await autosave.images.load(c!.hash))!.pixels.subarray(0, 4)]).to.deep.equal([
      2, 9, 16, 23,
    ]);
    // A set over the cap alone is refused and drops nothing.
    const huge = imageSet('d'.repeat(64), MAX_AUTOSAVED_IMAGE_BYTES / 256 + 1);
    expect(await autosave.images.save(huge)).to.equal(false);
    expect(await autosave.images.hashes()).to.deep.equal([c!.hash, a!.hash]);
  });

  it('upgrades a version-2 database in place: its drafts and weights stay, image sets are kept', async () => {
    expect(AUTOSAVE_DB_VERSION).to.equal(3);
    const name = `flowfield-autosave-test-v2-${Date.now()}`;
    const v2 = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name, 2);
      req.onupgradeneeded = () => {
        req.result.createObjectStore('notebooks', { keyPath: 'id' });
        req.result.createObjectStore('meta');
        req.result.createObjectStore('weights', { keyPath: 'id' });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    v2.close();
    const typing = structuredClone(titled('Typing')) as unknown as {
      cells: { model?: { hidden: number } }[];
    };
    typing.cells[2]!.model!.hidden = 100_000;
    await putRaw(name, 'notebooks', {
      id: 'two',
      title: 'Two',
      savedAt: 5,
      packed: await packNotebook(titled('Two')),
      draft: await packNotebook(typing as unknown as Notebook),
      draftProblem: 'too wide',
    });
    await putRaw(name, 'meta', 'two', 'last');
    const weights = weightsOf('train-1', 6, 0.25);
    await putRaw(name, 'weights', { id: 'two', savedAt: 6, weights: [weights] });
    const autosave = await NotebookAutosave.open(name);
    opened.push({ autosave, name });
    expect(await autosave.restoreLast()).to.deep.equal({ id: 'two', notebook: titled('Two') });
    expect(await autosave.lastDraft()).to.deep.include({ id: 'two', problem: 'too wide' });
    const draft = (await autosave.loadDraft('two')) as unknown as typeof typing;
    expect(draft.cells[2]!.model!.hidden).to.equal(100_000);
    const back = await autosave.loadWeights('two');
    expect(back.map((w) => [...w.params])).to.deep.equal([[...weights.params]]);
    const set = imageSet('e'.repeat(64), 2);
    expect(await autosave.images.save(set)).to.equal(true);
    expect([...(await autosave.images.load(set.hash))!.pixels]).to.deep.equal([...set.pixels]);
  });
});

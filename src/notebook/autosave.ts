/**
 * Autosave to IndexedDB: every change is saved under the notebook's autosave id, and "last"
 * points at the notebook saved most recently, so a reload, a bad link or a crash loses nothing.
 *
 * Records are read back through parseNotebook. A record that no longer validates (written by a
 * buggy build, edited by hand, or holding a value the user was still typing: the UI keeps
 * out-of-range numbers and only refuses to run) is skipped: restoreLast falls back to the most
 * recent record that does validate, and no method rejects because of a record's contents.
 *
 * A record holds its notebook as deflated JSON (`packed`), written and read in slices
 * (sliced.ts): a notebook may hold megabytes, and cloning one as an object into IndexedDB took
 * 200 ms of the page's main thread on a busy machine. Records of older builds hold the object
 * itself (`notebook`) and are still read.
 *
 * A notebook with a value out of range (the user is still typing) is not a valid notebook: its
 * record keeps the last valid version and adds the *draft* beside it with the reason, so a reload
 * restores the valid one and offers the draft. Trained weights live in their own store, keyed
 * like the notebooks, capped per notebook and in count (weights are megabytes, notebooks not).
 * The pixels of the user's image sets live in stores of their own, keyed by the set's hash
 * (several notebooks may use one set), capped in total bytes (autosave-images.ts).
 */
import { AutosavedImageSets, createImageSetStores } from './autosave-images';
import { deflate, inflate } from './codec';
import { MAX_FILE_CHARS } from './files';
import type { Notebook } from './schema';
import { nextTask, parseJsonSliced, stringifySliced } from './sliced';
import type { ModelWeights } from './weights';
import { done, request } from './idb';
import { parseDraft, parseNotebook } from './validate';

const NOTEBOOKS = 'notebooks';
const META = 'meta';
const WEIGHTS = 'weights';
const LAST_KEY = 'last';
/** Autosaves kept; older ones are dropped on save. */
export const MAX_AUTOSAVES = 50;
/** The database's schema version (2 added the weights store, 3 the user's image sets). */
export const AUTOSAVE_DB_VERSION = 3;
/** Most bytes of parameters autosaved for one notebook (larger: save a file instead). */
export const MAX_AUTOSAVED_WEIGHT_BYTES = 32 * 1024 * 1024;
/** Notebooks whose trained weights are kept; the least recently saved ones lose theirs. */
export const MAX_WEIGHT_RECORDS = 5;

/** One Train cell's weights, with the run key they were trained under (stale ones are skipped). */
export interface AutosavedWeights extends ModelWeights {
  runKey: string;
}

interface WeightsRecord {
  id: string;
  savedAt: number;
  weights: AutosavedWeights[];
}

/** The draft beside a record's last valid notebook: why it is not valid, and when it was saved. */
export interface DraftInfo {
  id: string;
  problem: string;
  savedAt: number;
}

interface AutosaveRecord {
  id: string;
  title: string;
  savedAt: number;
  /** Deflated UTF-8 JSON of the notebook (this build). */
  packed?: Uint8Array;
  /** The notebook itself (records of earlier builds). */
  notebook?: unknown;
  /** A newer, not valid version of the notebook (deflated JSON) and why it is not valid. */
  draft?: Uint8Array;
  draftProblem?: string;
}

/** The notebook as deflated JSON, in slices. */
export async function packNotebook(notebook: Notebook): Promise<Uint8Array> {
  const json = new TextEncoder().encode(await stringifySliced(notebook));
  await nextTask();
  return deflate(json);
}

/** The notebook in `packed` (parseNotebook'd); throws when it is not one. */
export async function unpackNotebook(
  packed: Uint8Array,
  parse: (value: unknown) => Notebook = parseNotebook,
): Promise<Notebook> {
  const bytes = await inflate(packed.slice() as Uint8Array<ArrayBuffer>, 2 * MAX_FILE_CHARS);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  await nextTask();
  const value = await parseJsonSliced(text);
  await nextTask();
  return parse(value);
}

function isRecord(value: unknown): value is AutosaveRecord {
  const r = value as Partial<AutosaveRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.id === 'string' &&
    typeof r.savedAt === 'number' &&
    Number.isFinite(r.savedAt)
  );
}

/** The notebook in a record, or undefined when the record is corrupt. */
async function notebookOf(record: unknown): Promise<Notebook | undefined> {
  if (!isRecord(record)) return undefined;
  try {
    if (record.packed instanceof Uint8Array) return await unpackNotebook(record.packed);
    return parseNotebook(record.notebook);
  } catch {
    return undefined;
  }
}

export class NotebookAutosave {
  private lastSavedAt = 0;

  /**
   * Called when another tab (a newer build of the app) needs to upgrade the database: this
   * connection is closed so the other tab is not blocked, and every later save fails.
   */
  onClosedByUpgrade: (() => void) | undefined;

  /** The user's image sets, by hash (pixels, labels, class names). */
  readonly images: AutosavedImageSets;

  private constructor(private readonly db: IDBDatabase) {
    this.images = new AutosavedImageSets(db, () => this.nextSavedAt());
    db.onversionchange = () => {
      db.close();
      this.onClosedByUpgrade?.();
    };
  }

  /** Opens (creating if needed) the autosave database. */
  static async open(dbName = 'flowfield-autosave'): Promise<NotebookAutosave> {
    // Version 2 added the weights store, version 3 the image-set stores; older databases are
    // upgraded in place (each store is made only when missing, so every older version works).
    const req = indexedDB.open(dbName, AUTOSAVE_DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(NOTEBOOKS))
        db.createObjectStore(NOTEBOOKS, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
      if (!db.objectStoreNames.contains(WEIGHTS)) db.createObjectStore(WEIGHTS, { keyPath: 'id' });
      createImageSetStores(db);
    };
    // Another tab holds the database open at an older version and does not let go: waiting
    // would leave the app without autosave and without saying why.
    const blocked = new Promise<never>((_, reject) => {
      req.onblocked = () =>
        reject(
          new Error(
            'another Flowfield tab keeps an older autosave database open; close or reload it',
          ),
        );
    });
    return new NotebookAutosave(await Promise.race([request(req), blocked]));
  }

  /** Saves `notebook` under `id` (a new id when absent), marks it last; returns the id. */
  async save(notebook: Notebook, id: string = crypto.randomUUID()): Promise<string> {
    const packed = await packNotebook(notebook);
    return this.put({ id, title: notebook.title, savedAt: this.nextSavedAt(), packed });
  }

  /**
   * Saves `draft`, a notebook that does not validate (`problem` says why), beside the last valid
   * version under `id` (a record holding only the draft when there is none); marks it last.
   */
  async saveDraft(draft: Notebook, problem: string, id: string = crypto.randomUUID()) {
    const packed = await packNotebook(draft);
    const existing = await this.record(id);
    const valid = isRecord(existing) ? existing : undefined;
    return this.put({
      id,
      title: draft.title,
      savedAt: this.nextSavedAt(),
      ...(valid?.packed ? { packed: valid.packed } : {}),
      ...(valid?.notebook !== undefined ? { notebook: valid.notebook } : {}),
      draft: packed,
      draftProblem: problem,
    });
  }

  /** The draft saved under `id` (numbers out of range kept), or undefined when there is none. */
  async loadDraft(id: string): Promise<Notebook | undefined> {
    const record = await this.record(id);
    if (!isRecord(record) || !(record.draft instanceof Uint8Array)) return undefined;
    try {
      return await unpackNotebook(record.draft, parseDraft);
    } catch {
      return undefined;
    }
  }

  /** Strictly increasing, so "last" and the recent list agree even within one millisecond. */
  private nextSavedAt(): number {
    this.lastSavedAt = Math.max(Date.now(), this.lastSavedAt + 1);
    return this.lastSavedAt;
  }

  private async put(record: AutosaveRecord): Promise<string> {
    const { id } = record;
    const tx = this.db.transaction([NOTEBOOKS, META], 'readwrite');
    const finished = done(tx);
    tx.objectStore(NOTEBOOKS).put(record);
    tx.objectStore(META).put(id, LAST_KEY);
    await finished;
    await this.prune();
    return id;
  }

  /** The last saved notebook, or the most recent one that still validates; never rejects. */
  async restoreLast(): Promise<{ id: string; notebook: Notebook } | undefined> {
    try {
      const lastId = await this.lastId();
      // The last record alone first: reading every record is for when it is unusable.
      if (typeof lastId === 'string') {
        const last = await this.record(lastId);
        const notebook = await notebookOf(last);
        if (notebook) return { id: lastId, notebook };
      }
      const records = await this.records();
      const ordered = [
        ...records.filter((r) => r.id === lastId),
        ...records.filter((r) => r.id !== lastId),
      ];
      for (const record of ordered) {
        const notebook = await notebookOf(record);
        if (notebook) return { id: record.id, notebook };
      }
    } catch {
      // A broken database is no worse than an empty one: the app opens its default notebook.
    }
    return undefined;
  }

  /** The draft held by the last saved record (load it with loadDraft); never rejects. */
  async lastDraft(): Promise<DraftInfo | undefined> {
    try {
      const lastId = await this.lastId();
      if (typeof lastId !== 'string') return undefined;
      const last = await this.record(lastId);
      if (!isRecord(last) || !(last.draft instanceof Uint8Array)) return undefined;
      const problem = last.draftProblem ?? 'a value is out of range';
      return { id: lastId, problem, savedAt: last.savedAt };
    } catch {
      return undefined;
    }
  }

  private lastId(): Promise<unknown> {
    return request(
      this.db.transaction(META).objectStore(META).get(LAST_KEY) as IDBRequest<unknown>,
    );
  }

  /** Up to `limit` valid autosaves, most recent first. */
  async recent(limit = 10): Promise<{ id: string; title: string; savedAt: number }[]> {
    const list: { id: string; title: string; savedAt: number }[] = [];
    for (const record of await this.records()) {
      if (list.length >= limit) break;
      const notebook = await notebookOf(record);
      if (notebook) list.push({ id: record.id, title: notebook.title, savedAt: record.savedAt });
    }
    return list;
  }

  /** The notebook saved under `id`; undefined when there is none or it is corrupt. */
  async load(id: string): Promise<Notebook | undefined> {
    return notebookOf(await this.record(id));
  }

  private record(id: string): Promise<unknown> {
    return request(
      this.db.transaction(NOTEBOOKS).objectStore(NOTEBOOKS).get(id) as IDBRequest<unknown>,
    );
  }

  async remove(id: string): Promise<void> {
    const tx = this.db.transaction([NOTEBOOKS, META, WEIGHTS], 'readwrite');
    const finished = done(tx);
    tx.objectStore(NOTEBOOKS).delete(id);
    tx.objectStore(WEIGHTS).delete(id);
    const meta = tx.objectStore(META);
    const last = meta.get(LAST_KEY);
    last.onsuccess = () => {
      if (last.result === id) meta.delete(LAST_KEY);
    };
    await finished;
  }

  close(): void {
    this.db.close();
  }

  /** Every well-formed record, most recent first (corrupt notebooks included: callers parse). */
  private async records(): Promise<AutosaveRecord[]> {
    const all = await request(
      this.db.transaction(NOTEBOOKS).objectStore(NOTEBOOKS).getAll() as IDBRequest<unknown[]>,
    );
    return all.filter(isRecord).sort((a, b) => b.savedAt - a.savedAt);
  }

  private async prune(): Promise<void> {
    // Counting is cheap; reading every record happens only when there are too many.
    const count = await request(this.db.transaction(NOTEBOOKS).objectStore(NOTEBOOKS).count());
    if (count <= MAX_AUTOSAVES) return;
    const records = await this.records();
    if (records.length <= MAX_AUTOSAVES) return;
    const tx = this.db.transaction([NOTEBOOKS, WEIGHTS], 'readwrite');
    const finished = done(tx);
    for (const record of records.slice(MAX_AUTOSAVES)) {
      tx.objectStore(NOTEBOOKS).delete(record.id);
      tx.objectStore(WEIGHTS).delete(record.id);
    }
    await finished;
  }

  // ─── trained weights ────────────────────────────────────────────────────────────────────

  /**
   * Keeps the trained weights of the notebook saved under `id` (replacing earlier ones);
   * returns false, keeping nothing, when they are over MAX_AUTOSAVED_WEIGHT_BYTES. Only the
   * MAX_WEIGHT_RECORDS most recently saved notebooks keep weights.
   */
  async saveWeights(id: string, weights: readonly AutosavedWeights[]): Promise<boolean> {
    const bytes = weights.reduce((sum, w) => sum + w.params.byteLength, 0);
    const tx = this.db.transaction(WEIGHTS, 'readwrite');
    const finished = done(tx);
    if (bytes > MAX_AUTOSAVED_WEIGHT_BYTES || !weights.length) {
      tx.objectStore(WEIGHTS).delete(id);
    } else {
      const record: WeightsRecord = { id, savedAt: this.nextSavedAt(), weights: [...weights] };
      tx.objectStore(WEIGHTS).put(record);
    }
    await finished;
    await this.pruneWeights();
    return bytes <= MAX_AUTOSAVED_WEIGHT_BYTES;
  }

  /** The weights kept for `id` (empty when none or unreadable); never rejects. */
  async loadWeights(id: string): Promise<AutosavedWeights[]> {
    try {
      const store = this.db.transaction(WEIGHTS).objectStore(WEIGHTS);
      const record = (await request(store.get(id) as IDBRequest<unknown>)) as
        Partial<WeightsRecord> | undefined;
      return Array.isArray(record?.weights) ? record.weights.filter(isWeights) : [];
    } catch {
      return [];
    }
  }

  private async pruneWeights(): Promise<void> {
    const store = this.db.transaction(WEIGHTS).objectStore(WEIGHTS);
    const all = (await request(store.getAll() as IDBRequest<WeightsRecord[]>)).sort(
      (a, b) => b.savedAt - a.savedAt,
    );
    if (all.length <= MAX_WEIGHT_RECORDS) return;
    const tx = this.db.transaction(WEIGHTS, 'readwrite');
    const finished = done(tx);
    for (const r of all.slice(MAX_WEIGHT_RECORDS)) tx.objectStore(WEIGHTS).delete(r.id);
    await finished;
  }
}

function isWeights(value: unknown): value is AutosavedWeights {
  const w = value as Partial<AutosavedWeights> | null;
  return (
    typeof w === 'object' &&
    w !== null &&
    typeof w.trainId === 'string' &&
    typeof w.runKey === 'string' &&
    typeof w.steps === 'number' &&
    w.params instanceof Float32Array &&
    typeof w.normalization === 'object'
  );
}

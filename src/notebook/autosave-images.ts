/**
 * The user's image sets in the autosave database, so that a reload (or Recent) brings back the
 * images of an 'image-files' Data cell without the files being added again. Keyed by the set's
 * content hash (imageSetHash), since several notebooks may use one set.
 *
 * Two stores: `imageSets` holds the data (pixels, labels, class names), `imageSetUse` a small
 * record per set (when it was last used, its bytes), so that marking a set used does not rewrite
 * megabytes of pixels. The sets together hold at most MAX_AUTOSAVED_IMAGE_BYTES: saving a set
 * drops the least recently used others until it fits; a set larger than the cap alone is not
 * kept (the app then says to save the notebook as a file, which carries the pixels).
 */
import type { ImageSetData } from './image-files-data';
import { done, request } from './idb';

const SETS = 'imageSets';
const USE = 'imageSetUse';
/** Most bytes (pixels + labels) of all autosaved image sets together: 64 MiB. */
export const MAX_AUTOSAVED_IMAGE_BYTES = 64 * 1024 * 1024;

/** An autosaved image set: its pixels and labels, and the names of its classes. */
export interface AutosavedImageSet extends ImageSetData {
  /** Folder-per-class names (label i = classNames[i]); empty for an unlabelled set. */
  classNames: string[];
}

interface UseRecord {
  hash: string;
  usedAt: number;
  bytes: number;
}

/** Creates the image-set stores (database version 3) when they are missing. */
export function createImageSetStores(db: IDBDatabase): void {
  if (!db.objectStoreNames.contains(SETS)) db.createObjectStore(SETS, { keyPath: 'hash' });
  if (!db.objectStoreNames.contains(USE)) db.createObjectStore(USE, { keyPath: 'hash' });
}

function bytesOf(set: ImageSetData): number {
  return set.pixels.byteLength + (set.labels?.byteLength ?? 0);
}

function isImageSet(value: unknown): value is AutosavedImageSet {
  const s = value as Partial<AutosavedImageSet> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.hash === 'string' &&
    typeof s.count === 'number' &&
    (s.channels === 1 || s.channels === 3) &&
    typeof s.size === 'number' &&
    s.pixels instanceof Uint8Array &&
    s.pixels.length === s.count * s.channels * s.size * s.size &&
    (s.labels === undefined || (s.labels instanceof Uint8Array && s.labels.length === s.count)) &&
    Array.isArray(s.classNames) &&
    s.classNames.every((name) => typeof name === 'string')
  );
}

export class AutosavedImageSets {
  constructor(
    private readonly db: IDBDatabase,
    /** Strictly increasing times (the autosave's clock), so "least recently used" is exact. */
    private readonly now: () => number,
  ) {}

  /** Every set's use record, least recently used first. */
  private async uses(): Promise<UseRecord[]> {
    const store = this.db.transaction(USE).objectStore(USE);
    const all = await request(store.getAll() as IDBRequest<UseRecord[]>);
    return all.sort((a, b) => a.usedAt - b.usedAt);
  }

  /**
   * Keeps `set` (marks it used when it is kept already), dropping the least recently used other
   * sets until all fit in MAX_AUTOSAVED_IMAGE_BYTES. Returns false, keeping nothing of it, when
   * the set alone is over the cap.
   */
  async save(set: AutosavedImageSet): Promise<boolean> {
    const bytes = bytesOf(set);
    if (bytes > MAX_AUTOSAVED_IMAGE_BYTES) return false;
    const others = (await this.uses()).filter((use) => use.hash !== set.hash);
    // Kept already: only marked used (its megabytes are not written again).
    const sets = this.db.transaction(SETS).objectStore(SETS);
    const kept = (await request(sets.count(set.hash))) > 0;
    let total = others.reduce((sum, use) => sum + use.bytes, 0) + bytes;
    const tx = this.db.transaction([SETS, USE], 'readwrite');
    const finished = done(tx);
    for (const old of others) {
      if (total <= MAX_AUTOSAVED_IMAGE_BYTES) break;
      tx.objectStore(SETS).delete(old.hash);
      tx.objectStore(USE).delete(old.hash);
      total -= old.bytes;
    }
    if (!kept) {
      const record: AutosavedImageSet = {
        hash: set.hash,
        count: set.count,
        channels: set.channels,
        size: set.size,
        pixels: set.pixels,
        classNames: [...set.classNames],
        ...(set.labels ? { labels: set.labels } : {}),
      };
      tx.objectStore(SETS).put(record);
    }
    tx.objectStore(USE).put({ hash: set.hash, usedAt: this.now(), bytes } satisfies UseRecord);
    await finished;
    return true;
  }

  /** The set with this hash, marked used; undefined when it is not kept or unreadable. */
  async load(hash: string): Promise<AutosavedImageSet | undefined> {
    try {
      const store = this.db.transaction(SETS).objectStore(SETS);
      const set = await request(store.get(hash) as IDBRequest<unknown>);
      if (!isImageSet(set) || set.hash !== hash) return undefined;
      const tx = this.db.transaction(USE, 'readwrite');
      const finished = done(tx);
      tx.objectStore(USE).put({ hash, usedAt: this.now(), bytes: bytesOf(set) } as UseRecord);
      await finished;
      return set;
    } catch {
      return undefined;
    }
  }

  /** The hashes of the kept sets, most recently used first. */
  async hashes(): Promise<string[]> {
    return (await this.uses()).reverse().map((use) => use.hash);
  }
}

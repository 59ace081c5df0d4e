/**
 * The pixels of the user's image sets in `.flowfield.json` files. A Data cell's 'image-files'
 * source is only a reference (by SHA-256); a file, which has room, carries the pixels beside the
 * notebook so that opening it brings the set back:
 *
 *   "imageSets": [{ "hash", "count", "channels", "size", "pixels": base64, "labels"?: base64 }]
 *
 * Links and autosave do not carry them (see ImageFilesSource). Whether the bytes hash to `hash`
 * is checked where they are used (asynchronously, with imageSetHash): a mismatch is a set that
 * is not there, never a wrong picture.
 */
import { base64DecodeSteps, base64Encode, runSteps } from './binary';
import { NotebookError, describeValue } from './errors';
import type { ImageFilesSource, Notebook } from './schema';

/** One user image set's pixels, as the reference with the same hash describes them. */
export interface ImageSetData {
  hash: string;
  count: number;
  channels: 1 | 3;
  size: number;
  /** count × channels × size × size bytes. */
  pixels: Uint8Array;
  /** One label per image, for a labelled set. */
  labels?: Uint8Array;
}

function references(notebook: Notebook): Map<string, ImageFilesSource> {
  const out = new Map<string, ImageFilesSource>();
  for (const cell of notebook.cells) {
    if (cell.kind === 'data' && cell.source.kind === 'image-files') {
      out.set(cell.source.hash, cell.source);
    }
  }
  return out;
}

/** The JSON entries of the sets `notebook` references (others are left out). */
export function imageSetsToJson(notebook: Notebook, sets: readonly ImageSetData[]): unknown[] {
  const wanted = references(notebook);
  return sets
    .filter((set) => wanted.has(set.hash))
    .map((set) => ({
      hash: set.hash,
      count: set.count,
      channels: set.channels,
      size: set.size,
      pixels: base64Encode(set.pixels),
      ...(set.labels ? { labels: base64Encode(set.labels) } : {}),
    }));
}

function bad(path: string, expected: string, value: unknown): never {
  throw new NotebookError(
    'schema',
    path,
    `${path}: expected ${expected}, received ${describeValue(value)}.`,
  );
}

/** The image sets of a file's `imageSets` (absent: none); each must match a reference. */
export function imageSetsFromJson(value: unknown, notebook: Notebook): ImageSetData[] {
  return runSteps(imageSetsFromJsonSteps(value, notebook));
}

/** `imageSetsFromJson` as steps: it pauses while decoding pixels (binary.ts `runStepsPaced`). */
export function* imageSetsFromJsonSteps(
  value: unknown,
  notebook: Notebook,
): Generator<void, ImageSetData[]> {
  if (value === undefined) return [];
  if (!Array.isArray(value)) bad('imageSets', 'a list', value);
  const wanted = references(notebook);
  const sets: ImageSetData[] = [];
  for (const [i, entry] of (value as unknown[]).entries()) {
    const path = `imageSets[${i}]`;
    if (typeof entry !== 'object' || entry === null) bad(path, 'an object', entry);
    const e = entry as Record<string, unknown>;
    const source = wanted.get(e['hash'] as string);
    if (!source) {
      const hashes = [...wanted.keys()].map((h) => `${h.slice(0, 8)}…`).join(', ');
      bad(
        `${path}.hash`,
        `the hash of an 'image-files' Data cell (${hashes || 'none'})`,
        e['hash'],
      );
    }
    for (const key of ['count', 'channels', 'size'] as const) {
      if (e[key] !== source[key])
        bad(`${path}.${key}`, `${source[key]}, as its Data cell says`, e[key]);
    }
    const values = source.count * source.channels * source.size * source.size;
    const pixels =
      typeof e['pixels'] === 'string' ? yield* base64DecodeSteps(e['pixels']) : undefined;
    if (!pixels || pixels.length !== values) {
      bad(
        `${path}.pixels`,
        `base64 of ${values} bytes (count × channels × size × size)`,
        e['pixels'],
      );
    }
    const set: ImageSetData = {
      hash: source.hash,
      count: source.count,
      channels: source.channels,
      size: source.size,
      pixels,
    };
    if (e['labels'] !== undefined) {
      const labels =
        typeof e['labels'] === 'string' ? yield* base64DecodeSteps(e['labels']) : undefined;
      if (!labels || labels.length !== source.count) {
        bad(`${path}.labels`, `base64 of ${source.count} bytes (one label per image)`, e['labels']);
      }
      set.labels = labels;
    }
    sets.push(set);
  }
  return sets;
}

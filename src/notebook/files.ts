/**
 * `.flowfield.json` files: the notebook as JSON plus every model's exact float32 weights
 * (standard base64 of little-endian bytes). For notebooks too large for a link.
 *
 *   { "format": "flowfield-notebook", "version": 3, "notebook": {…},
 *     "weights": [{ "trainId", "steps", "normalization": { "shift", "scale" }, "float32": "…" }],
 *     "imageSets": [{ "hash", "count", "channels", "size", "pixels", "labels"? }] }
 *
 * `imageSets` (optional) holds the pixels of the user's image sets the notebook references
 * (image-files-data.ts); files without it open as before.
 */
import { base64Decode, base64Encode, float32Bytes, float32FromBytes } from './binary';
import { NotebookError, describeValue } from './errors';
import { imageSetsFromJson, imageSetsToJson } from './image-files-data';
import { NOTEBOOK_VERSION } from './schema';
import { parseNotebook } from './validate';
import { MAX_PARAMS, checkWeightsHeader, type ModelWeights, type SharePayload } from './weights';

export const FILE_FORMAT = 'flowfield-notebook';
export const FILE_EXTENSION = '.flowfield.json';
/** Largest file read (characters): room for the largest notebook and a few maximal models. */
export const MAX_FILE_CHARS = 64 * 1024 * 1024;

/** The `.flowfield.json` text of `payload` (validated first, so every file made here opens). */
export function notebookToFile(payload: SharePayload): string {
  const notebook = parseNotebook(payload.notebook);
  const seen = new Set<string>();
  const weights = payload.weights.map((w, i) => {
    const { trainId, steps, normalization } = checkWeightsHeader(
      w,
      `weights[${i}]`,
      notebook,
      seen,
      w.params.length,
    );
    return { trainId, steps, normalization, float32: base64Encode(float32Bytes(w.params)) };
  });
  const imageSets = imageSetsToJson(notebook, payload.imageSets ?? []);
  const doc = { format: FILE_FORMAT, version: NOTEBOOK_VERSION, notebook, weights };
  return `${JSON.stringify(imageSets.length ? { ...doc, imageSets } : doc, null, 2)}\n`;
}

function notAFile(detail: string): NotebookError {
  return new NotebookError('syntax', '', `This is not a Flowfield notebook file: ${detail}`);
}

/** The notebook and weights in a `.flowfield.json` file's text. Throws NotebookError only. */
export function notebookFromFile(text: string): SharePayload {
  if (typeof text !== 'string') throw notAFile(`expected text, received ${describeValue(text)}.`);
  if (text.length > MAX_FILE_CHARS) {
    throw new NotebookError(
      'too-large',
      '',
      `This file is ${text.length.toLocaleString('en')} characters long; files up to ${MAX_FILE_CHARS.toLocaleString('en')} are read.`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw notAFile(`it is not valid JSON (${(error as Error).message}).`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw notAFile('expected a JSON object.');
  }
  const file = doc as Record<string, unknown>;
  if (file['format'] !== FILE_FORMAT) {
    throw notAFile(
      `expected "format": "${FILE_FORMAT}", received ${describeValue(file['format'])}.`,
    );
  }
  const notebook = parseNotebook(file['notebook']);
  const rawWeights = file['weights'] ?? [];
  if (!Array.isArray(rawWeights)) {
    throw new NotebookError(
      'weights',
      'weights',
      `weights: expected a list, received ${describeValue(rawWeights)}.`,
    );
  }
  const seen = new Set<string>();
  const weights: ModelWeights[] = rawWeights.map((w: unknown, i) => {
    const path = `weights[${i}]`;
    const data = (w as { float32?: unknown } | null)?.float32;
    const bytes = typeof data === 'string' ? base64Decode(data) : undefined;
    if (!bytes || bytes.length % 4 !== 0 || bytes.length / 4 > MAX_PARAMS) {
      throw new NotebookError(
        'weights',
        `${path}.float32`,
        `${path}.float32: expected base64 of little-endian float32 values (at most ${MAX_PARAMS.toLocaleString('en')}), received ${describeValue(data)}.`,
      );
    }
    const { trainId, steps, normalization } = checkWeightsHeader(
      w,
      path,
      notebook,
      seen,
      bytes.length / 4,
    );
    return { trainId, steps, normalization, params: float32FromBytes(bytes) };
  });
  const imageSets = imageSetsFromJson(file['imageSets'], notebook);
  return imageSets.length ? { notebook, weights, imageSets } : { notebook, weights };
}

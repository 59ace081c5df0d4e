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
import {
  base64DecodeSteps,
  base64Encode,
  float32Bytes,
  float32FromBytes,
  runSteps,
  runStepsPaced,
} from './binary';
import { nextTask, parseJsonSliced } from './sliced';
import { NotebookError, describeValue } from './errors';
import { imageSetsFromJsonSteps, imageSetsToJson } from './image-files-data';
import { NOTEBOOK_VERSION } from './schema';
import { parseNotebook } from './validate';
import {
  MAX_PARAMS,
  checkWeightsHeader,
  listOfWeights,
  type ModelWeights,
  type SharePayload,
} from './weights';

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
  checkFileLength(text);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw notAFile(`it is not valid JSON (${(error as Error).message}).`);
  }
  return runSteps(payloadSteps(doc));
}

/**
 * `notebookFromFile` for the page: the same result or error, but the JSON is parsed in slices
 * and the base64 payloads (up to tens of megabytes of weights and pixels) are decoded in chunks
 * with a task boundary between them, so that opening a large file never blocks the page for long
 * (issue #17 item 3: a 21 MB file blocked it for ~180 ms in one task, a 64 MB one for ~0.5 s).
 */
export async function readNotebookFile(text: string): Promise<SharePayload> {
  checkFileLength(text);
  let doc: unknown;
  try {
    doc = await parseJsonSliced(text);
  } catch (error) {
    throw notAFile(`it is not valid JSON (${(error as Error).message}).`);
  }
  return runStepsPaced(payloadSteps(doc), nextTask);
}

function checkFileLength(text: string): void {
  if (typeof text !== 'string') throw notAFile(`expected text, received ${describeValue(text)}.`);
  if (text.length > MAX_FILE_CHARS) {
    throw new NotebookError(
      'too-large',
      '',
      `This file is ${text.length.toLocaleString('en')} characters long; files up to ${MAX_FILE_CHARS.toLocaleString('en')} are read.`,
    );
  }
}

/** The payload of a parsed file, as steps that pause while decoding base64 (binary.ts). */
function* payloadSteps(doc: unknown): Generator<void, SharePayload> {
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
  const weightList = listOfWeights(rawWeights);
  const seen = new Set<string>();
  const weights: ModelWeights[] = [];
  for (const [i, w] of weightList.entries()) {
    const path = `weights[${i}]`;
    const data = (w as { float32?: unknown } | null)?.float32;
    yield; // JSON.parse and the checks so far were one task; the decoding goes in chunks.
    const bytes = typeof data === 'string' ? yield* base64DecodeSteps(data) : undefined;
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
    weights.push({ trainId, steps, normalization, params: float32FromBytes(bytes) });
  }
  const imageSets = yield* imageSetsFromJsonSteps(file['imageSets'], notebook);
  return imageSets.length ? { notebook, weights, imageSets } : { notebook, weights };
}

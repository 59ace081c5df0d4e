/**
 * Share links: the whole notebook (and, when asked, its trained weights) in the URL fragment,
 * which browsers never send to a server.
 *
 *   #nb=<version>.<base64url(deflate-raw(container))>
 *
 * The container (all numbers little-endian):
 *
 *   offset     bytes  field
 *   0          4      magic 'FFNB'
 *   4          1      container format (1)
 *   5          1      notebook schema version (equals <version> in the prefix)
 *   6          4      u32 J: length of the JSON section
 *   10         J      UTF-8 JSON { notebook, weights: [{ trainId, steps, normalization, count,
 *                     dtype: 'f16' | 'f32' }] }
 *   10 + J     B      weights, model after model in the JSON's order: `count` values each,
 *                     float16 (2 bytes) or float32 (4 bytes); B must equal the sum exactly
 *   10 + J + B 4      CRC-32 of every byte before it
 *
 * Deflate-raw and base64url are the browser's own (CompressionStream) and binary.ts. Decoding is
 * pure (it returns a payload; the current notebook is never touched), throws NotebookError only,
 * refuses fragments over MAX_LINK_CHARS before decoding and stops inflating past
 * MAX_PAYLOAD_BYTES, so a link can neither hang the page nor fill its memory. Grid densities stay
 * in the JSON: deflate packs their repeated small numbers well enough.
 */
import { base64Decode, base64UrlEncode, float16Bits, float16Value } from './binary';
import { crc32Sliced, nextTask, parseJsonSliced, stringifySliced } from './sliced';
import { NotebookError, describeValue } from './errors';
import { NOTEBOOK_VERSION } from './schema';
import { parseNotebook } from './validate';
import {
  checkWeightsHeader,
  fitsFloat16,
  listOfWeights,
  type ModelWeights,
  type SharePayload,
  type WeightsHeader,
} from './weights';

export type { ModelWeights, SharePayload } from './weights';
export { maxQuantizationError } from './weights';

/**
 * Fragment length (characters) above which the share dialog offers a file instead. Browsers
 * accept far longer URLs (Chrome 2 MB), but chat apps, mail clients and issue trackers truncate
 * or refuse long links. 32 000 characters holds a default-size model with room to spare: the
 * default notebook alone is about 1 400 characters, and with a RealNVP 6×32 (7 116 parameters,
 * float16) about 18 200 (measured in test/notebook/codec.test.ts).
 */
export const SHARE_LINK_BUDGET = 32_000;
/** Longest fragment decodeShareLink reads at all (Chrome's own URL limit is 2 MiB). */
export const MAX_LINK_CHARS = 4 * 1024 * 1024;
/** Most bytes a link may inflate to; past this, inflating stops ('too-large'). */
export const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

const MAGIC = [0x46, 0x46, 0x4e, 0x42]; // 'FFNB'
const CONTAINER_FORMAT = 1;
const HEADER_BYTES = 10;
const CRC_BYTES = 4;
const LINK_PATTERN = /^nb=([0-9]{1,6})\.([A-Za-z0-9_-]*)$/;

type Dtype = 'f16' | 'f32';

/**
 * Input per write: a write's whole output is made in one go on the main thread, and 2 KB of a
 * highly compressible link inflate to ~400 KB (16 KB took 200 ms on a busy machine).
 */
const STREAM_SLICE = 2 * 1024;

/**
 * Runs `bytes` through a compression stream, reading at most `cap` bytes of output. The input
 * goes in slices with a task boundary between them: 30 KB of a link inflate to 6.5 MB, which
 * took 150 ms in one write.
 */
async function pump(
  stream: CompressionStream | DecompressionStream,
  bytes: Uint8Array<ArrayBuffer>,
  cap: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > cap) {
        reader.cancel().catch(() => undefined);
        throw new NotebookError(
          'too-large',
          '',
          `This link unpacks to more than ${cap / 1024 / 1024} MB, more than any notebook needs; it was not opened.`,
        );
      }
      chunks.push(value);
    }
  })();
  // Errors of the writable side resurface on the readable side.
  reading.catch(() => undefined);
  const writing = (async () => {
    for (let at = 0; at < bytes.length; at += STREAM_SLICE) {
      await writer.write(bytes.subarray(at, at + STREAM_SLICE));
      await nextTask();
    }
    await writer.close();
  })();
  writing.catch(() => undefined);
  try {
    await Promise.all([reading, writing]);
  } catch (error) {
    if (error instanceof NotebookError) throw error;
    throw new NotebookError(
      'compression',
      '',
      'This link is damaged: its compressed data does not unpack (was it cut short or edited?). Ask for the link again, or for a .flowfield.json file.',
    );
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Deflates `bytes` (raw deflate), in slices. */
export const deflate = (bytes: Uint8Array<ArrayBuffer>) =>
  pump(new CompressionStream('deflate-raw'), bytes, Infinity);
/** Inflates `bytes`, in slices, reading at most `cap` bytes of output ('too-large' past it). */
export const inflate = (bytes: Uint8Array<ArrayBuffer>, cap: number) =>
  pump(new DecompressionStream('deflate-raw'), bytes, cap);

/**
 * The fragment for `payload` (no leading '#'): `nb=<version>.<data>`. Settings only by default;
 * `weights: 'float16'` adds every model's weights (float32 for a model float16 cannot hold, see
 * maxQuantizationError). The notebook is validated first, so every link made here opens.
 */
export async function encodeShareLink(
  payload: SharePayload,
  options: { weights?: 'none' | 'float16' } = {},
): Promise<string> {
  const notebook = parseNotebook(payload.notebook);
  const withWeights = options.weights === 'float16' ? payload.weights : [];
  const seen = new Set<string>();
  const headers = withWeights.map((w, i) => {
    const dtype: Dtype = fitsFloat16(w.params) ? 'f16' : 'f32';
    const header = checkWeightsHeader(w, `weights[${i}]`, notebook, seen, w.params.length);
    return { ...header, dtype };
  });
  const json = new TextEncoder().encode(await stringifySliced({ notebook, weights: headers }));
  const binaryBytes = headers.reduce((n, h) => n + h.count * (h.dtype === 'f16' ? 2 : 4), 0);
  const size = HEADER_BYTES + json.length + binaryBytes + CRC_BYTES;
  if (size > MAX_PAYLOAD_BYTES) {
    throw new NotebookError(
      'too-large',
      '',
      `This notebook${withWeights.length ? ' with its weights' : ''} is ${(size / 1024 / 1024).toFixed(1)} MB, more than a link can carry (${MAX_PAYLOAD_BYTES / 1024 / 1024} MB); save it as a .flowfield.json file instead.`,
    );
  }
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  bytes[4] = CONTAINER_FORMAT;
  bytes[5] = NOTEBOOK_VERSION;
  view.setUint32(6, json.length, true);
  bytes.set(json, HEADER_BYTES);
  let at = HEADER_BYTES + json.length;
  withWeights.forEach((w, i) => {
    const f16 = headers[i]!.dtype === 'f16';
    for (const x of w.params) {
      if (f16) view.setUint16(at, float16Bits(x), true);
      else view.setFloat32(at, x, true);
      at += f16 ? 2 : 4;
    }
  });
  view.setUint32(at, await crc32Sliced(bytes.subarray(0, at)), true);
  return `nb=${NOTEBOOK_VERSION}.${base64UrlEncode(await deflate(bytes))}`;
}

function damaged(code: 'syntax' | 'version', path: string, detail: string): NotebookError {
  return new NotebookError(code, path, `This link is not a Flowfield notebook link: ${detail}`);
}

/** The fragment part of a link: accepts `nb=…`, `#nb=…` or a whole URL with `#nb=…`. */
function fragmentOf(link: string): string {
  const hash = link.indexOf('#');
  return hash >= 0 ? link.slice(hash + 1) : link;
}

/**
 * The notebook and weights in a share link (with or without '#', or a full URL). Pure; throws
 * NotebookError only, with a message fit to show.
 */
export async function decodeShareLink(fragment: string): Promise<SharePayload> {
  if (typeof fragment !== 'string')
    throw damaged('syntax', '', `expected text, received ${describeValue(fragment)}.`);
  const body = fragmentOf(fragment);
  if (body.length > MAX_LINK_CHARS) {
    throw new NotebookError(
      'too-large',
      '',
      `This link is ${body.length.toLocaleString('en')} characters long; links up to ${MAX_LINK_CHARS.toLocaleString('en')} are read. Share large notebooks as a .flowfield.json file.`,
    );
  }
  const match = LINK_PATTERN.exec(body);
  if (!match) {
    throw damaged(
      'syntax',
      '',
      "expected '#nb=<version>.<data>' with base64url data (A–Z, a–z, 0–9, '-', '_').",
    );
  }
  const version = Number(match[1]);
  if (version < 1 || version > NOTEBOOK_VERSION) {
    throw new NotebookError(
      'version',
      'version',
      version > NOTEBOOK_VERSION
        ? `This link was made by a newer Flowfield (notebook version ${version}); this app reads versions 1 to ${NOTEBOOK_VERSION}. Reload the page to get the latest app.`
        : `This link says notebook version ${version}; this app reads versions 1 to ${NOTEBOOK_VERSION}.`,
    );
  }
  const compressed = base64Decode(match[2]!);
  if (!compressed) throw damaged('syntax', '', 'its data is not valid base64url (cut short?).');
  const bytes = await inflate(compressed as Uint8Array<ArrayBuffer>, MAX_PAYLOAD_BYTES);
  return readContainer(bytes, version);
}

/** The payload in an inflated container; in slices (sliced.ts), as it may hold 8 MiB. */
async function readContainer(bytes: Uint8Array, version: number): Promise<SharePayload> {
  if (bytes.length < HEADER_BYTES + CRC_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw damaged('syntax', '', 'its data does not start with the Flowfield notebook header.');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - CRC_BYTES;
  if (view.getUint32(end, true) !== (await crc32Sliced(bytes.subarray(0, end)))) {
    throw new NotebookError(
      'checksum',
      '',
      'This link is damaged: its checksum does not match its contents (was it edited or cut?). Ask for the link again.',
    );
  }
  if (bytes[4] !== CONTAINER_FORMAT) {
    throw new NotebookError(
      'version',
      '',
      `This link uses container format ${bytes[4]}; this app reads format ${CONTAINER_FORMAT}. Reload the page to get the latest app.`,
    );
  }
  if (bytes[5] !== version) {
    throw damaged(
      'version',
      'version',
      `its prefix says version ${version} but its data says ${bytes[5]}.`,
    );
  }
  const jsonLength = view.getUint32(6, true);
  if (jsonLength > end - HEADER_BYTES)
    throw damaged('syntax', '', 'its JSON section runs past its end.');
  let doc: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(
      bytes.subarray(HEADER_BYTES, HEADER_BYTES + jsonLength),
    );
    await nextTask();
    doc = await parseJsonSliced(text);
  } catch {
    throw damaged('syntax', '', 'its JSON section is not valid UTF-8 JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw damaged('syntax', '', 'its JSON section is not an object.');
  }
  const { notebook: rawNotebook, weights: rawWeights } = doc as Record<string, unknown>;
  const stated = (rawNotebook as { version?: unknown } | null)?.version;
  if (typeof rawNotebook === 'object' && rawNotebook !== null && stated !== version) {
    throw damaged(
      'version',
      'notebook.version',
      `its header says version ${version} but its notebook says ${describeValue(stated)}.`,
    );
  }
  await nextTask();
  const notebook = parseNotebook(rawNotebook);
  await nextTask();
  const weightList = listOfWeights(rawWeights);
  const seen = new Set<string>();
  const headers: (WeightsHeader & { dtype: Dtype })[] = weightList.map((w: unknown, i) => {
    const path = `weights[${i}]`;
    const header = checkWeightsHeader(w, path, notebook, seen, (w as { count?: unknown })?.count);
    const dtype = (w as { dtype?: unknown }).dtype;
    if (dtype !== 'f16' && dtype !== 'f32') {
      throw new NotebookError(
        'weights',
        `${path}.dtype`,
        `${path}.dtype: expected 'f16' or 'f32', received ${describeValue(dtype)}.`,
      );
    }
    return { ...header, dtype };
  });
  const needed = headers.reduce((n, h) => n + h.count * (h.dtype === 'f16' ? 2 : 4), 0);
  const have = end - HEADER_BYTES - jsonLength;
  if (needed !== have) {
    throw new NotebookError(
      'weights',
      'weights',
      `This link's weights section holds ${have} bytes but its ${headers.length} model(s) need ${needed}.`,
    );
  }
  let at = HEADER_BYTES + jsonLength;
  const weights: ModelWeights[] = headers.map(({ trainId, steps, count, normalization, dtype }) => {
    const params = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      params[i] =
        dtype === 'f16' ? float16Value(view.getUint16(at, true)) : view.getFloat32(at, true);
      at += dtype === 'f16' ? 2 : 4;
    }
    return { trainId, steps, params, normalization };
  });
  return { notebook, weights };
}

/**
 * safetensors (huggingface/safetensors), so PyTorch / JAX users can load trained weights:
 *
 *   u64 LE N | N bytes of JSON header, padded with spaces to a multiple of 8 |
 *   tensor data (little-endian, row-major), each at header[name].data_offsets = [begin, end)
 *   relative to the start of the data
 *
 * The header maps tensor names to { dtype, shape, data_offsets }, plus an optional
 * "__metadata__" of string → string. We write F32; we read F32 and F16.
 */
import { float16Value } from './binary';
import { NotebookError, describeValue } from './errors';
import type { ModelSettings } from './schema';
import type { ModelWeights } from './weights';

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** Largest header read (the reference implementation's own limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;
const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2 };

function elements(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** The bytes of a safetensors file holding `tensors` (as F32) and string `metadata`. */
export function writeSafetensors(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new RangeError('"__metadata__" cannot name a tensor.');
    if (!shape.every((d) => Number.isInteger(d) && d >= 0) || elements(shape) !== data.length) {
      throw new RangeError(
        `Tensor "${name}": shape [${shape.join(', ')}] does not hold its ${data.length} values.`,
      );
    }
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.length * 4] };
    offset += data.length * 4;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  const padding = (8 - (encoder.encode(json).length % 8)) % 8;
  json += ' '.repeat(padding);
  const headerBytes = encoder.encode(json);
  const bytes = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const { data } of Object.values(tensors)) {
    for (const x of data) {
      view.setFloat32(at, x, true);
      at += 4;
    }
  }
  return bytes;
}

function invalid(path: string, detail: string): NotebookError {
  return new NotebookError('weights', path, `This is not a readable safetensors file: ${detail}`);
}

/** Tensors (as float32) and metadata of a safetensors file. Throws NotebookError('weights'). */
export function readSafetensors(bytes: Uint8Array): {
  tensors: Record<string, { dtype: string; shape: number[]; data: Float32Array }>;
  metadata: Record<string, string>;
} {
  if (bytes.length < 8)
    throw invalid('', `it is ${bytes.length} bytes long, shorter than its 8-byte header length.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    throw invalid(
      '',
      `its header says it is ${headerLength} bytes long, but the file holds ${bytes.length - 8} bytes after the length (truncated?).`,
    );
  }
  const n = Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw invalid('header', 'its header is not UTF-8 JSON.');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw invalid('header', 'its header is not a JSON object.');
  }
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: Record<string, { dtype: string; shape: number[]; data: Float32Array }> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw invalid('__metadata__', 'its __metadata__ is not an object.');
      }
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== 'string')
          throw invalid(
            `__metadata__.${key}`,
            `metadata "${key}" is ${describeValue(value)}, not text.`,
          );
        metadata[key] = value;
      }
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    const size = typeof dtype === 'string' ? DTYPE_BYTES[dtype] : undefined;
    if (size === undefined) {
      throw invalid(
        name,
        `tensor "${name}" has dtype ${describeValue(dtype)}; F32 and F16 are read.`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw invalid(
        name,
        `tensor "${name}" has shape ${describeValue(shape)}, not a list of sizes.`,
      );
    }
    const count = elements(shape as number[]);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[1] - offsets[0] !== count * size
    ) {
      throw invalid(
        name,
        `tensor "${name}" has data_offsets ${JSON.stringify(offsets)}, which do not span its ${count} ${dtype} values.`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) {
      throw invalid(
        name,
        `tensor "${name}" ends at byte ${end} of the data, but the file holds ${dataLength} (truncated?).`,
      );
    }
    const data = new Float32Array(count);
    const at = dataStart + begin;
    for (let i = 0; i < count; i++) {
      data[i] =
        size === 4
          ? view.getFloat32(at + 4 * i, true)
          : float16Value(view.getUint16(at + 2 * i, true));
    }
    tensors[name] = { dtype: dtype as string, shape: shape as number[], data };
  }
  return { tensors, metadata };
}

/** A named slice of a model's flat parameters (the library's ParameterLayout views fit). */
export interface ParameterSlice {
  name: string;
  offset: number;
  shape: readonly number[];
}

/**
 * A model's trained weights as safetensors, with the model settings, normalisation and steps as
 * JSON in `__metadata__` so the file alone says how to rebuild the model. With `slices` (the
 * model's parameter layout, which must tile the parameters in order) each layer's weights are a
 * tensor of its own shape; without, one flat tensor `params` in the worker's exportParams order.
 */
export function modelSafetensors(
  weights: ModelWeights,
  model: ModelSettings,
  slices?: readonly ParameterSlice[],
): Uint8Array {
  const { params } = weights;
  const tensors: Record<string, Tensor> = {};
  if (slices) {
    let offset = 0;
    for (const { name, offset: at, shape } of slices) {
      const length = elements(shape);
      if (at !== offset || offset + length > params.length) {
        throw new RangeError(
          `Parameter slice "${name}" does not continue the layout at ${offset}.`,
        );
      }
      tensors[name] = { shape: [...shape], data: params.subarray(offset, offset + length) };
      offset += length;
    }
    if (offset !== params.length) {
      throw new RangeError(`The layout covers ${offset} of ${params.length} parameters.`);
    }
  } else {
    tensors['params'] = { shape: [params.length], data: params };
  }
  return writeSafetensors(tensors, {
    format: 'flowfield',
    'flowfield.model': JSON.stringify(model),
    'flowfield.normalization': JSON.stringify(weights.normalization),
    'flowfield.steps': String(weights.steps),
    'flowfield.trainId': weights.trainId,
  });
}

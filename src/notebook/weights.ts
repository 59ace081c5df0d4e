/**
 * Trained weights that travel with a notebook (in a link or a file): one entry per Train cell,
 * its parameters as the flat Float32Array of the worker's exportParams. The codec does not need
 * to know model layouts; it checks what it can (ids, counts, finite normalisation).
 */
import { FLOAT16_MAX } from './binary';
import { NotebookError, describeValue } from './errors';
import { TRAIN_LIMITS } from './limits';
import type { ImageSetData } from './image-files-data';
import type { Notebook } from './schema';

export interface ModelWeights {
  /** The Train cell that produced them. */
  trainId: string;
  /** Training steps taken. */
  steps: number;
  params: Float32Array;
  /** The data normalisation the model was trained under (x_model = (x − shift) / scale). */
  normalization: { shift: [number, number]; scale: [number, number] };
}

export interface SharePayload {
  notebook: Notebook;
  weights: ModelWeights[];
  /** Files only: the pixels of the user's image sets the notebook references (by hash). */
  imageSets?: ImageSetData[];
}

/** Most parameters of one model a link or file may carry (16 MB as float32). */
export const MAX_PARAMS = 4_000_000;

/** What a link or file says about one model's weights, before its numbers are read. */
export interface WeightsHeader {
  trainId: string;
  steps: number;
  count: number;
  normalization: ModelWeights['normalization'];
}

function bad(path: string, expected: string, value: unknown): never {
  throw new NotebookError(
    'weights',
    path,
    `${path}: expected ${expected}, received ${describeValue(value)}.`,
  );
}

function pair(value: unknown, path: string, positive: boolean): [number, number] {
  const expected = positive ? 'two positive finite numbers' : 'two finite numbers';
  if (!Array.isArray(value) || value.length !== 2) bad(path, expected, value);
  return value.map((v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) {
      bad(`${path}[${i}]`, expected, v);
    }
    return v;
  }) as [number, number];
}

/** A file's or link's `weights`: a list, or a NotebookError saying what came instead. */
export function listOfWeights(raw: unknown): unknown[] {
  if (!Array.isArray(raw)) {
    throw new NotebookError(
      'weights',
      'weights',
      `weights: expected a list, received ${describeValue(raw)}.`,
    );
  }
  return raw as unknown[];
}

/**
 * Checks one weights entry's metadata at `path` (e.g. `weights[0]`): its Train cell exists in
 * `notebook` and is not already used by an earlier entry (`seen`), steps and count are in range.
 */
export function checkWeightsHeader(
  value: unknown,
  path: string,
  notebook: Notebook,
  seen: Set<string>,
  count: unknown,
): WeightsHeader {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    bad(path, 'an object', value);
  }
  const w = value as Record<string, unknown>;
  const trainId = w['trainId'];
  const trainIds = notebook.cells.filter((c) => c.kind === 'train').map((c) => c.id);
  if (typeof trainId !== 'string' || !trainIds.includes(trainId)) {
    bad(`${path}.trainId`, `the id of a Train cell (${trainIds.join(', ') || 'none'})`, trainId);
  }
  if (seen.has(trainId)) bad(`${path}.trainId`, 'one weights entry per Train cell', trainId);
  seen.add(trainId);
  const steps = w['steps'];
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 0) {
    bad(`${path}.steps`, 'a whole number of steps ≥ 0', steps);
  }
  if (steps > TRAIN_LIMITS.steps.max)
    bad(`${path}.steps`, `at most ${TRAIN_LIMITS.steps.max}`, steps);
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > MAX_PARAMS) {
    bad(`${path}.count`, `a parameter count from 0 to ${MAX_PARAMS.toLocaleString('en')}`, count);
  }
  const n = w['normalization'];
  if (typeof n !== 'object' || n === null) bad(`${path}.normalization`, '{ shift, scale }', n);
  const normalization = {
    shift: pair((n as Record<string, unknown>)['shift'], `${path}.normalization.shift`, false),
    scale: pair((n as Record<string, unknown>)['scale'], `${path}.normalization.scale`, true),
  };
  return { trainId, steps, count, normalization };
}

/** True when float16 can hold every value (finite, |x| ≤ 65504); else a link stores float32. */
export function fitsFloat16(params: Float32Array): boolean {
  for (const x of params) if (!(Math.abs(x) <= FLOAT16_MAX)) return false;
  return true;
}

/**
 * The largest |decoded − x| a float16 link can cause for these values. Rounding to nearest with
 * 11 significant bits errs by at most half a unit in the last place: ≤ 2^−11·|x| for normal
 * values (|x| ≥ 2^−14) and ≤ 2^−25 in the subnormal range. Values float16 cannot hold (|x| >
 * 65504, ∞, NaN) are never rounded: a model with any such value travels as exact float32, so its
 * bound is 0.
 */
export function maxQuantizationError(params: Float32Array): number {
  if (!fitsFloat16(params)) return 0;
  let bound = 0;
  for (const x of params)
    bound = Math.max(bound, Math.abs(x) >= 2 ** -14 ? Math.abs(x) * 2 ** -11 : 2 ** -25);
  return bound;
}

/**
 * Dataset specs: small serialisable descriptions (the notebook puts them in URLs), validated with
 * errors that name the field and the allowed range. One of
 *   { name: 'moons', params?: { noise: 0.1 }, seed?: 1 }
 *   { points: [x0, y0, x1, y1, …] | Float32Array | [[x, y], …], jitter?: 0.05, seed? }
 *   { grid: { width, height, weights, bounds: [xMin, yMin, xMax, yMax] }, seed? }
 * each with an optional normalize: 'per-axis' (default) | 'isotropic' | 'none'.
 * `seed` is the default Philox seed of sample() and of trainers; it does not change the density.
 */
import { BUILTINS, BUILTIN_NAMES, isBuiltinName, type BuiltinName } from './builtins';
import { DatasetSpecError, shown } from './errors';
import type { GridSpec } from './grid';
import { NORMALIZATION_MODES, type NormalizationMode } from './normalize';
import { resolveParams, type ParamValue } from './params';

interface CommonSpec {
  /** Default sampling seed: an integer in [0, 2^53). Default 0. */
  seed?: number;
  normalize?: NormalizationMode;
}

export interface BuiltinDatasetSpec extends CommonSpec {
  name: BuiltinName;
  params?: Readonly<Record<string, ParamValue>>;
}

export interface PointsDatasetSpec extends CommonSpec {
  points: Float32Array | readonly number[] | readonly (readonly number[])[];
  /** Standard deviation of Gaussian noise added to each draw. Default 0. */
  jitter?: number;
}

export interface GridDatasetSpec extends CommonSpec {
  grid: GridSpec;
}

export type DatasetSpec = BuiltinDatasetSpec | PointsDatasetSpec | GridDatasetSpec;

/** A validated spec with every default filled in. */
export type ResolvedSpec =
  | {
      kind: 'builtin';
      name: BuiltinName;
      params: Record<string, ParamValue>;
      seed: number;
      normalize: NormalizationMode;
    }
  | { kind: 'points'; points: unknown; jitter: number; seed: number; normalize: NormalizationMode }
  | { kind: 'grid'; grid: unknown; seed: number; normalize: NormalizationMode };

const COMMON_FIELDS = ['seed', 'normalize'];
const FIELDS: Record<ResolvedSpec['kind'], string[]> = {
  builtin: ['name', 'params', ...COMMON_FIELDS],
  points: ['points', 'jitter', ...COMMON_FIELDS],
  grid: ['grid', ...COMMON_FIELDS],
};

export function checkSeed(seed: unknown, field = 'seed'): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new DatasetSpecError(
      field,
      `${field} must be an integer in [0, 2^53), got ${shown(seed)}.`,
    );
  }
  return seed;
}

/** Checks the shape of a spec and fills defaults; payloads (points, grid) are checked by their sources. */
export function resolveSpec(spec: unknown): ResolvedSpec {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new DatasetSpecError(
      'spec',
      'A dataset spec must be an object: { name, params?, seed? }, { points, jitter? } or { grid }.',
    );
  }
  const s = spec as Record<string, unknown>;
  const kinds = (['name', 'points', 'grid'] as const).filter((key) => s[key] !== undefined);
  if (kinds.length !== 1) {
    throw new DatasetSpecError(
      kinds.length === 0 ? 'name' : kinds.join('+'),
      kinds.length === 0
        ? `A dataset spec needs one of 'name' (${BUILTIN_NAMES.join(', ')}), 'points' or 'grid'.`
        : `A dataset spec takes exactly one of 'name', 'points' or 'grid', got ${kinds.join(' and ')}.`,
    );
  }
  const kind = kinds[0] === 'name' ? 'builtin' : kinds[0]!;
  for (const key of Object.keys(s)) {
    if (!FIELDS[kind].includes(key) && s[key] !== undefined) {
      throw new DatasetSpecError(
        key,
        `Unknown field '${key}' in a ${kind === 'builtin' ? 'built-in' : kind} dataset spec; ` +
          `allowed fields: ${FIELDS[kind].join(', ')}.`,
      );
    }
  }
  const seed = s.seed === undefined ? 0 : checkSeed(s.seed);
  const normalize = (s.normalize ?? 'per-axis') as NormalizationMode;
  if (!NORMALIZATION_MODES.includes(normalize)) {
    throw new DatasetSpecError(
      'normalize',
      `normalize must be one of ${NORMALIZATION_MODES.map((m) => `'${m}'`).join(', ')}, ` +
        `got ${JSON.stringify(s.normalize)}.`,
    );
  }
  if (kind === 'builtin') {
    if (!isBuiltinName(s.name)) {
      throw new DatasetSpecError(
        'name',
        `Unknown dataset name ${JSON.stringify(s.name)}; the built-in datasets are ` +
          `${BUILTIN_NAMES.join(', ')} (or pass { points } or { grid }).`,
      );
    }
    const params = resolveParams(s.name, BUILTINS[s.name].params, s.params);
    return { kind, name: s.name, params, seed, normalize };
  }
  if (kind === 'points') {
    return { kind, points: s.points, jitter: (s.jitter ?? 0) as number, seed, normalize };
  }
  return { kind, grid: s.grid, seed, normalize };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON-safe copy of a spec (typed arrays become plain arrays; JSON.stringify then works). */
export function specToJSON(spec: DatasetSpec): Json {
  const plain = (value: unknown): Json => {
    if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
    if (Array.isArray(value)) return value.map(plain);
    if (value !== null && typeof value === 'object') {
      const out: Record<string, Json> = {};
      for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = plain(v);
      return out;
    }
    return value as Json;
  };
  return plain(spec);
}

/**
 * Parameter schemas of the built-in datasets: every field has a default and an allowed range,
 * and validation errors name the field, the range and the dataset.
 */
import { DatasetSpecError, shown } from './errors';

export type ParamValue = number | readonly number[] | readonly (readonly number[])[];
export type ParamValues = Readonly<Record<string, ParamValue>>;

export type ParamSchema =
  | {
      kind: 'number' | 'integer';
      default: number;
      min: number;
      max: number;
      /** The minimum itself is not allowed (e.g. a standard deviation must be > 0). */
      minExclusive?: boolean;
      doc: string;
    }
  | { kind: 'vec2'; default: readonly [number, number]; limit: number; doc: string }
  | {
      kind: 'spd2';
      default: readonly [readonly [number, number], readonly [number, number]];
      limit: number;
      doc: string;
    };

export function describeRange(schema: ParamSchema): string {
  switch (schema.kind) {
    case 'number':
      return `a number in ${schema.minExclusive ? '(' : '['}${schema.min}, ${schema.max}]`;
    case 'integer':
      return `an integer in [${schema.min}, ${schema.max}]`;
    case 'vec2':
      return `a pair [x, y] of numbers in [-${schema.limit}, ${schema.limit}]`;
    case 'spd2':
      return (
        `a symmetric positive-definite 2×2 matrix [[a, b], [b, c]] with entries in ` +
        `[-${schema.limit}, ${schema.limit}]`
      );
  }
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Validates one parameter and returns its value (copied, so specs stay immutable). */
export function checkParam(
  dataset: string,
  field: string,
  schema: ParamSchema,
  value: unknown,
): ParamValue {
  const fail = (): never => {
    throw new DatasetSpecError(
      `params.${field}`,
      `params.${field} of dataset '${dataset}' must be ${describeRange(schema)}, got ${shown(value)}.`,
    );
  };
  switch (schema.kind) {
    case 'number':
    case 'integer': {
      if (!isNumber(value)) return fail();
      if (schema.kind === 'integer' && !Number.isInteger(value)) return fail();
      if (value < schema.min || value > schema.max) return fail();
      if (schema.minExclusive && value === schema.min) return fail();
      return value;
    }
    case 'vec2': {
      if (!Array.isArray(value) || value.length !== 2) return fail();
      const [x, y] = value as unknown[];
      if (!isNumber(x) || !isNumber(y)) return fail();
      if (Math.abs(x) > schema.limit || Math.abs(y) > schema.limit) return fail();
      return [x, y];
    }
    case 'spd2': {
      if (!Array.isArray(value) || value.length !== 2) return fail();
      const rows = value as unknown[];
      if (!rows.every((row) => Array.isArray(row) && row.length === 2)) return fail();
      const [[a, b], [c, d]] = rows as unknown[][] as [unknown[], unknown[]];
      if (![a, b, c, d].every((entry) => isNumber(entry) && Math.abs(entry) <= schema.limit)) {
        return fail();
      }
      const [sxx, sxy, syx, syy] = [a, b, c, d] as number[] as [number, number, number, number];
      if (sxy !== syx) {
        throw new DatasetSpecError(
          `params.${field}`,
          `params.${field} of dataset '${dataset}' must be symmetric, got ${shown(value)} ` +
            `(off-diagonal entries ${sxy} and ${syx} differ).`,
        );
      }
      // Positive definite with a margin, so the Cholesky factor and inverse stay accurate in f32.
      const det = sxx * syy - sxy * sxy;
      if (!(sxx > 0 && det > 1e-9 * Math.max(1, sxx * syy))) {
        throw new DatasetSpecError(
          `params.${field}`,
          `params.${field} of dataset '${dataset}' must be positive definite ` +
            `(a > 0 and a·c − b² > 0), got ${shown(value)} with determinant ${det}.`,
        );
      }
      return [
        [sxx, sxy],
        [sxy, syy],
      ];
    }
  }
}

/** Fills defaults, validates every given field and rejects unknown ones. */
export function resolveParams(
  dataset: string,
  schemas: Readonly<Record<string, ParamSchema>>,
  given: unknown,
): Record<string, ParamValue> {
  if (
    given !== undefined &&
    (given === null || typeof given !== 'object' || Array.isArray(given))
  ) {
    throw new DatasetSpecError(
      'params',
      `params of dataset '${dataset}' must be an object, got ${shown(given)}.`,
    );
  }
  const entries = (given ?? {}) as Record<string, unknown>;
  const allowed = Object.keys(schemas);
  for (const field of Object.keys(entries)) {
    if (!(field in schemas)) {
      throw new DatasetSpecError(
        `params.${field}`,
        `Dataset '${dataset}' has no parameter '${field}'; ` +
          (allowed.length > 0 ? `its parameters are ${allowed.join(', ')}.` : 'it has none.'),
      );
    }
  }
  const resolved: Record<string, ParamValue> = {};
  for (const [field, schema] of Object.entries(schemas)) {
    const value = entries[field];
    resolved[field] =
      value === undefined ? schema.default : checkParam(dataset, field, schema, value);
  }
  return resolved;
}

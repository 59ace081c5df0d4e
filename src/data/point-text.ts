/**
 * What the point-set parsers share: the character codes they scan for, the decimal-number
 * grammar, a growable coordinate buffer, the limits and the "too many points" error.
 */
import { PointParseError } from './errors';

/** Most points a point set may hold. */
export const MAX_POINTS = 1_000_000;

export interface ParsePointsOptions {
  /** Columns to read (0-based); default [0, 1] with exactly two columns required. */
  columns?: readonly [number, number];
  /** Most points accepted; default MAX_POINTS. */
  maxPoints?: number;
  /** Most issues reported in the error; default 20 (all bad lines are still counted). */
  maxIssues?: number;
}

export const enum Char {
  Tab = 9,
  LineFeed = 10,
  Return = 13,
  Space = 32,
  Quote = 34,
  Hash = 35,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  Semicolon = 59,
  UpperE = 69,
  LeftBracket = 91,
  Backslash = 92,
  RightBracket = 93,
  LowerE = 101,
  LeftBrace = 123,
  RightBrace = 125,
}

/** End of a decimal number starting at `start` (JSON-like grammar, leading '+' and '.5' allowed), or -1. */
export function scanNumber(text: string, start: number, end: number): number {
  let i = start;
  let c = text.charCodeAt(i);
  if (c === Char.Plus || c === Char.Minus) c = text.charCodeAt(++i);
  let digits = 0;
  while (i < end && c >= Char.Zero && c <= Char.Nine) {
    digits++;
    c = text.charCodeAt(++i);
  }
  if (i < end && c === Char.Dot) {
    c = text.charCodeAt(++i);
    while (i < end && c >= Char.Zero && c <= Char.Nine) {
      digits++;
      c = text.charCodeAt(++i);
    }
  }
  if (digits === 0) return -1;
  if (i < end && (c === Char.LowerE || c === Char.UpperE)) {
    c = text.charCodeAt(++i);
    if (c === Char.Plus || c === Char.Minus) c = text.charCodeAt(++i);
    let exponent = 0;
    while (i < end && c >= Char.Zero && c <= Char.Nine) {
      exponent++;
      c = text.charCodeAt(++i);
    }
    if (exponent === 0) return -1;
  }
  return i;
}

/** A growable Float32Array of coordinates. */
export class Coordinates {
  private data: Float32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Float32Array(Math.max(16, capacity));
  }
  push(x: number, y: number): void {
    if (this.length + 2 > this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = x;
    this.data[this.length++] = y;
  }
  finish(): Float32Array {
    return this.data.slice(0, this.length);
  }
}

export function quote(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return `'${short}'`;
}

export interface Limits {
  maxPoints: number;
  maxIssues: number;
}

export function limitsOf(options: ParsePointsOptions): Limits {
  const maxPoints = options.maxPoints ?? MAX_POINTS;
  if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_POINTS) {
    throw new RangeError(`maxPoints must be an integer in [1, ${MAX_POINTS}], got ${maxPoints}.`);
  }
  return { maxPoints, maxIssues: options.maxIssues ?? 20 };
}

export function tooMany(line: number, maxPoints: number): PointParseError {
  return new PointParseError(
    [
      {
        line,
        message: `more than ${maxPoints} points; Flowfield keeps at most ${maxPoints} (subsample the file).`,
      },
    ],
    1,
  );
}

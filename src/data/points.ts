/**
 * Point sets: parsing CSV / TSV / whitespace text or a JSON array of pairs into a flat
 * Float32Array (x0, y0, x1, y1, …), with line-numbered errors; and the PointSet density source
 * (sampling with replacement plus optional Gaussian jitter). Pure TypeScript: runs in Node too.
 *
 * Text rules: one point per line; fields separated by commas, semicolons, tabs or spaces;
 * empty lines and lines starting with '#' or '//' are skipped; a first line without any number
 * (e.g. "x,y") is taken as a header. Numbers are decimal (1, -2.5, .5, 1e-3); NaN, Infinity and
 * hexadecimal are rejected.
 */
import type { Bounds } from './builtins';
import type { PointDraws } from './draws';
import { DatasetSpecError, PointParseError, type PointParseIssue } from './errors';
import type { Moments } from './grid';

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

const enum Char {
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
function scanNumber(text: string, start: number, end: number): number {
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
class Coordinates {
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

function quote(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return `'${short}'`;
}

interface Limits {
  maxPoints: number;
  maxIssues: number;
}

function limitsOf(options: ParsePointsOptions): Limits {
  const maxPoints = options.maxPoints ?? MAX_POINTS;
  if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_POINTS) {
    throw new RangeError(`maxPoints must be an integer in [1, ${MAX_POINTS}], got ${maxPoints}.`);
  }
  return { maxPoints, maxIssues: options.maxIssues ?? 20 };
}

function tooMany(line: number, maxPoints: number): PointParseError {
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

/**
 * Parses points from text: a JSON array of pairs when the first non-blank character is '[',
 * otherwise CSV/TSV/whitespace lines. Throws PointParseError listing bad lines.
 */
export function parsePoints(text: string, options: ParsePointsOptions = {}): Float32Array {
  const first = text.search(/\S/);
  if (first >= 0 && text.charCodeAt(first) === Char.LeftBracket) {
    return parseJsonPoints(text, options);
  }
  return parseDelimitedPoints(text, options);
}

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The value of text[start, end) when it is exactly one decimal number (scanNumber's grammar),
 * else NaN. Up to 15 significant digits and |exponent| ≤ 22 take Clinger's fast path (one exact
 * multiplication or division: the correctly rounded double, as Number() gives); the rest Number().
 */
export function readNumber(text: string, start: number, end: number): number {
  let i = start;
  let c = text.charCodeAt(i);
  let negative = false;
  if (c === Char.Plus || c === Char.Minus) {
    negative = c === Char.Minus;
    c = text.charCodeAt(++i);
  }
  let mantissa = 0;
  let digits = 0;
  let significant = 0;
  let scale = 0;
  while (i < end && c >= Char.Zero && c <= Char.Nine) {
    if (significant > 0 || c !== Char.Zero) significant++;
    mantissa = mantissa * 10 + (c - Char.Zero);
    digits++;
    c = text.charCodeAt(++i);
  }
  if (i < end && c === Char.Dot) {
    c = text.charCodeAt(++i);
    while (i < end && c >= Char.Zero && c <= Char.Nine) {
      if (significant > 0 || c !== Char.Zero) significant++;
      mantissa = mantissa * 10 + (c - Char.Zero);
      digits++;
      scale--;
      c = text.charCodeAt(++i);
    }
  }
  if (digits === 0) return NaN;
  if (i < end && (c === Char.LowerE || c === Char.UpperE)) {
    c = text.charCodeAt(++i);
    let exponentNegative = false;
    if (c === Char.Plus || c === Char.Minus) {
      exponentNegative = c === Char.Minus;
      c = text.charCodeAt(++i);
    }
    let exponent = 0;
    let exponentDigits = 0;
    while (i < end && c >= Char.Zero && c <= Char.Nine) {
      exponent = Math.min(exponent * 10 + (c - Char.Zero), 1e6);
      exponentDigits++;
      c = text.charCodeAt(++i);
    }
    if (exponentDigits === 0) return NaN;
    scale += exponentNegative ? -exponent : exponent;
  }
  if (i !== end) return NaN;
  let value: number;
  if (significant <= 15 && scale >= -22 && scale <= 22) {
    value = scale >= 0 ? mantissa * POWERS_OF_TEN[scale]! : mantissa / POWERS_OF_TEN[-scale]!;
    if (negative) value = -value;
  } else {
    value = Number(text.slice(start, end));
  }
  return Number.isFinite(value) ? value : NaN;
}

/** Field positions of one line (the first TRACKED fields; more are only counted). */
const TRACKED = 16;

/** CSV / TSV / whitespace-separated text, one point per line. */
export function parseDelimitedPoints(text: string, options: ParsePointsOptions = {}): Float32Array {
  const { maxPoints, maxIssues } = limitsOf(options);
  const columns = options.columns ?? [0, 1];
  const strictWidth = options.columns === undefined;
  const needed = Math.max(columns[0], columns[1]) + 1;
  if (
    !columns.every((c) => Number.isInteger(c) && c >= 0 && c < TRACKED) ||
    columns[0] === columns[1]
  ) {
    throw new RangeError(
      `columns must be two different column indices in [0, ${TRACKED}), got [${columns.join(', ')}].`,
    );
  }
  const out = new Coordinates(Math.min(2 * maxPoints, Math.ceil(text.length / 4)));
  const issues: PointParseIssue[] = [];
  let badLines = 0;
  let points = 0;
  let seenContent = false;
  const starts = new Int32Array(TRACKED);
  const ends = new Int32Array(TRACKED);
  const length = text.length;
  let pos = 0;
  let line = 0;
  while (pos <= length) {
    line++;
    let lineEnd = text.indexOf('\n', pos);
    if (lineEnd < 0) lineEnd = length;
    const next = lineEnd + 1;
    let end = lineEnd;
    if (end > pos && text.charCodeAt(end - 1) === Char.Return) end--;
    // Split into fields: separators are runs of spaces/tabs holding at most one ',' or ';'.
    let fields = 0;
    let malformed = false;
    let i = pos;
    while (i < end) {
      let c = text.charCodeAt(i);
      let delimiters = 0;
      while (
        i < end &&
        (c === Char.Space ||
          c === Char.Tab ||
          ((c === Char.Comma || c === Char.Semicolon) && fields > 0))
      ) {
        if (c === Char.Comma || c === Char.Semicolon) delimiters++;
        c = text.charCodeAt(++i);
      }
      if (delimiters > 1) malformed = true;
      if (i >= end) {
        if (delimiters > 0) malformed = true; // a trailing comma: an empty last field
        break;
      }
      const start = i;
      while (
        i < end &&
        c !== Char.Space &&
        c !== Char.Tab &&
        c !== Char.Comma &&
        c !== Char.Semicolon
      ) {
        c = text.charCodeAt(++i);
      }
      if (start === i) {
        malformed = true; // a leading comma
        i++;
        continue;
      }
      if (fields < TRACKED) {
        starts[fields] = start;
        ends[fields] = i;
      }
      fields++;
    }
    if (fields === 0 && !malformed) {
      pos = next;
      continue; // blank line
    }
    const first = fields > 0 ? starts[0]! : pos;
    const firstCode = text.charCodeAt(first);
    if (
      firstCode === Char.Hash ||
      (firstCode === Char.Slash && text.charCodeAt(first + 1) === Char.Slash)
    ) {
      pos = next;
      continue; // comment
    }
    if (!seenContent) {
      seenContent = true;
      let anyNumber = false;
      for (let f = 0; f < Math.min(fields, TRACKED); f++) {
        if (!Number.isNaN(readNumber(text, starts[f]!, ends[f]!))) anyNumber = true;
      }
      if (!anyNumber && !malformed) {
        pos = next;
        continue; // a header such as "x,y"
      }
    }
    let message: string | undefined;
    if (malformed) {
      message = `expected two numbers, got ${quote(text.slice(pos, end).trim())} (an empty field)`;
    } else if (strictWidth ? fields !== 2 : fields < needed) {
      const lineText = quote(text.slice(pos, end).trim());
      message =
        fields === 1
          ? `expected two numbers, got ${lineText}`
          : strictWidth
            ? `expected two numbers, got ${lineText} (${fields} fields` +
              (fields > 2 ? '; pass columns: [i, j] to pick two)' : ')')
            : `expected two numbers, got ${lineText} (${fields} fields, column ${needed - 1} needed)`;
    } else {
      const x = readNumber(text, starts[columns[0]]!, ends[columns[0]]!);
      const y = readNumber(text, starts[columns[1]]!, ends[columns[1]]!);
      const bad =
        Number.isNaN(x) || !Number.isFinite(Math.fround(x))
          ? columns[0]
          : Number.isNaN(y) || !Number.isFinite(Math.fround(y))
            ? columns[1]
            : -1;
      if (bad >= 0) {
        const field = text.slice(starts[bad], ends[bad]);
        const lineText = text.slice(pos, end).trim();
        message =
          fields === 1 || field === lineText
            ? `expected two numbers, got ${quote(field)}`
            : `expected two numbers, got ${quote(lineText)} (${quote(field)} is not a finite number)`;
      } else {
        if (points >= maxPoints) throw tooMany(line, maxPoints);
        out.push(x, y);
        points++;
      }
    }
    if (message !== undefined) {
      badLines++;
      if (issues.length < maxIssues) issues.push({ line, message });
    }
    pos = next;
  }
  if (badLines > 0) throw new PointParseError(issues, badLines);
  if (points === 0) {
    throw new PointParseError(
      [{ line: Math.max(1, line), message: 'no points found (expected lines like "0.5, -1.2")' }],
      1,
    );
  }
  return out.finish();
}

/**
 * A JSON array of pairs, [[x0, y0], [x1, y1], …]. Syntax errors stop the parse and name the line;
 * elements that are not two finite numbers are each reported with their line.
 */
export function parseJsonPoints(text: string, options: ParsePointsOptions = {}): Float32Array {
  const { maxPoints, maxIssues } = limitsOf(options);
  const parser = new JsonScanner(text);
  const issues: PointParseIssue[] = [];
  let badLines = 0;
  const out = new Coordinates(Math.min(2 * maxPoints, Math.ceil(text.length / 8)));
  let points = 0;
  try {
    parser.skipSpace();
    parser.expect(Char.LeftBracket, "'[' to start the array of points");
    parser.skipSpace();
    if (parser.peek() === Char.RightBracket) {
      parser.pos++;
    } else {
      for (;;) {
        parser.skipSpace();
        const line = parser.line;
        const start = parser.pos;
        const value = parser.value();
        const pair =
          Array.isArray(value) &&
          value.length === 2 &&
          value.every((v) => typeof v === 'number' && Number.isFinite(Math.fround(v)));
        if (pair) {
          if (points >= maxPoints) throw tooMany(line, maxPoints);
          out.push(value[0] as number, value[1] as number);
          points++;
        } else {
          badLines++;
          if (issues.length < maxIssues) {
            issues.push({
              line,
              message: `expected a pair of two numbers [x, y], got ${quote(text.slice(start, parser.pos))}`,
            });
          }
        }
        parser.skipSpace();
        const c = parser.peek();
        if (c === Char.Comma) {
          parser.pos++;
          continue;
        }
        parser.expect(Char.RightBracket, "',' or ']' after a point");
        break;
      }
    }
    parser.skipSpace();
    if (parser.pos < text.length) parser.fail('the end of the input after the closing ]');
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      badLines++;
      if (issues.length < maxIssues) issues.push({ line: error.line, message: error.message });
      throw new PointParseError(issues, badLines);
    }
    throw error;
  }
  if (badLines > 0) throw new PointParseError(issues, badLines);
  if (points === 0) {
    throw new PointParseError([{ line: 1, message: 'the JSON array holds no points' }], 1);
  }
  return out.finish();
}

class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** A small JSON reader that knows its line (JSON.parse reports no line in most browsers). */
class JsonScanner {
  pos = 0;
  line = 1;
  constructor(private readonly text: string) {}

  peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  skipSpace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === Char.LineFeed) this.line++;
      else if (c !== Char.Space && c !== Char.Tab && c !== Char.Return) return;
      this.pos++;
    }
  }

  fail(expected: string): never {
    const rest = this.text.slice(this.pos, this.pos + 20).split('\n')[0]!;
    const got = this.pos >= this.text.length ? 'the end of the input' : quote(rest);
    throw new JsonSyntaxError(this.line, `invalid JSON: expected ${expected}, got ${got}`);
  }

  expect(code: number, what: string): void {
    if (this.peek() !== code) this.fail(what);
    this.pos++;
  }

  value(): unknown {
    this.skipSpace();
    const c = this.peek();
    if (c === Char.LeftBracket) {
      this.pos++;
      const items: unknown[] = [];
      this.skipSpace();
      if (this.peek() === Char.RightBracket) {
        this.pos++;
        return items;
      }
      for (;;) {
        items.push(this.value());
        this.skipSpace();
        if (this.peek() === Char.Comma) {
          this.pos++;
          continue;
        }
        this.expect(Char.RightBracket, "',' or ']' in an array");
        return items;
      }
    }
    if (c === Char.LeftBrace) {
      this.pos++;
      const object: Record<string, unknown> = {};
      this.skipSpace();
      if (this.peek() === Char.RightBrace) {
        this.pos++;
        return object;
      }
      for (;;) {
        this.skipSpace();
        if (this.peek() !== Char.Quote) this.fail('a quoted key');
        const key = this.string();
        this.skipSpace();
        this.expect(Char.Colon, "':' after a key");
        object[key] = this.value();
        this.skipSpace();
        if (this.peek() === Char.Comma) {
          this.pos++;
          continue;
        }
        this.expect(Char.RightBrace, "',' or '}' in an object");
        return object;
      }
    }
    if (c === Char.Quote) return this.string();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    if (c === Char.Plus) this.fail('a value');
    const end = scanNumber(this.text, this.pos, this.text.length);
    if (end < 0) this.fail('a value');
    const number = Number(this.text.slice(this.pos, end));
    this.pos = end;
    return number;
  }

  string(): string {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (Number.isNaN(c) || c === Char.LineFeed) {
        this.pos = start;
        this.fail('a closed string');
      }
      this.pos++;
      if (c === Char.Backslash) this.pos++;
      else if (c === Char.Quote) break;
    }
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      this.pos = start;
      return this.fail('a valid string');
    }
  }
}

/** A point set as a density source: uniform choice with replacement, plus jitter·N(0, I). */
export class PointSet {
  readonly count: number;
  private constructor(
    /** x0, y0, x1, y1, … in data coordinates (f32, as the GPU holds them). */
    readonly points: Float32Array,
    /** Standard deviation of the Gaussian jitter (0: exact points). */
    readonly jitter: number,
  ) {
    this.count = points.length / 2;
  }

  /** Validates points (flat x0, y0, … or [[x, y], …]) and jitter; field names for errors. */
  static from(points: unknown, jitter: unknown = 0, field = 'points'): PointSet {
    let flat: Float32Array;
    if (points instanceof Float32Array || points instanceof Float64Array) {
      flat = Float32Array.from(points);
    } else if (Array.isArray(points) && points.length > 0 && Array.isArray(points[0])) {
      flat = new Float32Array(points.length * 2);
      points.forEach((pair: unknown, i) => {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new DatasetSpecError(
            `${field}[${i}]`,
            `${field}[${i}] must be a pair [x, y], got ${JSON.stringify(pair)}.`,
          );
        }
        flat[2 * i] = pair[0] as number;
        flat[2 * i + 1] = pair[1] as number;
      });
    } else if (Array.isArray(points)) {
      flat = Float32Array.from(points as number[]);
    } else {
      throw new DatasetSpecError(
        field,
        `${field} must be a Float32Array or an array of numbers x0, y0, x1, y1, … (or of pairs); ` +
          `parse text with parsePoints() first. Got ${typeof points}.`,
      );
    }
    if (flat.length === 0 || flat.length % 2 !== 0) {
      throw new DatasetSpecError(
        field,
        `${field} must hold an even, non-zero number of coordinates (x0, y0, x1, y1, …), got ${flat.length}.`,
      );
    }
    if (flat.length / 2 > MAX_POINTS) {
      throw new DatasetSpecError(
        field,
        `${field} holds ${flat.length / 2} points; at most ${MAX_POINTS} are allowed.`,
      );
    }
    for (let i = 0; i < flat.length; i++) {
      if (!Number.isFinite(flat[i]!)) {
        const raw = Array.isArray(points) ? 'given' : 'stored';
        throw new DatasetSpecError(
          field,
          `${field}: coordinate ${i} (point ${i >> 1}) must be a finite number (f32), ${raw} ${String(flat[i])}.`,
        );
      }
    }
    if (typeof jitter !== 'number' || !Number.isFinite(jitter) || jitter < 0 || jitter > 100) {
      throw new DatasetSpecError(
        'jitter',
        `jitter must be a number in [0, 100] (the std of the Gaussian noise added to each draw), got ${String(jitter)}.`,
      );
    }
    return new PointSet(flat, jitter);
  }

  /** Twin of sample_points in shaders/data/sample.wgsl. */
  sample(d: PointDraws): [number, number] {
    const j = d.choice(this.count);
    let x = this.points[2 * j]!;
    let y = this.points[2 * j + 1]!;
    if (this.jitter > 0) {
      const [n1, n2] = d.normal();
      x += this.jitter * n1;
      y += this.jitter * n2;
    }
    return [x, y];
  }

  /** Exact mean and variance of the sampling distribution (points plus jitter). */
  moments(): Moments {
    let mx = 0;
    let my = 0;
    for (let i = 0; i < this.count; i++) {
      mx += this.points[2 * i]!;
      my += this.points[2 * i + 1]!;
    }
    mx /= this.count;
    my /= this.count;
    let vx = 0;
    let vy = 0;
    for (let i = 0; i < this.count; i++) {
      vx += (this.points[2 * i]! - mx) ** 2;
      vy += (this.points[2 * i + 1]! - my) ** 2;
    }
    const j2 = this.jitter * this.jitter;
    return { mean: [mx, my], variance: [vx / this.count + j2, vy / this.count + j2] };
  }

  /** The points' bounding box, padded by 5% and 3 jitter standard deviations. */
  view(): Bounds {
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < this.count; i++) {
      x0 = Math.min(x0, this.points[2 * i]!);
      x1 = Math.max(x1, this.points[2 * i]!);
      y0 = Math.min(y0, this.points[2 * i + 1]!);
      y1 = Math.max(y1, this.points[2 * i + 1]!);
    }
    const pad = 0.05 * Math.max(x1 - x0, y1 - y0, 1e-6) + 3 * this.jitter;
    return [x0 - pad, y0 - pad, x1 + pad, y1 + pad];
  }
}

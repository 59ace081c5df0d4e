/**
 * Point sets: parsing CSV / TSV / whitespace text or a JSON array of pairs into a flat
 * Float32Array (x0, y0, x1, y1, …), with line-numbered errors (JSON: points-json.ts; the density
 * source: point-set.ts). Pure TypeScript: runs in Node too.
 *
 * Text rules: one point per line; fields separated by commas, semicolons, tabs or spaces;
 * empty lines and lines starting with '#' or '//' are skipped; a first line without any number
 * (e.g. "x,y") is taken as a header. Numbers are decimal (1, -2.5, .5, 1e-3); NaN, Infinity and
 * hexadecimal are rejected.
 */
import { PointParseError, type PointParseIssue } from './errors';
import { parseJsonPoints } from './points-json';
import { Char, Coordinates, limitsOf, quote, tooMany, type ParsePointsOptions } from './point-text';

export { MAX_POINTS, type ParsePointsOptions } from './point-text';
export { parseJsonPoints } from './points-json';

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

/**
 * Points as a JSON array of pairs, read by a small scanner that knows its line (JSON.parse
 * reports no line in most browsers), so each bad element is reported where it is.
 */
import { PointParseError, type PointParseIssue } from './errors';
import {
  Char,
  Coordinates,
  limitsOf,
  quote,
  scanNumber,
  tooMany,
  type ParsePointsOptions,
} from './point-text';

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

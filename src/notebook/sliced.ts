/**
 * JSON and bytes work on notebooks of up to 8 MiB, cut into slices with a task boundary between
 * them, so that opening or saving the largest valid notebook never blocks the page for long:
 * JSON.parse of 6.5 MiB alone took 80–200 ms on a busy 2-core machine. Results equal the
 * one-shot versions (JSON.parse, JSON.stringify, crc32); only the time is spread.
 */
import { crc32Update } from './binary';

/** Work per slice before the next task (ms). */
const SLICE_MS = 25;
/** Values whose JSON text fits in this many characters are parsed in one JSON.parse. */
const PIECE_CHARS = 256 * 1024;

/**
 * Resolves in a later task (a macrotask: the browser may paint and handle input first). A
 * MessageChannel message, not setTimeout, which browsers delay by 4 ms once nested.
 */
export function nextTask(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(undefined);
  });
}

/** Calls `nextTask` once `SLICE_MS` have passed since the last one. */
export class Slicer {
  private start = performance.now();
  constructor(private readonly sliceMs = SLICE_MS) {}

  async maybeYield(): Promise<void> {
    if (performance.now() - this.start < this.sliceMs) return;
    await nextTask();
    this.start = performance.now();
  }
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** JSON string contents that need no unescaping: no backslash, no control character. */
// eslint-disable-next-line no-control-regex
const PLAIN_STRING = /^[^\\\u0000-\u001f]*$/;

/**
 * JSON.parse(text), in slices: values whose text is at most `pieceChars` long are parsed
 * natively; larger arrays and objects are walked member by member. Malformed text throws the
 * SyntaxError JSON.parse gives.
 */
export async function parseJsonSliced(
  text: string,
  options: { pieceChars?: number; sliceMs?: number } = {},
): Promise<unknown> {
  const piece = options.pieceChars ?? PIECE_CHARS;
  const slicer = new Slicer(options.sliceMs);
  const fail = (): never => {
    JSON.parse(text); // throws the native message for malformed text
    throw new SyntaxError('Unexpected JSON structure.');
  };
  const skip = (i: number): number => {
    while (i < text.length && WHITESPACE.has(text.charCodeAt(i))) i++;
    return i;
  };
  /** The index after the string starting at `i` (a '"'). */
  const stringEnd = (i: number): number => {
    // indexOf, not a loop over characters: a file's base64 weights are one string of tens of
    // megabytes, which a character loop crossed in about a second on a busy machine.
    for (let j = text.indexOf('"', i + 1); j >= 0; j = text.indexOf('"', j + 1)) {
      let backslashes = 0;
      while (text.charCodeAt(j - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 0) return j + 1; // an even run of backslashes escapes itself
    }
    return fail();
  };
  /** The index after the value starting at `i`, if it ends within `piece` characters, else -1. */
  const endWithin = (i: number): number => {
    const c = text.charCodeAt(i);
    const limit = Math.min(text.length, i + piece);
    if (c !== 0x7b && c !== 0x5b) {
      // A number or literal: parsed whole, however long.
      let j = i;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if (d === 0x2c || d === 0x7d || d === 0x5d || WHITESPACE.has(d)) break;
        j++;
      }
      return j;
    }
    let depth = 0;
    for (let j = i; j < limit; j++) {
      const d = text.charCodeAt(j);
      if (d === 0x22) j = stringEnd(j) - 1;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  };
  const set = (target: Record<string, unknown>, key: string, value: unknown) =>
    // As JSON.parse does: an own property even for "__proto__".
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });

  const parseAt = async (start: number): Promise<[unknown, number]> => {
    const i = skip(start);
    if (i >= text.length) return fail();
    await slicer.maybeYield();
    const first = text.charCodeAt(i);
    if (first === 0x22) {
      const end = stringEnd(i);
      // A string with nothing to unescape (no backslash, no control character, which JSON.parse
      // would refuse) is its own value: base64 payloads of megabytes are not parsed again.
      const raw = text.slice(i + 1, end - 1);
      return [PLAIN_STRING.test(raw) ? raw : JSON.parse(text.slice(i, end)), end];
    }
    const end = endWithin(i);
    if (end >= 0) return [JSON.parse(text.slice(i, end)), end];
    if (first === 0x5b) {
      const list: unknown[] = [];
      let j = skip(i + 1);
      if (text.charCodeAt(j) === 0x5d) return [list, j + 1];
      for (;;) {
        const [value, after] = await parseAt(j);
        list.push(value);
        j = skip(after);
        const c = text.charCodeAt(j);
        if (c === 0x5d) return [list, j + 1];
        if (c !== 0x2c) return fail();
        j++;
      }
    }
    if (first === 0x7b) {
      const object: Record<string, unknown> = {};
      let j = skip(i + 1);
      if (text.charCodeAt(j) === 0x7d) return [object, j + 1];
      for (;;) {
        j = skip(j);
        if (text.charCodeAt(j) !== 0x22) return fail();
        const keyEnd = stringEnd(j);
        const key = JSON.parse(text.slice(j, keyEnd)) as string;
        j = skip(keyEnd);
        if (text.charCodeAt(j) !== 0x3a) return fail();
        const [value, after] = await parseAt(j + 1);
        set(object, key, value);
        j = skip(after);
        const c = text.charCodeAt(j);
        if (c === 0x7d) return [object, j + 1];
        if (c !== 0x2c) return fail();
        j++;
      }
    }
    return fail();
  };
  const [value, end] = await parseAt(0);
  if (skip(end) !== text.length) return fail();
  return value;
}

/**
 * JSON.stringify(value) for a plain JSON value (no toJSON, no cycles), sliced by the elements of
 * arrays at its top two levels: a notebook is written cell by cell.
 */
export async function stringifySliced(value: unknown, sliceMs?: number): Promise<string> {
  const slicer = new Slicer(sliceMs);
  const list = async (items: readonly unknown[]): Promise<string> => {
    const parts: string[] = [];
    for (const item of items) {
      parts.push(JSON.stringify(item) ?? 'null');
      await slicer.maybeYield();
    }
    return `[${parts.join(',')}]`;
  };
  if (Array.isArray(value)) return list(value);
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const parts: string[] = [];
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol')
      continue;
    const text = Array.isArray(member) ? await list(member) : JSON.stringify(member);
    parts.push(`${JSON.stringify(key)}:${text}`);
    await slicer.maybeYield();
  }
  return `{${parts.join(',')}}`;
}

/** crc32(bytes), a megabyte per slice. */
export async function crc32Sliced(bytes: Uint8Array, sliceMs?: number): Promise<number> {
  const slicer = new Slicer(sliceMs);
  let state = 0xffffffff;
  const step = 1 << 20;
  for (let at = 0; at < bytes.length; at += step) {
    state = crc32Update(state, bytes.subarray(at, at + step));
    await slicer.maybeYield();
  }
  return (state ^ 0xffffffff) >>> 0;
}

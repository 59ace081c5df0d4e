/**
 * Arrays across the worker boundary, shared by the GPU and the CPU services: results leave as
 * transferred buffers (no copy), point arguments are checked before use.
 */
import { transfer } from 'comlink';

/** `array`, marked for transfer: the page receives its buffer without a copy. */
export function transferred<T extends ArrayBufferView>(array: T): T {
  return transfer(array, [array.buffer as ArrayBuffer]);
}

/** `points` when it is a Float32Array of (x, y) pairs; otherwise a TypeError naming `what`. */
export function floats(points: unknown, what: string): Float32Array {
  if (!(points instanceof Float32Array)) {
    throw new TypeError(
      `${what} must be a Float32Array of (x, y) pairs, got ${Object.prototype.toString.call(points)}.`,
    );
  }
  return points;
}

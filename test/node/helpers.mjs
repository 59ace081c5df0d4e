// Small helpers of the Node-side checks (test/node/run.mjs).
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';

/** Throws `message` (what was expected, what was found) unless `condition` holds. */
export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** `promise`, or a rejection naming `what` after `ms` milliseconds. */
export function pageTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Evaluates `probe` in `page` every 100 ms until it returns a truthy value (returned) or `ms`
 * pass (rejects naming `what`). An exception in `probe` rejects at once.
 */
export async function until(page, ms, what, probe, ...args) {
  const start = performance.now();
  for (;;) {
    const value = await page.evaluate(probe, ...args);
    if (value) return value;
    if (performance.now() - start > ms) throw new Error(`timed out after ${ms / 1000} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starting the worker in tests, and small helpers for what tests do with it. */
import { transfer, type Remote } from 'comlink';
import type { LabApi, ViewId, ViewOptions } from '../../src/worker/api';
import { startWorker, type WorkerHandle } from '../../src/worker/client';

export function startLabWorker(): WorkerHandle {
  return startWorker(new URL('../../src/worker/worker.ts', import.meta.url), NO_HOLD);
}

/**
 * startWorker's option for a test page that paints nothing: messages go to the worker at once
 * (the default waits for a first paint, up to 3 s; client.test.ts tests that hold).
 */
export const NO_HOLD = { holdUntil: () => Promise.resolve() };

/** A view on a fresh OffscreenCanvas, transferred to the worker as a page would. */
export async function createTestView(
  api: Remote<LabApi>,
  options: Partial<ViewOptions> = {},
): Promise<ViewId> {
  const canvas = new OffscreenCanvas(1, 1);
  return api.createView(transfer(canvas, [canvas]), {
    cssWidth: 96,
    cssHeight: 96,
    pixelRatio: 1,
    bounds: [-3, -3, 3, 3],
    background: [0, 0, 0, 1],
    ...options,
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The rejection of a promise (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('Expected the call to reject, but it resolved.');
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitUntil(
  check: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await sleep(20);
  }
}

/** Starts the Flowfield worker and wraps it in a typed comlink proxy. */
import { wrap, type Remote } from 'comlink';
import type { WorkerApi } from './api';

export interface WorkerHandle {
  api: Remote<WorkerApi>;
  terminate(): void;
}

/**
 * `url` is where the built worker lives: `new URL('./worker.js', import.meta.url)` in the app,
 * the TypeScript source in tests.
 */
export function startWorker(url: URL): WorkerHandle {
  const worker = new Worker(url, { type: 'module', name: 'flowfield-worker' });
  return { api: wrap<WorkerApi>(worker), terminate: () => worker.terminate() };
}

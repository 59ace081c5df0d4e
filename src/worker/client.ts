/**
 * The page side: starts the Flowfield worker and wraps it in a typed comlink proxy. Only types
 * come from the worker's files, so nothing of the GPU code loads on the page.
 */
import { releaseProxy, wrap, type Endpoint, type Remote } from 'comlink';
import type { LabApi } from './api';

/** What worker.ts posts once the API is exposed: errors before it mean the worker never started. */
export const WORKER_READY_MESSAGE = 'flowfield-worker-ready';

export interface WorkerHandle {
  /** The current worker's API (a new object after restart()). */
  readonly api: Remote<LabApi>;
  terminate(): void;
  /**
   * Terminates the worker and starts a fresh one: every id of the old worker is gone, calls in
   * flight never settle. Returns the new API.
   *
   * A worker that fails to start (its script 404s or throws while loading, before it exposes
   * the API) rejects every call, in flight or later, with a readable message.
   */
  restart(): Remote<LabApi>;
  /** Errors outside any call (uncaught errors, a script that failed to load); returns unsubscribe. */
  onError(listener: (message: string) => void): () => void;
}

/** A readable message for a worker's error event. */
export function describeWorkerError(event: Event, url: URL): string {
  if (event instanceof ErrorEvent && event.message) {
    const where = event.filename ? ` (${event.filename}:${event.lineno}:${event.colno})` : '';
    return `The Flowfield worker reported an error: ${event.message}${where}. Restart the worker if it stopped responding.`;
  }
  return (
    `The Flowfield worker failed to start: its script at ${url.href} could not be loaded or ` +
    'threw while loading. Check the browser console, then restart the worker or reload the page.'
  );
}

/**
 * What `new Worker()` is given for the module worker at `url`. Browsers refuse a worker script
 * from another origin (an embed.js on a CDN, the host page elsewhere), so there it is a
 * same-origin blob module whose one statement imports the real module by its absolute URL; that
 * server must send CORS headers, as it must for embed.js itself. The host page's CSP then needs
 * `worker-src blob: <that origin>` (a module worker's imports are checked against worker-src).
 * Same origin: the URL itself (the app's strict CSP stays `worker-src 'self'`).
 */
export function workerScriptUrl(url: URL, pageOrigin = globalThis.location?.origin): string {
  if (url.origin === pageOrigin) return url.href;
  const shim = `import ${JSON.stringify(url.href)};\n`;
  return URL.createObjectURL(new Blob([shim], { type: 'text/javascript' }));
}

/**
 * `url` is where the built worker lives: `new URL('./worker.js', import.meta.url)` in the app,
 * the TypeScript source in tests. Messages to the worker wait for `holdUntil` (by default the
 * page's first paint, see heldUntil; tests on blank pages, which never paint, pass their own).
 */
export function startWorker(
  url: URL,
  options: { holdUntil?: () => Promise<void> } = {},
): WorkerHandle {
  const holdUntil = options.holdUntil ?? firstPaint;
  const listeners = new Set<(message: string) => void>();
  // One entry for every restart; a blob shim lives as long as the page (a few bytes).
  const entry = workerScriptUrl(url);
  let worker: Worker;
  let api: Remote<LabApi>;
  const start = () => {
    worker = new Worker(entry, { type: 'module', name: 'flowfield-worker' });
    let ready = false;
    let failStart!: (error: Error) => void;
    const failed = new Promise<never>((_, reject) => (failStart = reject));
    failed.catch(() => undefined);
    worker.addEventListener('message', (event: MessageEvent) => {
      if (event.data === WORKER_READY_MESSAGE) ready = true;
    });
    worker.addEventListener('error', (event) => {
      const message = describeWorkerError(event, url);
      if (!ready) failStart(new Error(message));
      for (const listener of listeners) listener(message);
      // Handled: without listeners it goes on to window.onerror like any uncaught error.
      if (listeners.size > 0) event.preventDefault();
    });
    worker.addEventListener('messageerror', () => {
      for (const listener of listeners) {
        listener('A message from the Flowfield worker could not be deserialised on the page.');
      }
    });
    api = settleOnFailedStart(wrap<LabApi>(heldUntil(worker, holdUntil())), failed);
  };
  const stop = () => {
    api[releaseProxy]();
    worker.terminate();
  };
  start();
  return {
    get api() {
      return api;
    },
    terminate: stop,
    restart() {
      stop();
      start();
      return api;
    },
    onError(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** How long a page that never paints (hidden, or no GPU compositing) holds the calls back (ms). */
export const FIRST_PAINT_WAIT_MS = 3000;

/**
 * Resolves once the page has painted (the 'paint' performance entries), when it is hidden, or
 * after FIRST_PAINT_WAIT_MS.
 */
export function firstPaint(waitMs = FIRST_PAINT_WAIT_MS): Promise<void> {
  if (typeof PerformanceObserver === 'undefined' || typeof document === 'undefined') {
    return Promise.resolve();
  }
  if (document.visibilityState === 'hidden' || performance.getEntriesByType('paint').length) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const observer = new PerformanceObserver(() => done());
    const timer = setTimeout(() => done(), waitMs);
    const done = () => {
      observer.disconnect();
      clearTimeout(timer);
      resolve();
    };
    observer.observe({ type: 'paint', buffered: true });
  });
}

/**
 * The worker as comlink's endpoint, its messages to the worker held back, in order, until `gate`
 * (the page's first paint). The worker opens WebGPU on its first call, and Chromium answers a worker's WebGPU
 * request by opening the GPU channel synchronously on the page's main thread: while the GPU
 * process is still starting (a busy machine, SwiftShader) that blocked the page for 1–6 s in one
 * task (#17 item 3, traced: EstablishGpuChannelSync in CreateWebGPUGraphicsContext3DProviderAsync).
 * The compositor opens the same channel without blocking, and the first paint comes after it;
 * past that point the page's call returns at once. The worker's script loads meanwhile.
 */
export function heldUntil(
  worker: Pick<Worker, 'postMessage' | 'addEventListener' | 'removeEventListener'>,
  gate: Promise<void>,
): Endpoint {
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) =>
      void gate.then(() => worker.postMessage(message, transfer ?? [])),
    addEventListener: worker.addEventListener.bind(worker),
    removeEventListener: worker.removeEventListener.bind(worker),
  };
}

/**
 * The API with every call raced against the worker's failure to start: comlink alone would wait
 * forever for the answer of a worker that never ran. Comlink's own symbols pass through.
 */
function settleOnFailedStart(remote: Remote<LabApi>, failed: Promise<never>): Remote<LabApi> {
  return new Proxy(remote, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property === 'symbol' || property === 'then' || typeof value !== 'function') {
        return value;
      }
      return (...args: unknown[]) =>
        Promise.race([(value as (...a: unknown[]) => Promise<unknown>)(...args), failed]);
    },
  });
}

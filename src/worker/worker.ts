/// <reference lib="webworker" />
// The module worker that owns the GPU device. The page talks to it only through comlink
// (Remote<LabApi>); errors outside any call reach the page as 'worker-error' events and as the
// Worker's own error event.
import { expose } from 'comlink';
import { WORKER_READY_MESSAGE } from './client';
import { createBackendService } from './backend';
import { LabSession } from './session';

const session = new LabSession();

self.addEventListener('error', (event: ErrorEvent) => {
  session.emit({ kind: 'worker-error', message: `Uncaught error in the worker: ${event.message}` });
});
self.addEventListener('unhandledrejection', (event: PromiseRejectionEvent) => {
  const reason: unknown = event.reason;
  const message = reason instanceof Error ? reason.message : String(reason);
  session.emit({ kind: 'worker-error', message: `Unhandled rejection in the worker: ${message}` });
});

// The GPU lab, or the CPU backend where WebGPU is missing (backend.ts).
expose(createBackendService(session));
// The page's client rejects its calls if an error comes before this (a worker that never started).
self.postMessage(WORKER_READY_MESSAGE);

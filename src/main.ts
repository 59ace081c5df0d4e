// The app entry: starts the worker, asks it for the GPU, and shows the result.
import './ui/gpu-status/gpu-status';
import { startWorker } from './worker/client';

const status = document.querySelector('ff-gpu-status');
if (status) {
  const worker = startWorker(new URL('./worker.js', import.meta.url));
  worker.api.probe().then(
    (report) => (status.status = { state: 'ready', report }),
    (error: unknown) =>
      (status.status = {
        state: 'unavailable',
        message: error instanceof Error ? error.message : String(error),
      }),
  );
}

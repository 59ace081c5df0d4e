// The app entry: starts the worker, hands it to the playground shell as its LabClient.
import './ui/app/app';
import { FfApp } from './ui/app/app';
import { workerLabClient } from './ui/controllers/worker-lab-client';
import { startWorker } from './worker/client';

const worker = startWorker(new URL('./worker.js', import.meta.url));
const app = new FfApp();
app.client = workerLabClient(worker.api);
document.querySelector('main')?.replaceChildren(app);

/**
 * The start-up probe: bench/startup/measure.mjs bundles this file and installs it with
 * `page.evaluateOnNewDocument`, so it runs before the built app's own scripts. It watches the
 * real app open a `#nb=` link with weights and records when each start-up milestone happens, in
 * ms since navigation start (`performance.now()`), into `window.__startupProbe`.
 *
 * It only observes: the app's elements and LabController are read, the worker is wrapped so its
 * creation and "ready" message are seen, and the worker's own `gpuStatus()` (compiled / expected
 * kernels) is asked with comlink's wire format under ids comlink's page side ignores — and only
 * once the app has acquired the device, so the probe never starts the device earlier than the app.
 */
import type { FfApp } from '../../src/ui/app/app';
import type { FfGpuView } from '../../src/ui/gpu-view/gpu-view';
import type { GpuStatus } from '../../src/worker/api';

/** What the probe reports (read by measure.mjs once `done`). */
export interface StartupProbe {
  /** Milestone → ms since navigation start (first time it was seen). */
  milestones: Record<string, number>;
  /** The worker's gpuStatus(): the largest expectedKernels seen, and the last status. */
  expectedKernels: number | null;
  status: GpuStatus | null;
  gpuStatusPolls: number;
  /** Every change of the compiled counts, as polled: [ms, compiledKernels, renderPipelines]. */
  compileTimeline: [number, number, number][];
  /** 'gpu' (ff-gpu-view drawn in the worker) or 'scatter' (the page's fallback plot). */
  view: 'gpu' | 'scatter' | null;
  /** Pixels of the first model frame that differ from its corner (background) pixel. */
  drawnPixels: number | null;
  frameSize: [number, number] | null;
  /** Why the first frame's pixels could not be read back (the frame itself was drawn). */
  pixelsError: string | null;
  navigation: { responseEnd: number; domContentLoaded: number; loadEventEnd: number } | null;
  error: string | null;
  done: boolean;
}

declare global {
  interface Window {
    __startupProbe?: StartupProbe;
  }
}

const WORKER_NAME = 'flowfield-worker';
const WORKER_READY = 'flowfield-worker-ready';
const POLL_MS = 10;
/** Least time between gpuStatus() calls: fine enough for the phases, light on the worker. */
const STATUS_POLL_MS = 25;

const probe: StartupProbe = {
  milestones: {},
  expectedKernels: null,
  status: null,
  gpuStatusPolls: 0,
  compileTimeline: [],
  view: null,
  drawnPixels: null,
  frameSize: null,
  pixelsError: null,
  navigation: null,
  error: null,
  done: false,
};
window.__startupProbe = probe;

function mark(name: string): void {
  if (!(name in probe.milestones)) probe.milestones[name] = performance.now();
}

function fail(message: string): void {
  probe.error ??= message;
  finish();
}

function finish(): void {
  const nav = performance.getEntriesByType('navigation')[0] as
    PerformanceNavigationTiming | undefined;
  if (nav) {
    probe.navigation = {
      responseEnd: nav.responseEnd,
      domContentLoaded: nav.domContentLoadedEventEnd,
      loadEventEnd: nav.loadEventEnd,
    };
  }
  probe.done = true;
}

// ─── the worker: creation, ready message, gpuStatus over comlink's wire format ──────────────

let worker: Worker | undefined;
const pending = new Map<string, (status: GpuStatus) => void>();
let callSeq = 0;

function watchWorker(created: Worker): void {
  worker = created;
  mark('worker_created');
  created.addEventListener('message', (event: MessageEvent) => {
    const data = event.data as unknown;
    if (data === WORKER_READY) mark('worker_ready');
    const reply = data as { id?: unknown; type?: string; value?: unknown } | null;
    if (reply && typeof reply.id === 'string' && pending.has(reply.id)) {
      const resolve = pending.get(reply.id)!;
      pending.delete(reply.id);
      if (reply.type === 'RAW') resolve(reply.value as GpuStatus);
      else fail(`gpuStatus() answered ${JSON.stringify(reply).slice(0, 200)}`);
    }
  });
}

const NativeWorker = window.Worker;
window.Worker = class extends NativeWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(url, options);
    if (options?.name === WORKER_NAME && !worker) watchWorker(this);
  }
};

/** One `gpuStatus()` call, as comlink would send it (an APPLY message with a RAW answer). */
function gpuStatus(target: Worker): Promise<GpuStatus> {
  const id = `startup-probe-${++callSeq}`;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    target.postMessage({ id, type: 'APPLY', path: ['gpuStatus'], argumentList: [] });
  });
}

let statusInFlight = false;
let lastStatusCall = -Infinity;
function pollGpuStatus(): void {
  if (!worker || statusInFlight || performance.now() - lastStatusCall < STATUS_POLL_MS) return;
  statusInFlight = true;
  lastStatusCall = performance.now();
  void gpuStatus(worker).then((status) => {
    statusInFlight = false;
    const last = probe.compileTimeline.at(-1);
    if (last?.[1] !== status.compiledKernels || last[2] !== status.compiledRenderPipelines) {
      const now = performance.now();
      probe.compileTimeline.push([now, status.compiledKernels, status.compiledRenderPipelines]);
    }
    probe.status = status;
    probe.gpuStatusPolls++;
    const compiling = status.expectedKernels !== null;
    if (compiling || status.compiledKernels > 0) mark('compile_seen');
    if (compiling) {
      probe.expectedKernels = Math.max(probe.expectedKernels ?? 0, status.expectedKernels!);
    } else if ('compile_seen' in probe.milestones) {
      mark('compile_done');
    }
  });
}

// ─── the app: device, weights, samples, the first frame of the model ───────────────────────

function views(app: FfApp): { gpu: FfGpuView[]; scatter: Element[] } {
  const notebook = app.shadowRoot?.querySelector('ff-notebook-view');
  const cells = [...(notebook?.shadowRoot?.querySelectorAll('ff-view-cell') ?? [])];
  const inCells = (tag: string) =>
    cells.flatMap((cell) => [...(cell.shadowRoot?.querySelectorAll(tag) ?? [])]);
  return {
    gpu: (inCells('ff-gpu-view') as FfGpuView[]).filter((v) =>
      v.label.startsWith('Samples of the model'),
    ),
    scatter: inCells('ff-scatter').filter((s) =>
      (s.getAttribute('label') ?? '').startsWith('Samples of the model'),
    ),
  };
}

/** Pixels that differ from the top-left (background) pixel. */
function differingPixels(data: Uint8ClampedArray): number {
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (
      data[i] !== data[0] ||
      data[i + 1] !== data[1] ||
      data[i + 2] !== data[2] ||
      data[i + 3] !== data[3]
    ) {
      count++;
    }
  }
  return count;
}

async function confirmFrame(view: FfGpuView): Promise<void> {
  // settled(): every change so far (the model's layers included) reached the worker and was drawn.
  await view.settled();
  const error = view.shadowRoot?.querySelector('.error')?.textContent;
  if (error) return fail(`the GPU view reports: ${error}`);
  mark('first_draw');
  try {
    const image = await view.readPixels();
    mark('pixels_read_back');
    probe.frameSize = [image.width, image.height];
    probe.drawnPixels = differingPixels(image.data);
  } catch (error) {
    // The frame was drawn (settled without an error); only the check of its pixels failed.
    probe.pixelsError = String(error);
  }
  finish();
}

window.addEventListener('error', (event) => fail(`page error: ${event.message}`));
window.addEventListener('unhandledrejection', (event) =>
  fail(`unhandled rejection: ${String(event.reason)}`),
);

function poll(): void {
  if (probe.done) return;
  try {
    const app = document.querySelector('ff-app') as FfApp | null;
    if (app) mark('app_element');
    const gpu = app?.shadowRoot?.querySelector('ff-gpu-status')?.status;
    if (gpu?.state === 'unavailable') return fail(`WebGPU unavailable: ${gpu.message}`);
    if (gpu?.state === 'ready') {
      mark('device_ready');
      pollGpuStatus();
    }
    const runs = app?.lab ? [...app.lab.runs.values()] : [];
    const failed = runs.find((run) => run.state === 'failed');
    if (failed) return fail(`run failed: ${failed.error}`);
    if (runs.some((run) => run.state === 'preparing')) mark('weights_import_start');
    if (runs.some((run) => run.state === 'done')) {
      // Weights are imported after createModel returned: its kernels are done by now even if
      // the gpuStatus() poll that would have seen it has not come back yet.
      mark('compile_done');
      mark('weights_imported');
    }
    if (runs.some((run) => run.samples)) mark('samples_read_back');
    if (app && !probe.view) {
      const found = views(app);
      if (found.gpu[0]) {
        probe.view = 'gpu';
        mark('model_layers_set');
        confirmFrame(found.gpu[0]).catch((error: unknown) => fail(`first frame: ${error}`));
      } else if (found.scatter[0]) {
        // No GPU view in this client: the page plots the samples it read back.
        probe.view = 'scatter';
        mark('model_layers_set');
        mark('first_draw');
        finish();
      }
    }
  } catch (error) {
    return fail(`probe: ${String(error)}`);
  }
  setTimeout(poll, POLL_MS);
}

poll();

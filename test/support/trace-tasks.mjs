// Main-thread tasks from a Chrome trace (puppeteer page.tracing): the figure issue #17 item 3
// is judged by ("no main-thread task > 200 ms while opening"), with what each long task did.
// A PerformanceObserver 'longtask' entry reports the same tasks, but without their contents and
// rounded into the frame's rendering work; the trace attributes them.

/** Trace categories that record every task of the renderer's main thread and its contents. */
export const TRACE_CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8',
  'v8.execute',
  'blink',
  'loading',
  'gpu',
];

/** The events that frame one task of the thread (the outer one counts). */
const TASK_NAMES = new Set(['RunTask', 'ThreadControllerImpl::RunTask']);

/** Work worth naming wherever it sits inside a task (any depth). */
const NAMED_ANY_DEPTH = new Set([
  'Layout',
  'UpdateLayoutTree',
  'Paint',
  'PrePaint',
  'Layerize',
  'MajorGC',
  'MinorGC',
  'V8.GC_MC_FINALIZE',
  'v8.compile',
  'v8.compileModule',
  'v8.parseOnBackground',
  'ParseHTML',
  'ParseAuthorStyleSheet',
  'RunMicrotasks',
  'HandlePostMessage',
  'v8.deserializeMessage',
  'V8.DeserializeMessage',
]);

/**
 * Whether a main-thread task is the page's work, not Chromium's own teardown or the test
 * harness: (1) WidgetBase::Shutdown, posted a second after a navigation to release the
 * previous document's compositor (about:blank's, in a fresh tab), waits for the compositor
 * thread, with no script; the page's PerformanceObserver does not see it. (2) A DevTools
 * message (puppeteer's page.evaluate polling the page).
 */
function pageTask(task, inside) {
  const args = taskArgs(task, inside);
  if (args.src_func === 'Shutdown' && String(args.src_file).includes('widget_base')) return false;
  const devtools = inside.find(
    (e) =>
      e.name === 'Receive mojo message' &&
      String(e.args?.chrome_mojo_event_info?.mojo_interface_tag).startsWith('blink.mojom.DevTools'),
  );
  return !devtools;
}

/** The posting site of a task (src_file, src_func), on its ThreadControllerImpl::RunTask. */
function taskArgs(task, inside) {
  if (task.name === 'ThreadControllerImpl::RunTask') return task.args ?? {};
  return inside.find((e) => e.name === 'ThreadControllerImpl::RunTask')?.args ?? {};
}

function source(task, inside) {
  const args = taskArgs(task, inside);
  return `${String(args.src_file ?? '')
    .split('/')
    .pop()} ${args.src_func ?? ''}`.trim();
}

/** Adds event `e`'s wall and thread time to `map` under `key`. */
function add(map, key, e) {
  const [us, cpuUs] = map.get(key) ?? [0, 0];
  map.set(key, [us + e.dur, cpuUs + (e.tdur ?? 0)]);
}

function label(e) {
  const data = e.args?.data ?? e.args?.beginData ?? {};
  const where = data.url ? ` ${String(data.url).split('/').pop()}` : '';
  const fn = data.functionName ? ` ${data.functionName}` : '';
  const line = data.lineNumber !== undefined && data.url ? `:${data.lineNumber}` : '';
  return `${e.name}${fn}${where}${line}`;
}

/** Complete events (X, or B/E pairs joined) of one thread, sorted by start. */
function threadEvents(events, pid, tid) {
  const done = [];
  const open = [];
  for (const e of events) {
    if (e.pid !== pid || e.tid !== tid) continue;
    if (e.ph === 'X' && typeof e.dur === 'number') done.push({ ...e, end: e.ts + e.dur });
    else if (e.ph === 'B') open.push(e);
    else if (e.ph === 'E') {
      const begin = open.pop();
      if (begin) done.push({ ...begin, end: e.ts, dur: e.ts - begin.ts });
    }
  }
  return done.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
}

/** The renderer main thread with the most task time (the page's; other tabs are idle). */
function mainThread(events) {
  const mains = events
    .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
    .map((e) => ({ pid: e.pid, tid: e.tid, busy: 0 }));
  for (const e of events) {
    if (!TASK_NAMES.has(e.name) || e.ph !== 'X') continue;
    const m = mains.find((t) => t.pid === e.pid && t.tid === e.tid);
    if (m) m.busy += e.dur ?? 0;
  }
  mains.sort((a, b) => b.busy - a.busy);
  if (!mains.length) throw new Error('the trace has no renderer main thread (CrRendererMain)');
  return mains[0];
}

/**
 * The page's main-thread tasks longer than `overMs`, in order: duration, start (ms after the
 * trace's first task), and what they contained (direct children merged by label, plus the
 * named work of NAMED_ANY_DEPTH at any depth), longest first.
 */
export function longTasksFromTrace(events, { overMs = 50 } = {}) {
  const { pid, tid } = mainThread(events);
  const list = threadEvents(events, pid, tid);
  const tasks = list.filter((e) => TASK_NAMES.has(e.name));
  // Nested RunTask (a nested run loop) belongs to its outer task.
  const top = [];
  for (const t of tasks) {
    const last = top.at(-1);
    if (last && t.ts < last.end) continue;
    top.push(t);
  }
  const origin = top[0]?.ts ?? 0;
  const long = [];
  let cursor = 0;
  for (const task of top) {
    if (task.dur / 1000 <= overMs) continue;
    while (cursor < list.length && list[cursor].ts < task.ts) cursor++;
    const inside = [];
    for (let i = cursor; i < list.length && list[i].ts < task.end; i++) {
      if (list[i] !== task) inside.push(list[i]);
    }
    const direct = new Map();
    const named = new Map();
    let childEnd = task.ts;
    for (const e of inside) {
      if (TASK_NAMES.has(e.name)) continue;
      if (e.ts >= childEnd) {
        add(direct, label(e), e);
        childEnd = e.end;
      } else if (NAMED_ANY_DEPTH.has(e.name)) {
        add(named, `  in: ${label(e)}`, e);
      }
    }
    const children = [...direct, ...named]
      .map(([what, [us, cpuUs]]) => ({ what, ms: us / 1000, cpuMs: cpuUs / 1000 }))
      .sort((a, b) => b.ms - a.ms);
    long.push({
      page: pageTask(task, inside),
      ms: task.dur / 1000,
      cpuMs: (task.tdur ?? task.dur) / 1000,
      atMs: (task.ts - origin) / 1000,
      startUs: task.ts,
      endUs: task.end,
      source: source(task, inside),
      children,
      gpuWaitMs:
        inside
          .filter((e) => e.name === 'RenderThreadImpl::EstablishGpuChannelSync')
          .reduce((sum, e) => sum + e.dur, 0) / 1000,
    });
  }
  const page = long.filter((t) => t.page);
  return {
    tasks: long,
    pid,
    tid,
    longestMs: Math.max(0, ...page.map((t) => t.ms)),
    longestCpuMs: Math.max(0, ...page.map((t) => t.cpuMs)),
    // Wall time less the GPU channel waits inside the task (Chromium's, see gpuChannelWaitMs).
    longestBesidesGpuWaitMs: Math.max(0, ...page.map((t) => t.ms - t.gpuWaitMs)),
    // The main thread opening the GPU channel synchronously (a 2-D canvas, a worker's WebGPU
    // request before the compositor had the channel): how long the longest such wait took.
    gpuChannelWaitMs: Math.max(
      0,
      ...list
        .filter((e) => e.name === 'RenderThreadImpl::EstablishGpuChannelSync')
        .map((e) => e.dur / 1000),
    ),
  };
}

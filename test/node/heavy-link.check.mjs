/* global window, document, localStorage, setTimeout, PerformanceObserver */
// A hostile-but-valid notebook opened by link in the built app (dist/): 200 cells, 60 notes at
// the Markdown limit built to be expensive (thousands of formulas, formulas at the length limit,
// a link pattern that made the inline parser quadratic), 256×256 grids, the largest settings.
// Before issue 17 one task took 58 s. Each opening (the link, then a reload that restores it from
// autosave) is traced (Chrome's trace of the renderer's main thread, test/support/trace-tasks.mjs)
// and checked two ways, with a third figure reported:
// - CPU time: no task of the page spends more than LONGEST_TASK_CPU_MS (the 200 ms) of
//   the main thread's CPU time. The page's own work is what it controls; CPU time does not grow
//   when other processes share the cores (measured 46–86 ms at load average 12–17 on 2 cores,
//   where the same tasks took 150–300 ms of wall time, waiting for a core).
// - Wall time: no task longer than LONGEST_TASK_MS, a freeze bound for whatever else blocks the
//   thread (FLOWFIELD_LONGEST_TASK_MS overrides it); not 200 ms, as on a loaded 2-core machine a
//   task waits for a core, and Chromium's own synchronous font lookups took up to 220 ms there.
//   Chromium's teardown of the previous document (about:blank's widget, a second after the
//   navigation) and the harness's DevTools calls are not the page's tasks and are not counted.
// - Not asserted, reported: the main thread's synchronous waits for the GPU channel, which count
//   neither in CPU time nor in the wall time above. Chromium opens the channel on the main thread
//   for a worker's first WebGPU request (and for any 2-D canvas, which the page no longer has);
//   how long that waits depends only on how busy the GPU process is (0 to 10 s measured on the
//   loaded machine, with under 5 ms of CPU). The page holds its first message to the worker until
//   its first paint, which avoided the wait at start-up in the traces, but not every time.
// It also checks "math not rendered: too long" is shown, far-off cells are not rendered, and the
// boot guard: a reload after an opening that did not finish asks before opening it again.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { serveDirectory } from '../support/static-server.mjs';
import { longTasksFromTrace } from '../support/trace-tasks.mjs';
import { check, until } from './helpers.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The most main-thread CPU time one task of the page may take while opening (ms). */
const LONGEST_TASK_CPU_MS = 200;
/** The longest main-thread task allowed while opening (ms, wall time): a freeze bound, see above. */
const LONGEST_TASK_MS = Number(process.env.FLOWFIELD_LONGEST_TASK_MS ?? 1500);
/** What the trace records: every task with its CPU time, and the GPU channel's opening. */
const CHECK_TRACE_CATEGORIES = ['toplevel', 'gpu'];

/** Notes built to be expensive to render, each at the 100 000-character Markdown limit. */
function hostileNotes(limit) {
  const fill = (unit) => unit.repeat(Math.floor(limit / unit.length));
  const matrix = `\\begin{pmatrix}${Array.from({ length: 30 }, () => Array(30).fill('a').join('&')).join('\\\\')}\\end{pmatrix}`;
  return [
    fill('$\\frac{a_{1}}{b^{2}}$ '), // ~5 000 small formulas
    fill(`$$${matrix}$$\n\n`), // formulas at the 2 000-character limit
    fill('[a '), // link labels that never close: quadratic in a backtracking parser
    fill(`$${'\\frac{'.repeat(60)}x${'}{y}'.repeat(60)}$ `), // deep nesting
    fill('**strong *em `code` [l](https://x.example/) $x$** '),
  ];
}

/** 200 valid cells: hostile notes, big grids, models at their limits; ≤ 8 MiB inflated. */
async function heavyNotebook(lib) {
  const { NOTEBOOK_LIMITS, createCell, defaultNotebook, parseNotebook } = lib;
  const notes = hostileNotes(NOTEBOOK_LIMITS.markdownLength);
  const side = NOTEBOOK_LIMITS.gridSide;
  const cells = [];
  for (let i = 0; cells.length < NOTEBOOK_LIMITS.cells; i++) {
    const id = (kind) => `${kind}-${i}`;
    if (i < 60) {
      cells.push({ ...createCell('note', id('note')), markdown: notes[i % notes.length] });
    } else if (i < 64) {
      const weights = Array.from({ length: side * side }, (_, k) => (k * 7919) % 13);
      cells.push({
        ...createCell('data', id('data')),
        source: { kind: 'grid', width: side, height: side, weights, seed: i },
      });
    } else {
      const kind = ['model', 'train', 'view', 'compare'][i % 4];
      const cell = createCell(kind, id(kind));
      if (kind === 'model') {
        Object.assign(cell.model, { layers: 32, hidden: 256, hiddenLayers: 4 });
        Object.assign(cell.train, { steps: 1_000_000, batch: 65_536 });
      }
      if (kind === 'view') Object.assign(cell, { sampleCount: 65_536, overlay: 'density' });
      cells.push(cell);
    }
  }
  return parseNotebook({ ...defaultNotebook(), title: 'Heavy', cells });
}

/** Resolves when the app shows `title` with all its cells and the page has been quiet 1.5 s. */
async function openedAndQuiet(page, title, cells) {
  await until(
    page,
    180_000,
    `the app showing "${title}"`,
    (t, n) => {
      const app = document.querySelector('ff-app');
      return app?.store.notebook.title === t && app.store.notebook.cells.length === n;
    },
    title,
    cells,
  );
  await until(page, 120_000, 'the page settling (no new long task for 1.5 s)', async () => {
    const count = window.longTasks.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return window.longTasks.length === count;
  });
}

function summary(tasks) {
  const longest = Math.max(0, ...tasks.map((t) => t.duration));
  return { longest, count: tasks.length };
}

async function newPage(browser) {
  const page = await (await browser()).newPage();
  await page.setViewport({ width: 1100, height: 900 });
  await page.evaluateOnNewDocument(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        window.longTasks.push({ start: entry.startTime, duration: entry.duration });
      }
    }).observe({ type: 'longtask', buffered: true });
  });
  return page;
}

/** Runs `open` with the page traced; checks the opening's tasks (see the top). */
async function tracedOpening(page, what, open) {
  await page.tracing.start({ categories: CHECK_TRACE_CATEGORIES });
  let events;
  try {
    await open();
  } finally {
    const trace = JSON.parse(Buffer.from(await page.tracing.stop()).toString('utf8'));
    events = trace.traceEvents ?? trace;
  }
  const found = longTasksFromTrace(events, { overMs: 50 });
  const list = JSON.stringify(
    found.tasks.map(
      (t) => `${t.ms.toFixed(0)}/${t.cpuMs.toFixed(0)}${t.page ? '' : ' (not the page)'}`,
    ),
  );
  const observed = summary(await page.evaluate(() => window.longTasks));
  check(
    found.longestCpuMs <= LONGEST_TASK_CPU_MS,
    `${what}: a main-thread task took ${found.longestCpuMs.toFixed(0)} ms of CPU time (limit ${LONGEST_TASK_CPU_MS}); tasks over 50 ms, wall/CPU ms: ${list}. Run bench/startup/trace.mjs heavy to see what they did.`,
  );
  check(
    found.longestBesidesGpuWaitMs <= LONGEST_TASK_MS,
    `${what}: a main-thread task took ${found.longestBesidesGpuWaitMs.toFixed(0)} ms besides any GPU channel wait (freeze bound ${LONGEST_TASK_MS}); tasks over 50 ms, wall/CPU ms: ${list}`,
  );
  return `longest task ${found.longestMs.toFixed(0)} ms, ${found.longestCpuMs.toFixed(0)} ms of CPU (trace); GPU channel wait ${found.gpuChannelWaitMs.toFixed(0)} ms; PerformanceObserver: longest ${observed.longest.toFixed(0)} ms, ${observed.count} over 50 ms`;
}

/** What the app shows of its notes: rendered note cells, the math notice. */
function notesShown() {
  const view = document.querySelector('ff-app')?.shadowRoot?.querySelector('ff-notebook-view');
  const notes = [...(view?.shadowRoot?.querySelectorAll('ff-note-cell') ?? [])];
  const first = notes[0]?.shadowRoot?.querySelector('ff-markdown')?.shadowRoot;
  return {
    rendered: notes.length,
    notice: first?.querySelector('.math-skipped')?.textContent?.replace(/\s+/g, ' ') ?? '',
    formulas: first?.querySelectorAll('math').length ?? 0,
  };
}

async function opensWithoutFreezing({ state, browser }) {
  const lib = await import(path.join(ROOT, 'dist/lib/notebook.js'));
  const notebook = await heavyNotebook(lib);
  const fragment = await lib.encodeShareLink({ notebook, weights: [] });
  const inflated = JSON.stringify(notebook).length;
  const { server, origin } = await serveDirectory(path.join(ROOT, 'dist'));
  const page = await newPage(browser);
  state.cleanup = () => {
    server.close();
    void page.close();
  };
  Object.assign(state, { page, origin, cells: notebook.cells.length });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const t0 = performance.now();
  const tasks = await tracedOpening(page, 'opening the heavy link', async () => {
    await page.goto(`${origin}/index.html#${fragment}`);
    await openedAndQuiet(page, 'Heavy', notebook.cells.length);
  });
  const seconds = (performance.now() - t0) / 1000;
  const shown = await page.evaluate(notesShown);
  check(errors.length === 0, `page errors: ${errors.join('; ')}`);
  check(
    /Math not rendered: too long/.test(shown.notice) && shown.formulas === 100,
    `the first note (5 000 formulas) shows ${shown.formulas} formulas and notice "${shown.notice}"`,
  );
  const notes = notebook.cells.filter((cell) => cell.kind === 'note').length;
  check(shown.rendered < notes, `all ${notes} notes were rendered, far-off ones too`);
  return `link ${fragment.length} characters (${(inflated / 1024 / 1024).toFixed(1)} MiB of JSON): opened in ${seconds.toFixed(1)} s; ${tasks}; ${shown.rendered} of ${notes} notes rendered`;
}

async function reloadsWithoutFreezing({ state }) {
  check(state.page, 'no page (the opening check failed)');
  const { page } = state;
  // The link was opened and autosaved; the address no longer holds it: a reload restores it.
  const tasks = await tracedOpening(page, 'reloading (autosave restores it)', async () => {
    await page.reload();
    await openedAndQuiet(page, 'Heavy', state.cells);
  });
  return `restored; ${tasks}`;
}

async function guardsAnUnfinishedOpening({ state }) {
  check(state.page, 'no page (the opening check failed)');
  const { page } = state;
  // A page that dies while it restores: the note the app writes before opening stays behind.
  await page.evaluate(() =>
    localStorage.setItem(
      'flowfield-opening:flowfield-autosave',
      JSON.stringify({ source: 'autosave', label: 'the last autosaved notebook', startedAt: 1 }),
    ),
  );
  await page.reload();
  const banner = await until(page, 60_000, 'the boot guard banner', () => {
    const app = document.querySelector('ff-app');
    const text = app?.shadowRoot?.querySelector('.banner.error')?.textContent ?? '';
    return text.includes('did not finish opening')
      ? { text, title: app.store.notebook.title }
      : undefined;
  });
  check(banner.title !== 'Heavy', 'the guarded notebook opened by itself');
  await page.evaluate(() => {
    const buttons = document.querySelector('ff-app').shadowRoot.querySelectorAll('.banner button');
    [...buttons].find((b) => b.textContent.trim() === 'Open anyway').click();
  });
  await openedAndQuiet(page, 'Heavy', state.cells);
  const note = await page.evaluate(() =>
    localStorage.getItem('flowfield-opening:flowfield-autosave'),
  );
  check(note === null, 'the opening finished but its note stayed');
  return 'the reload asked (Open anyway / Start fresh) instead of opening it; Open anyway opened it';
}

/** The heavy notebook, for profiling scripts. */
export const heavyNotebookForProfile = heavyNotebook;

export const heavyChecks = [
  [
    'heavy link: opening never blocks the page long; math budget and lazy cells',
    opensWithoutFreezing,
  ],
  ['heavy link: a reload restores it without blocking the page long', reloadsWithoutFreezing],
  ['heavy link: after an unfinished opening the reload asks first', guardsAnUnfinishedOpening],
];

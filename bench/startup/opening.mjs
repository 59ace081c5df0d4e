/* global window, document, setTimeout, PerformanceObserver */
// The opening bench (issue #17 item 3: "no main-thread task > 200 ms while opening any valid
// notebook"): the built app (dist/, `npm run build`) opens, in a fresh browser context each, the
// default notebook, every gallery notebook by a `#nb=` link with its weights, the heavy link of
// test/node/heavy-link.check.mjs (200 cells, notes at the Markdown limit, 256×256 grids) and its
// reload from autosave, and a `.flowfield.json` file with a 3 968 040-parameter RealNVP (21 MB)
// through Files → Open. Each opening is traced (Chrome's trace of the renderer's main thread,
// test/support/trace-tasks.mjs) until the page has been quiet for 1.5 s; the figures are the
// longest task of the page in wall time and in main-thread CPU time (which does not grow when
// other processes share the cores), the longest synchronous GPU channel wait, and, beside them,
// the longest task a PerformanceObserver for 'longtask' saw. The bench reports them beside the
// budget and the load average; test/node/heavy-link.check.mjs asserts on the same trace figures.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { Buffer } from 'node:buffer';
import { serveDirectory } from '../../test/support/static-server.mjs';
import { longTasksFromTrace } from '../../test/support/trace-tasks.mjs';
import { heavyNotebookForProfile } from '../../test/node/heavy-link.check.mjs';

/** The budget for the longest main-thread task while a notebook opens (ms). */
export const OPENING_BUDGET_MS = 200;
/** The big file's model: the largest RealNVP within the weights limit (4 000 000 parameters). */
const BIG_MODEL = { family: 'flow', kind: 'realnvp', layers: 20, hidden: 256, hiddenLayers: 4 };

export async function newPage(context) {
  const page = await context.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  await page.evaluateOnNewDocument(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.longTasks.push(Math.round(entry.duration));
    }).observe({ type: 'longtask', buffered: true });
  });
  return page;
}

/** Waits until the app shows a notebook titled `title` and no new long task came for 1.5 s. */
export async function settled(page, title, timeoutMs) {
  await page.waitForFunction(
    (t) => document.querySelector('ff-app')?.store?.notebook.title === t,
    { timeout: timeoutMs, polling: 100 },
    title,
  );
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    const before = await page.evaluate(() => window.longTasks.length);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    if ((await page.evaluate(() => window.longTasks.length)) === before) return;
  }
  throw new Error(`the page did not settle within ${timeoutMs / 1000} s`);
}

/** Trace categories of the measure: every task with its CPU time, the GPU channel's opening. */
const OPENING_TRACE_CATEGORIES = ['toplevel', 'gpu'];

/** Runs `open` traced; the opening's figures (ms). */
async function tracedOpening(page, open) {
  await page.tracing.start({ categories: OPENING_TRACE_CATEGORIES });
  let events;
  try {
    await open();
  } finally {
    const trace = JSON.parse(Buffer.from(await page.tracing.stop()).toString('utf8'));
    events = trace.traceEvents ?? trace;
  }
  const found = longTasksFromTrace(events, { overMs: 50 });
  const observed = await page.evaluate(() => window.longTasks);
  return {
    wall: Math.round(found.longestMs),
    cpu: Math.round(found.longestCpuMs),
    gpuWait: Math.round(found.gpuChannelWaitMs),
    observer: Math.max(0, ...observed),
  };
}

/** The cases: a name, how to open it in a fresh page, and the title that says it is open. */
export async function openingCases(root, origin, scratch) {
  const lib = await import(path.join(root, 'dist/lib/notebook.js'));
  const engine = await import(path.join(root, 'dist/lib/index.js'));
  const cases = [
    {
      name: 'default notebook',
      open: (page) => page.goto(`${origin}/index.html`),
      title: lib.defaultNotebook().title,
    },
  ];
  const galleryDir = path.join(root, 'dist/gallery');
  for (const file of (await readdir(galleryDir)).filter((f) => f.endsWith('.flowfield.json'))) {
    const payload = lib.notebookFromFile(await readFile(path.join(galleryDir, file), 'utf8'));
    const fragment = await lib.encodeShareLink(payload, { weights: 'float16' });
    cases.push({
      name: `gallery ${file.replace('.flowfield.json', '')} (link with weights)`,
      open: (page) => page.goto(`${origin}/index.html#${fragment}`),
      title: payload.notebook.title,
    });
  }
  const heavy = await heavyNotebookForProfile(lib);
  const heavyFragment = await lib.encodeShareLink({ notebook: heavy, weights: [] });
  cases.push({
    name: 'heavy link (200 cells, notes at the Markdown limit), then its reload',
    open: (page) => page.goto(`${origin}/index.html#${heavyFragment}`),
    title: heavy.title,
    reload: true,
  });

  const notebook = lib.defaultNotebook();
  notebook.title = 'Big file';
  const model = notebook.cells.find((cell) => cell.kind === 'model');
  Object.assign(model.model, BIG_MODEL);
  const count = engine.openCpuLab().createModel({ ...model.model }).parameterCount;
  const params = new Float32Array(count);
  for (let i = 0; i < count; i++) params[i] = 0.01 * Math.sin(i);
  const train = notebook.cells.find((cell) => cell.kind === 'train');
  const text = lib.notebookToFile({
    notebook,
    weights: [
      {
        trainId: train.id,
        steps: 1,
        normalization: { shift: [0, 0], scale: [1, 1] },
        params,
      },
    ],
  });
  const filePath = path.join(scratch, 'big.flowfield.json');
  await writeFile(filePath, text);
  cases.push({
    name: `file ${(text.length / 2 ** 20).toFixed(1)} MiB (${count.toLocaleString('en')} parameters), Files → Open`,
    prepare: async (page) => {
      await page.goto(`${origin}/index.html`);
      await settled(page, lib.defaultNotebook().title, 120_000);
      await page.evaluate(() => (window.longTasks = []));
    },
    open: async (page) => {
      const input = await page.evaluateHandle(() =>
        document.querySelector('ff-app').shadowRoot.querySelector('input.open-file'),
      );
      await input.uploadFile(filePath);
    },
    title: notebook.title,
  });
  return cases;
}

/**
 * Opens every case `rounds` times (a fresh browser context each) and reports the longest
 * main-thread task of each opening. Failures (a case that does not open) are listed; a longest
 * task over the budget is not a failure but is reported (`within_budget`).
 */
export async function measureOpening({
  root,
  executablePath,
  headless,
  args,
  rounds = 3,
  timeoutS = 180,
  log = console.log,
}) {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'flowfield-opening-'));
  const { server, origin } = await serveDirectory(path.join(root, 'dist'));
  const browser = await puppeteer.launch({ executablePath, headless, args, protocolTimeout: 0 });
  const rows = [];
  const failures = [];
  try {
    for (const c of await openingCases(root, origin, scratch)) {
      const row = {
        case: c.name,
        longest_ms: [],
        longest_cpu_ms: [],
        gpu_channel_wait_ms: [],
        observer_longest_ms: [],
        reload: c.reload
          ? { longest_ms: [], longest_cpu_ms: [], gpu_channel_wait_ms: [], observer_longest_ms: [] }
          : undefined,
      };
      const record = (into, figures) => {
        into.longest_ms.push(figures.wall);
        into.longest_cpu_ms.push(figures.cpu);
        into.gpu_channel_wait_ms.push(figures.gpuWait);
        into.observer_longest_ms.push(figures.observer);
      };
      for (let round = 0; round < rounds; round++) {
        const context = await browser.createBrowserContext();
        try {
          const page = await newPage(context);
          await c.prepare?.(page);
          record(
            row,
            await tracedOpening(page, async () => {
              await c.open(page);
              await settled(page, c.title, timeoutS * 1000);
            }),
          );
          if (c.reload) {
            await page.evaluate(() => (window.longTasks = []));
            record(
              row.reload,
              await tracedOpening(page, async () => {
                await page.reload();
                await settled(page, c.title, timeoutS * 1000);
              }),
            );
          }
        } catch (error) {
          failures.push(`opening ${c.name}: ${error.message ?? error}`);
        } finally {
          await context.close();
        }
      }
      const walls = [...row.longest_ms, ...(row.reload?.longest_ms ?? [])];
      const cpus = [...row.longest_cpu_ms, ...(row.reload?.longest_cpu_ms ?? [])];
      row.worst_ms = Math.max(0, ...walls);
      row.worst_cpu_ms = Math.max(0, ...cpus);
      row.within_budget = walls.length > 0 && row.worst_ms <= OPENING_BUDGET_MS;
      row.cpu_within_budget = cpus.length > 0 && row.worst_cpu_ms <= OPENING_BUDGET_MS;
      rows.push(row);
      log(`[opening] ${c.name}: ${describe(row)}`);
    }
  } finally {
    await browser.close();
    server.close();
    await rm(scratch, { recursive: true, force: true });
  }
  return { budget_ms: OPENING_BUDGET_MS, rounds, rows, failures, load_average: os.loadavg() };
}

/** One opening's figures per round: wall/CPU ms of the longest task, and the GPU channel wait. */
function describe(figures) {
  const rounds = figures.longest_ms.map(
    (wall, i) =>
      `${wall}/${figures.longest_cpu_ms[i]}` +
      (figures.gpu_channel_wait_ms[i] > 0
        ? ` (GPU channel ${figures.gpu_channel_wait_ms[i]})`
        : ''),
  );
  const reload = figures.reload ? `; after reload ${describe(figures.reload)}` : '';
  return `${rounds.join(', ')}${reload}`;
}

export function formatOpening(opening) {
  const lines = [
    `Opening (#17 item 3): longest main-thread task per opening, wall/CPU ms from a trace (budget ${opening.budget_ms}); ${opening.rounds} fresh contexts each; load average ${opening.load_average.map((l) => l.toFixed(1)).join(' ')}`,
  ];
  for (const row of opening.rows) {
    const verdict = row.within_budget ? 'ok  ' : row.cpu_within_budget ? 'WALL' : 'OVER';
    lines.push(`  ${verdict} ${row.case}: ${describe(row)}`);
  }
  return lines.join('\n');
}

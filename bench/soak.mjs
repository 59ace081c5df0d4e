/* global document, setTimeout */
// The long run (#17 item 6): the built site (dist/) in headless Chromium, the default notebook's
// Train cell set to 10⁶ steps and trained for --minutes (default 60), its View cell on screen and
// drawing live samples. Every --every seconds the page's and the worker's JS heaps (after a
// forced GC, through DevTools) and the browser's resident memory are recorded; the JSON report
// (stdout, or --out FILE) ends with the growth from the end of the first tenth of the run (after
// warm-up) to the end, in MiB and MiB per hour. Memory is flat when that growth is small.
//
//   npm run build && node bench/soak.mjs --minutes 60 --out soak.json
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { findBrowser, WEBGPU_FLAGS } from '../test/support/find-browser.mjs';
import { serveDirectory } from '../test/support/static-server.mjs';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}
const minutes = Number(option('minutes', '60'));
const every = Number(option('every', '30'));
const out = option('out', undefined);
const MIB = 2 ** 20;

/** Resident memory of the browser and every process under it, MiB (Linux ps). */
function browserRss(pid) {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' });
  const rows = table
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, parent] of rows) {
      if (tree.has(parent) && !tree.has(p)) {
        tree.add(p);
        grew = true;
      }
    }
  }
  return rows.filter(([p]) => tree.has(p)).reduce((sum, [, , rss]) => sum + rss, 0) / 1024;
}

/** JS heap in use after a full GC, MiB, of a DevTools session's target. */
async function heapAfterGc(session) {
  await session.send('HeapProfiler.collectGarbage');
  const { usedSize } = await session.send('Runtime.getHeapUsage');
  return usedSize / MIB;
}

const root = option('dist', fileURLToPath(new URL('../dist/', import.meta.url)));
const { server, origin } = await serveDirectory(root);
const found = await findBrowser();
const browser = await puppeteer.launch({
  executablePath: found.executablePath,
  headless: found.headless,
  args: [...WEBGPU_FLAGS, ...found.extraArgs],
});
const samples = [];
let failure;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 2000, deviceScaleFactor: 1 });
  const workerReady = new Promise((resolve) => page.once('workercreated', resolve));
  await page.goto(`${origin}/`);
  const worker = await workerReady;
  const pageSession = await page.createCDPSession();
  const workerSession = worker.client;
  await page.waitForFunction(
    () =>
      document
        .querySelector('ff-app')
        ?.shadowRoot?.querySelector('ff-gpu-status')
        ?.shadowRoot?.textContent?.includes('WebGPU is ready'),
    { timeout: 120_000 },
  );
  // A million steps: the run outlasts the soak on this machine (about 100–300 steps/s).
  await page.evaluate(() => {
    const app = document.querySelector('ff-app');
    const model = app.store.cell('model-1');
    app.store.dispatch({
      type: 'update',
      id: 'model-1',
      patch: { train: { ...model.train, steps: 1_000_000 } },
    });
    void app.lab.play('train-1');
  });
  const started = Date.now();
  const end = started + minutes * 60_000;
  while (Date.now() < end) {
    const run = await page.evaluate(() => {
      const r = document.querySelector('ff-app').lab.run('train-1');
      return { state: r.state, step: r.step, history: r.losses.length, error: r.error ?? null };
    });
    if (run.state === 'failed') {
      failure = `training failed: ${run.error}`;
      break;
    }
    samples.push({
      minute: +((Date.now() - started) / 60_000).toFixed(2),
      step: run.step,
      lossHistory: run.history,
      pageHeapMiB: +(await heapAfterGc(pageSession)).toFixed(2),
      workerHeapMiB: +(await heapAfterGc(workerSession)).toFixed(2),
      browserRssMiB: +browserRss(browser.process().pid).toFixed(1),
    });
    console.error(JSON.stringify(samples.at(-1)));
    if (run.state === 'done') break;
    await new Promise((resolve) => setTimeout(resolve, every * 1000));
  }
} catch (error) {
  failure = String(error?.stack ?? error);
} finally {
  await browser.close();
  server.close();
}

/** Growth of `key` from the sample closest to the end of the first tenth to the last. */
function growth(key) {
  if (samples.length < 2) return undefined;
  const warm = samples.find((s) => s.minute >= samples.at(-1).minute / 10) ?? samples[0];
  const last = samples.at(-1);
  const hours = (last.minute - warm.minute) / 60;
  const mib = last[key] - warm[key];
  return {
    from: warm[key],
    to: last[key],
    mib: +mib.toFixed(2),
    mibPerHour: hours ? +(mib / hours).toFixed(2) : null,
  };
}
const report = {
  minutes,
  steps: samples.at(-1)?.step ?? 0,
  failure: failure ?? null,
  growth: {
    pageHeapMiB: growth('pageHeapMiB'),
    workerHeapMiB: growth('workerHeapMiB'),
    browserRssMiB: growth('browserRssMiB'),
  },
  samples,
};
const text = JSON.stringify(report, null, 2);
if (out) writeFileSync(out, text);
else console.log(text);
process.exitCode = failure ? 1 : 0;

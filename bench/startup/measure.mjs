// The start-up bench (issue #7: "from page load to first samples drawn for a pretrained model"):
// opens the built app (dist/, `npm run build`) at a `#nb=` link with the weights of a gallery
// notebook, in the headless Chromium the bench uses, and times navigation start → the first frame
// of the model's samples drawn by the worker's GPU view, with a breakdown (probe.ts).
//
// A cold load is a fresh browser with a fresh profile (puppeteer's temporary user-data-dir), so
// neither the app's session pipeline cache nor Chromium's own shader caches (in memory or on
// disk, GPUCache/ in the profile) hold anything. A warm load is a new tab in the browser of the
// last cold load: a new worker and device (empty session cache) but Chromium's caches warm.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { serveDirectory } from '../../test/support/static-server.mjs';
import { median } from '../report.mjs';

export const STARTUP_NOTEBOOKS = ['realnvp-8gaussians', 'ddpm-swissroll'];
/** The issue's budgets, seconds from page load to the first samples drawn. */
export const BUDGET_S = { gpu: 2, swiftshader: 15 };

/** Errors of a lost WebGPU instance (Chromium's), and how many such loads are repeated. */
const INSTANCE_LOST = /Instance reference no longer exists|Instance dropped/;
const MAX_RETRIES = 2;

/** Milestones in the order they happen (probe.ts), and the phases between them. */
const PHASES = [
  ['page', null, 'app_element', 'HTML + app script until <ff-app> is in the page'],
  ['worker', 'worker_created', 'worker_ready', 'worker script loaded and evaluated'],
  ['device', 'worker_ready', 'device_ready', 'adapter + device in the worker'],
  ['compile', 'device_ready', 'compile_done', "createModel: the model's kernels (gpuStatus)"],
  ['import', 'compile_done', 'weights_imported', 'weights uploaded into the model'],
  ['draw', 'weights_imported', 'first_draw', "the view's layers set, first frame drawn"],
];

/** Bundles the probe (for the page) and the link encoder (for Node) into outDir. */
async function buildHelpers(root, outDir) {
  await mkdir(outDir, { recursive: true });
  const common = {
    bundle: true,
    target: 'es2022',
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'warning',
    write: true,
  };
  await esbuild.build({
    ...common,
    entryPoints: [path.join(root, 'bench/startup/probe.ts')],
    outfile: path.join(outDir, 'probe.js'),
    format: 'iife',
  });
  await esbuild.build({
    ...common,
    entryPoints: [path.join(root, 'bench/startup/link.ts')],
    outfile: path.join(outDir, 'link.mjs'),
    format: 'esm',
    platform: 'node',
  });
  return {
    probeSource: await readFile(path.join(outDir, 'probe.js'), 'utf8'),
    link: await import(pathToFileURL(path.join(outDir, 'link.mjs')).href),
  };
}

/** Phase durations (ms) from the probe's milestones; null where a milestone was not seen. */
function phases(milestones) {
  const out = {};
  for (const [name, from, to] of PHASES) {
    const start = from === null ? 0 : milestones[from];
    const end = milestones[to];
    out[name] = start === undefined || end === undefined ? null : end - start;
  }
  return out;
}

/**
 * Within the draw phase, the time until the last pipeline (kernel or render) that compiled
 * before the first frame: the view's own pipelines (sampling, point rendering) are compiled on
 * first use, after the model's. 0 when nothing compiled in that phase.
 */
function drawCompile(milestones, timeline) {
  const { weights_imported: from, first_draw: to } = milestones;
  if (from === undefined || to === undefined) return null;
  const inside = timeline.filter(([t]) => t > from && t <= to);
  return inside.length ? inside.at(-1)[0] - from : 0;
}

/**
 * Devices lost before the first frame: the worker recovers on a new device, whose pipeline
 * cache starts empty, so the compiled-kernel count drops (a new gpuStatus() device generation).
 */
function devicesLost(milestones, timeline) {
  const end = milestones.first_draw ?? Infinity;
  let lost = 0;
  for (let i = 1; i < timeline.length && timeline[i][0] <= end; i++) {
    if (timeline[i][1] < timeline[i - 1][1]) lost++;
  }
  return lost;
}

/** One load of `url` in a new tab of `browser`; the probe's report plus derived phases. */
async function load(browser, url, probeSource, timeoutMs) {
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text().slice(0, 300));
  });
  try {
    // Tall enough that the View cell is on screen, as it is for a visitor who scrolls to it.
    await page.setViewport({ width: 1280, height: 2000 });
    await page.evaluateOnNewDocument(probeSource);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction('window.__startupProbe?.done === true', {
      timeout: timeoutMs,
      polling: 100,
    });
    const probe = await page.evaluate('window.__startupProbe');
    probe.consoleErrors = consoleErrors;
    if (!probe.error && probe.view === 'gpu' && !probe.pixelsError && !(probe.drawnPixels > 0)) {
      probe.error = 'the first frame of the model is blank';
    }
    return {
      ...probe,
      devices_lost_before_first_draw: devicesLost(probe.milestones, probe.compileTimeline),
      phases: {
        ...phases(probe.milestones),
        draw_compile: drawCompile(probe.milestones, probe.compileTimeline),
      },
    };
  } finally {
    await page.close().catch(() => {});
  }
}

/**
 * Runs `cold` cold loads (fresh browser each) and then `warm` warm loads (new tabs in the last
 * cold load's browser) per notebook. Returns { notebooks, loads, summary, budget_s, … }.
 */
export async function measureStartup({
  root,
  executablePath,
  headless,
  args,
  notebooks = STARTUP_NOTEBOOKS,
  cold = 3,
  warm = 2,
  timeoutS = 180,
  build = true,
  log = console.log,
  launchOptions = {},
}) {
  const siteDir = path.join(root, 'dist');
  if (build) {
    log('[startup] npm run build (the site the start-up loads open)');
    execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: root, stdio: 'inherit' });
  }
  const { probeSource, link } = await buildHelpers(root, path.join(root, 'bench/dist/startup'));
  const { server, origin } = await serveDirectory(siteDir);
  const loads = [];
  const failures = [];
  const warnings = [];
  try {
    for (const name of notebooks) {
      const file = await readFile(path.join(siteDir, 'gallery', `${name}.flowfield.json`), 'utf8');
      const { fragment, weights } = await link.galleryLink(file);
      const url = `${origin}/index.html#${fragment}`;
      let browser = null;
      let retries = 0;
      for (let i = 0; i < cold + warm; i++) {
        const kind = i < cold ? 'cold' : 'warm';
        if (kind === 'cold') {
          await browser?.close().catch(() => {});
          browser = await puppeteer.launch({
            executablePath,
            headless,
            args,
            protocolTimeout: 0,
            ...launchOptions,
          });
        }
        const started = Date.now();
        let record;
        try {
          record = await load(browser, url, probeSource, timeoutS * 1000);
        } catch (error) {
          record = { error: String(error.message ?? error), milestones: {}, phases: {} };
        }
        const entry = {
          notebook: name,
          kind,
          index: kind === 'cold' ? i : i - cold,
          link_chars: fragment.length,
          parameters: weights,
          ms_to_first_draw: record.milestones.first_draw ?? null,
          wall_s: (Date.now() - started) / 1000,
          ...record,
        };
        loads.push(entry);
        const which = `startup ${name} ${kind} #${entry.index}`;
        // Headless Chromium without a GPU drops the WebGPU instance now and then when a canvas
        // frame is presented (README): not the app's start-up; such a load is retried.
        const lost = entry.error !== null && INSTANCE_LOST.test(entry.error);
        if (lost && retries < MAX_RETRIES) {
          entry.retried = true;
          warnings.push(`${which}: GPU instance lost, load repeated: ${entry.error}`);
          retries++;
          i--; // the same load again (a cold one in a fresh browser)
        } else if (entry.error) failures.push(`${which}: ${entry.error}`);
        if (entry.pixelsError)
          warnings.push(`${which}: first frame not read back: ${entry.pixelsError}`);
        log(
          `  startup ${name} ${kind} #${entry.index}: ` +
            (entry.error
              ? `FAILED ${entry.error}`
              : `${entry.ms_to_first_draw.toFixed(0)} ms to the first frame ` +
                `(${Object.entries(entry.phases)
                  .map(([k, v]) => `${k} ${v === null ? '—' : v.toFixed(0)}`)
                  .join(', ')}; ${entry.status?.compiledKernels ?? '?'} kernels; ` +
                `${entry.devices_lost_before_first_draw} devices lost before it)` +
                (entry.pixelsError ? ` — pixels not read back: ${entry.pixelsError}` : '')),
        );
      }
      await browser?.close().catch(() => {});
    }
  } finally {
    server.close();
  }
  return {
    notebooks,
    cold,
    warm,
    budget_s: BUDGET_S,
    phases: {
      ...Object.fromEntries(PHASES.map(([name, from, to, what]) => [name, { from, to, what }])),
      draw_compile: {
        from: 'weights_imported',
        to: 'the last change of gpuStatus() compiled counts before first_draw',
        what: 'pipelines compiled on first use by the view (part of draw)',
      },
    },
    summary: summarize(loads),
    loads,
    failures,
    warnings,
  };
}

/** Best and median (ms) of the total and of every phase, per notebook × cold/warm. */
function summarize(loads) {
  const groups = new Map();
  for (const entry of loads) {
    if (entry.error) continue; // failed or repeated
    const key = `${entry.notebook}|${entry.kind}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(entry);
  }
  return [...groups.values()].map((entries) => {
    const stat = (values) => {
      const seen = values.filter((v) => v !== null && v !== undefined);
      return seen.length ? { best: Math.min(...seen), median: median(seen) } : null;
    };
    return {
      notebook: entries[0].notebook,
      kind: entries[0].kind,
      loads: entries.length,
      first_draw_ms: stat(entries.map((e) => e.ms_to_first_draw)),
      // Loads whose device survived until the first frame: start-up without recovery.
      first_draw_ms_no_device_lost: stat(
        entries
          .filter((e) => e.devices_lost_before_first_draw === 0)
          .map((e) => e.ms_to_first_draw),
      ),
      phases_ms: Object.fromEntries(
        [...PHASES.map(([name]) => name), 'draw_compile'].map((name) => [
          name,
          stat(entries.map((e) => e.phases[name])),
        ]),
      ),
      // The last gpuStatus() poll of a load may predate its last compile: the largest count.
      kernels: Math.max(...entries.map((e) => e.status?.compiledKernels ?? 0)),
      expected_kernels: Math.max(...entries.map((e) => e.expectedKernels ?? 0)),
      render_pipelines: Math.max(...entries.map((e) => e.status?.compiledRenderPipelines ?? 0)),
      drawn_pixels: entries.map((e) => e.drawnPixels ?? null),
      pixels_not_read_back: entries.filter((e) => e.pixelsError).length,
      devices_lost_before_first_draw: entries.map((e) => e.devices_lost_before_first_draw),
    };
  });
}

/** The start-up table (medians, best in brackets), with the budget for this adapter. */
export function formatStartup(startup, { swiftshader }) {
  const budget = swiftshader ? BUDGET_S.swiftshader : BUDGET_S.gpu;
  const names = [...PHASES.map(([name]) => name), 'draw_compile'];
  const cell = (s) => (s ? `${(s.median / 1000).toFixed(2)} (${(s.best / 1000).toFixed(2)})` : '—');
  const header = [
    'notebook',
    'load',
    'n',
    'first frame s',
    ...names.map((n) => `${n} s`),
    'devices lost',
  ];
  const rows = startup.summary.map((s) => [
    s.notebook,
    s.kind,
    String(s.loads),
    cell(s.first_draw_ms),
    ...names.map((n) => cell(s.phases_ms[n])),
    s.devices_lost_before_first_draw.join(' '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) =>
    r.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  const kernels = startup.summary
    .filter((s) => s.kind === 'cold')
    .map((s) => `${s.notebook} ${s.kernels} kernels + ${s.render_pipelines} render pipelines`)
    .join('; ');
  return [
    `Start-up: navigation start → first frame of the model's samples drawn (built app, #nb= link ` +
      `with weights); median (best) in seconds; budget ${budget} s (${swiftshader ? 'SwiftShader' : 'GPU'})`,
    line(header),
    ...rows.map(line),
    `cold = fresh browser and profile each load; warm = new tab, Chromium's shader caches warm. ` +
      `draw_compile = the part of draw until the last pipeline compiled before the frame. ${kernels}.`,
  ].join('\n');
}

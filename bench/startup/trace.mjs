/* global window */
// Attributes the long main-thread tasks of an opening (issue #17 item 3) from a Chrome trace:
// each task over the threshold with its top-level work (script, microtasks, style, layout, GC,
// parsing, messages) and the JavaScript functions that took its time (CPU profile samples).
//
//   npm run build && node bench/startup/trace.mjs [case-substring] [--rounds N] [--over MS]
//
// The cases are the opening bench's (bench/startup/opening.mjs). The printout is for people
// hunting a long task; the bench and the heavy-link check assert on the same trace figures
// through longTasksFromTrace.
import { Buffer } from 'node:buffer';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import puppeteer from 'puppeteer-core';
import { findBrowser, WEBGPU_FLAGS } from '../../test/support/find-browser.mjs';
import { serveDirectory } from '../../test/support/static-server.mjs';
import { newPage, openingCases, settled } from './opening.mjs';
import { longTasksFromTrace, TRACE_CATEGORIES } from '../../test/support/trace-tasks.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function parseArgs(argv) {
  const options = { filter: '', rounds: 1, over: 50, profile: true, roots: [repoRoot], extra: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') options.rounds = Number(argv[++i]);
    else if (argv[i] === '--over') options.over = Number(argv[++i]);
    else if (argv[i] === '--no-profile') options.profile = false;
    else if (argv[i] === '--roots') options.roots = argv[++i].split(',');
    else if (argv[i] === '--categories') options.extra = argv[++i].split(',');
    else options.filter = argv[i];
  }
  return options;
}

/** Self time by JS function within [start, end] (µs, trace clock) from the CPU profile. */
function functionsIn(profile, start, end) {
  const self = new Map();
  for (const { t, node } of profile.samples) {
    if (t < start || t > end) continue;
    const key = node
      ? `${node.functionName || '(anonymous)'} ${node.url.split('/').pop()}:${node.lineNumber + 1}`
      : '?';
    self.set(key, (self.get(key) ?? 0) + profile.interval(t));
  }
  return [...self].sort((a, b) => b[1] - a[1]);
}

/** The CPU profile of the main thread: sample times and their leaf nodes. */
function cpuProfile(events, pid, tid) {
  const nodes = new Map();
  const samples = [];
  const ids = new Set(
    events.filter((e) => e.name === 'Profile' && e.pid === pid && e.tid === tid).map((e) => e.id),
  );
  let time = 0;
  for (const e of events) {
    if (e.pid !== pid || !ids.has(e.id)) continue;
    if (e.name === 'Profile') time = e.args?.data?.startTime ?? time;
    if (e.name !== 'ProfileChunk') continue;
    const data = e.args?.data ?? {};
    for (const node of data.cpuProfile?.nodes ?? []) {
      nodes.set(node.id, {
        functionName: node.callFrame.functionName,
        url: node.callFrame.url ?? '',
        lineNumber: node.callFrame.lineNumber ?? 0,
      });
    }
    const sampled = data.cpuProfile?.samples ?? [];
    const deltas = data.timeDeltas ?? [];
    for (let i = 0; i < sampled.length; i++) {
      time += deltas[i] ?? 0;
      samples.push({ t: time, id: sampled[i] });
    }
  }
  samples.sort((a, b) => a.t - b.t);
  const resolved = samples.map((s) => ({ t: s.t, node: nodes.get(s.id) }));
  const gap = (t) => {
    // The sampling interval around t (the gap to the next sample, at most 10 ms).
    let lo = 0;
    let hi = resolved.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (resolved[mid].t <= t) lo = mid + 1;
      else hi = mid;
    }
    const next = resolved[lo]?.t ?? t;
    return Math.min(10_000, Math.max(0, next - t));
  };
  return { samples: resolved, interval: gap };
}

let dumped = 0;

/** Traces one opening (and its reload) of case `c`; prints its long tasks, returns the figures. */
async function traceCase(browser, c, options, tag) {
  const figures = [];
  const context = await browser.createBrowserContext();
  try {
    const page = await newPage(context);
    await c.prepare?.(page);
    const phases = [['open', () => c.open(page)]];
    if (c.reload) phases.push(['reload', () => page.reload()]);
    for (const [phase, run] of phases) {
      const categories = [...TRACE_CATEGORIES, ...options.extra];
      if (options.profile) categories.push('disabled-by-default-v8.cpu_profiler');
      await page.tracing.start({ categories });
      await run();
      await settled(page, c.title, 180_000);
      const trace = JSON.parse(Buffer.from(await page.tracing.stop()).toString('utf8'));
      const events = trace.traceEvents ?? trace;
      if (process.env.TRACE_DUMP) {
        await writeFile(`${process.env.TRACE_DUMP}-${(dumped += 1)}.json`, JSON.stringify(events));
      }
      const found = longTasksFromTrace(events, { overMs: options.over });
      const profile = options.profile ? cpuProfile(events, found.pid, found.tid) : undefined;
      const observed = await page.evaluate(() => window.longTasks);
      figures.push({
        phase,
        wall: found.longestMs,
        cpu: found.longestCpuMs,
        gpu: found.gpuChannelWaitMs,
        observed,
      });
      console.log(
        `\n=== ${tag} ${c.name} [${phase}] load ${os.loadavg()[0].toFixed(1)}; longest ${found.longestMs.toFixed(0)} ms (cpu ${found.longestCpuMs.toFixed(0)} ms); observer ${JSON.stringify(observed)}`,
      );
      for (const task of found.tasks) {
        console.log(
          `  task ${task.ms.toFixed(0)} ms (cpu ${task.cpuMs?.toFixed(0)} ms) at +${task.atMs.toFixed(0)} ms ${task.source}${task.page ? '' : " (not the page's)"}`,
        );
        for (const child of task.children.slice(0, 8)) {
          console.log(
            `      ${child.ms.toFixed(1).padStart(7)} ms (cpu ${child.cpuMs.toFixed(1).padStart(6)})  ${child.what}`,
          );
        }
        if (!profile) continue;
        for (const [fn, us] of functionsIn(profile, task.startUs, task.endUs).slice(0, 10)) {
          console.log(`      ${(us / 1000).toFixed(1).padStart(7)} ms  js ${fn}`);
        }
      }
    }
  } catch (error) {
    console.log(`opening ${c.name}: ${error.stack ?? error}`);
  } finally {
    await context.close();
  }
  return figures;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const found = await findBrowser();
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'flowfield-trace-'));
  const browser = await puppeteer.launch({
    executablePath: found.executablePath,
    headless: found.headless,
    args: [...WEBGPU_FLAGS, ...found.extraArgs],
    protocolTimeout: 0,
  });
  const servers = [];
  const summary = new Map();
  try {
    // Builds compared in one run (--roots before,after): they take turns, so load hits both.
    const builds = [];
    for (const root of options.roots) {
      const { server, origin } = await serveDirectory(path.join(root, 'dist'));
      servers.push(server);
      const cases = (await openingCases(root, origin, scratch)).filter((c) =>
        c.name.includes(options.filter),
      );
      builds.push({ root, cases });
    }
    for (let i = 0; i < builds[0].cases.length; i++) {
      for (let round = 0; round < options.rounds; round++) {
        for (const { root, cases } of builds) {
          const c = cases[i];
          const figures = await traceCase(browser, c, options, path.basename(root));
          for (const f of figures) {
            const key = `${c.name} [${f.phase}]`;
            if (!summary.has(key)) summary.set(key, new Map());
            const byRoot = summary.get(key);
            if (!byRoot.has(root)) byRoot.set(root, []);
            byRoot
              .get(root)
              .push(
                `${f.wall.toFixed(0)}/${f.cpu.toFixed(0)}${f.gpu > 1 ? ` (GPU channel wait ${f.gpu.toFixed(0)})` : ''}`,
              );
          }
        }
      }
    }
  } finally {
    await browser.close();
    for (const server of servers) server.close();
    await rm(scratch, { recursive: true, force: true });
  }
  console.log('\nLongest page task per opening, wall/cpu ms:');
  for (const [key, byRoot] of summary) {
    for (const [root, list] of byRoot)
      console.log(`  ${path.basename(root)}: ${key}: ${list.join(' ')}`);
  }
}

await main();

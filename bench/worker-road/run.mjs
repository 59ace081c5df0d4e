// The worker road, timed for two trees in turns (#18: the refactors of the page → worker → lab
// road must not slow training or sampling). Each tree's worker is bundled with driver.ts and run
// in its own headless Chromium on the WebGPU adapter the tests use; rounds alternate between the
// trees so both see the same load; JSON lines out, then the per-round new/old ratios.
//   npm run bench:worker-road -- --old /path/to/old/checkout [--new .] [--rounds 3] [--steps 200]
// A tree is a checkout of this repository (e.g. `git worktree add --detach /tmp/old <rev>`).
import * as esbuild from 'esbuild';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import puppeteer from 'puppeteer-core';
import { findBrowser, WEBGPU_FLAGS } from '../../test/support/find-browser.mjs';
import { serveDirectory } from '../../test/support/static-server.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    new: { type: 'string', default: path.resolve(here, '../..') },
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string', default: '200' },
  },
});
if (!values.old) {
  console.error('bench:worker-road needs --old <checkout of the tree to compare with>.');
  process.exit(2);
}
const trees = { old: path.resolve(values.old), new: path.resolve(values.new) };

const builds = {};
for (const [name, root] of Object.entries(trees)) {
  const dir = mkdtempSync(path.join(tmpdir(), `worker-road-${name}-`));
  await esbuild.build({
    entryPoints: [path.join(root, 'src/worker/worker.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    loader: { '.wgsl': 'text' },
    outfile: path.join(dir, 'worker.js'),
    logLevel: 'warning',
  });
  await esbuild.build({
    entryPoints: [path.join(here, 'driver.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    outfile: path.join(dir, 'driver.js'),
    logLevel: 'warning',
  });
  writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><script type="module" src="driver.js"></script>',
  );
  builds[name] = dir;
}

async function runOnce(name) {
  const browser = await findBrowser();
  const { server, origin } = await serveDirectory(builds[name]);
  const chromium = await puppeteer.launch({
    executablePath: browser.executablePath,
    headless: browser.headless,
    args: [...WEBGPU_FLAGS, ...browser.extraArgs],
    protocolTimeout: 900_000,
  });
  try {
    const page = await chromium.newPage();
    await page.goto(`${origin}/?steps=${values.steps}`);
    await page.waitForFunction('window.__result || window.__error', { timeout: 900_000 });
    const result = await page.evaluate('window.__result || window.__error');
    if (typeof result === 'string') throw new Error(`${name} tree: ${result}`);
    return result;
  } finally {
    await chromium.close();
    server.close();
  }
}

const rounds = [];
for (let round = 0; round < Number(values.rounds); round++) {
  const pair = {};
  // Alternate which tree goes first, so neither always meets the warmer (or busier) machine.
  const order = round % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
  for (const name of order) {
    pair[name] = await runOnce(name);
    console.log(JSON.stringify({ round, tree: name, load: loadavg()[0], ...pair[name] }));
  }
  rounds.push(pair);
}
const ratios = {};
for (const key of Object.keys(rounds[0].new)) {
  const each = rounds.map((r) => r.new[key] / r.old[key]).sort((a, b) => a - b);
  ratios[key] = {
    median: each[Math.floor(each.length / 2)],
    min: each[0],
    max: each.at(-1),
  };
}
console.log(JSON.stringify({ ratios_new_over_old: ratios }, null, 2));

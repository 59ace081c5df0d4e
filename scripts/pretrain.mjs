/* global window */
// npm run pretrain: trains every gallery notebook (src/gallery/notebooks.ts) in headless Chromium
// with WebGPU (the tests' browser lookup, test/support/find-browser.mjs; SwiftShader where there
// is no GPU) through the worker's LabApi, and writes public/gallery/<name>.flowfield.json (the
// notebook with its exact float32 weights) and public/gallery/index.json. Deterministic: fixed
// seeds, seeded Philox batches and fixed-order reductions give the same weights on the same
// browser and device. `node scripts/pretrain.mjs nice-moons` retrains only the names given.
import * as esbuild from 'esbuild';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import * as prettier from 'prettier';
import { findBrowser, WEBGPU_FLAGS } from '../test/support/find-browser.mjs';
import { serveDirectory } from '../test/support/static-server.mjs';

const OUT = 'public/gallery';

/** `text` as `npx prettier --write` would leave it (the repository's config applies). */
async function formatted(path, text) {
  const options = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...options, filepath: path });
}
const BUILD = join('node_modules', '.cache', 'flowfield-pretrain');
const started = Date.now();

await rm(BUILD, { recursive: true, force: true });
await esbuild.build({
  entryPoints: { page: 'src/gallery/pretrain-page.ts', worker: 'src/worker/worker.ts' },
  outdir: BUILD,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  loader: { '.wgsl': 'text' },
  // Image notebooks train on the shipped sets: dist/data/ (npm run build) copied beside the page.
  define: { FLOWFIELD_DATA_DIR: JSON.stringify('./data/') },
  logLevel: 'warning',
});
await cp('dist/data', join(BUILD, 'data'), { recursive: true }).catch(() => {
  console.warn('[pretrain] no dist/data/: image notebooks need `npm run build` first');
});
await writeFile(
  join(BUILD, 'index.html'),
  '<!doctype html><meta charset="utf-8"><title>pretrain</title><script type="module" src="./page.js"></script>',
);

const { server, origin } = await serveDirectory(BUILD);

const found = await findBrowser();
console.log(`[pretrain] browser: ${found.description}`);
const browser = await puppeteer.launch({
  executablePath: found.executablePath,
  headless: found.headless,
  args: [...WEBGPU_FLAGS, ...found.extraArgs],
  protocolTimeout: 20 * 60_000,
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[page] ${m.text()}`);
  });
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.flowfieldPretrain !== undefined, { timeout: 60_000 });
  console.log(`[pretrain] adapter: ${await page.evaluate(() => window.flowfieldPretrain.probe())}`);
  const listed = await page.evaluate(() => window.flowfieldPretrain.entries);
  const all = listed.map((e) => e.name);
  const wanted = process.argv.slice(2);
  const names = wanted.length ? all.filter((n) => wanted.includes(n)) : all;
  await mkdir(OUT, { recursive: true });
  for (const name of names) {
    const t0 = Date.now();
    const result = await page.evaluate((n) => window.flowfieldPretrain.pretrain(n), name);
    // Formatted like every other file of the repository (npm run lint checks it).
    const path = join(OUT, `${name}.flowfield.json`);
    await writeFile(path, await formatted(path, result.file));
    const models = result.models
      .map(
        (m) =>
          `${m.trainId} ${m.kind} ${m.steps} steps, ${m.params} params, loss ${m.lastLoss.toFixed(3)}` +
          (m.heldOutBits === undefined ? '' : `, held-out ${m.heldOutBits.toFixed(3)} bits/dim`) +
          `, ${m.seconds.toFixed(1)} s training`,
      )
      .join('; ');
    console.log(
      `[pretrain] ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s, ` +
        `${(result.file.length / 1024).toFixed(1)} KiB (${models})`,
    );
  }
  // The list the app can read; titles and summaries come from src/gallery/notebooks.ts.
  const entries = [];
  for (const { name, title, summary } of listed) {
    try {
      await readFile(join(OUT, `${name}.flowfield.json`));
      entries.push({ name, title, summary, file: `${name}.flowfield.json` });
    } catch {
      console.warn(`[pretrain] ${name}: no file yet (not trained in this run)`);
    }
  }
  const indexPath = join(OUT, 'index.json');
  await writeFile(indexPath, await formatted(indexPath, JSON.stringify({ notebooks: entries })));
  console.log(`[pretrain] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await browser.close();
  server.close();
}

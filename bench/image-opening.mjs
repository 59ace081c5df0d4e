/* global document, performance, window, navigator */
// npm run bench:image-opening (issue #16's target "time from opening a pretrained image notebook
// to the first sample grid", ≤ 15 s on SwiftShader, < 2 s on a GPU): serves the built site
// (dist/, `npm run build`), and for each gallery image notebook, in a fresh browser (cold: no
// shader or pipeline cache) opens the app, chooses the notebook in the Gallery menu once the GPU
// is ready, and times the click → the View cell's sample grid <img> decoded, and navigation
// start → that same moment. No Train step runs (the samples come from the shipped weights).
// Writes bench/image-opening.json (the figures, the adapter, the load average) and each grid as
// bench/image-opening-<name>.png, to look at.
import { Buffer } from 'node:buffer';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import puppeteer from 'puppeteer-core';
import { findBrowser, WEBGPU_FLAGS, HARDWARE_WEBGPU_FLAGS } from '../test/support/find-browser.mjs';
import { serveDirectory } from '../test/support/static-server.mjs';

export const IMAGE_NOTEBOOKS = ['nice-mnist', 'flow-matching-mnist', 'guided-fashion'];
/** The budgets (seconds). */
const BUDGET_S = { gpu: 2, swiftshader: 15 };

const args = process.argv.slice(2);
const hardware = args.includes('--hardware');
const only = args.find((a) => a.startsWith('--notebooks='))?.slice('--notebooks='.length);
const names = only ? only.split(',') : IMAGE_NOTEBOOKS;
const out =
  args.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? 'bench/image-opening.json';

const { server, origin } = await serveDirectory('dist');
const found = await findBrowser();
const results = [];
let adapter = '';
try {
  for (const name of names) {
    const browser = await puppeteer.launch({
      executablePath: found.executablePath,
      headless: found.headless,
      args: [...(hardware ? HARDWARE_WEBGPU_FLAGS : WEBGPU_FLAGS), ...found.extraArgs],
    });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1200, height: 2400 });
      const errors = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text().slice(0, 300)));
      // A fresh profile each time: the app's autosave starts empty, so the default notebook shows.
      await page.goto(`${origin}/`, { waitUntil: 'domcontentloaded' });
      await page.waitForFunction(
        () => document.querySelector('ff-app')?.lab?.gpu.state === 'ready',
        {
          timeout: 120_000,
          polling: 50,
        },
      );
      adapter = await page.evaluate(async () => {
        const a = await navigator.gpu.requestAdapter();
        const info = a?.info ?? {};
        return `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.trim();
      });
      const figures = await page.evaluate(async (notebook) => {
        const app = document.querySelector('ff-app');
        app.shadowRoot.querySelector('button.gallery').click();
        await app.gallery.show();
        const entry = app.gallery.shadowRoot.querySelector(`button[data-name="${notebook}"]`);
        const clicked = performance.now();
        entry.click();
        const grid = () =>
          app.shadowRoot
            .querySelector('ff-notebook-view')
            ?.shadowRoot?.querySelector('ff-view-cell')
            ?.shadowRoot?.querySelector('#sample-grid');
        for (;;) {
          const img = grid();
          if (img?.complete && img.naturalWidth > 0 && app.store.notebook.title !== 'Untitled') {
            const done = performance.now();
            // The grid as shown, 4× (the picture's blob URL may be revoked by a later redraw).
            const canvas = document.createElement('canvas');
            canvas.width = img.naturalWidth * 4;
            canvas.height = img.naturalHeight * 4;
            const context = canvas.getContext('2d');
            context.imageSmoothingEnabled = false;
            context.drawImage(img, 0, 0, canvas.width, canvas.height);
            const run = app.lab.run('train-1');
            return {
              click_to_grid_s: (done - clicked) / 1000,
              navigation_to_grid_s: done / 1000,
              ready_at_s: clicked / 1000,
              step: run.step,
              losses: run.losses.length,
              png: canvas.toDataURL('image/png'),
            };
          }
          if (performance.now() - clicked > 300_000) throw new Error('no sample grid in 300 s');
          await new Promise((r) => window.setTimeout(r, 20));
        }
      }, name);
      const { png, ...rest } = figures;
      await writeFile(
        `bench/image-opening-${name}.png`,
        Buffer.from(png.slice(png.indexOf(',') + 1), 'base64'),
      );
      results.push({ name, ...rest, errors });
      console.log(
        `[image-opening] ${name}: click → grid ${rest.click_to_grid_s.toFixed(2)} s, ` +
          `navigation → grid ${rest.navigation_to_grid_s.toFixed(2)} s (GPU ready at ${rest.ready_at_s.toFixed(2)} s), ` +
          `step ${rest.step}, ${rest.losses} losses`,
      );
    } finally {
      await browser.close();
    }
  }
} finally {
  server.close();
}
const kind = hardware ? 'gpu' : 'swiftshader';
const report = {
  bench: 'image-opening',
  adapter,
  hardware,
  budget_s: BUDGET_S[kind],
  load_average: os.loadavg(),
  cpus: os.cpus().length,
  results,
  within_budget: results.every((r) => r.click_to_grid_s <= BUDGET_S[kind]),
};
await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `[image-opening] adapter ${adapter}; load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; wrote ${out}`,
);

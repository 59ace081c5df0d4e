/* global document */
// npm run screenshot: builds the site, serves dist/ on a free port, opens it in headless
// Chromium with WebGPU (test/support/find-browser.mjs), trains the starting notebook briefly so
// the View cell shows samples, and saves public/screenshot.png (used in README "Playground").
import { spawnSync } from 'node:child_process';
import puppeteer from 'puppeteer-core';
import { findBrowser, WEBGPU_FLAGS } from '../support/find-browser.mjs';
import { serveDirectory } from '../support/static-server.mjs';

const OUT = process.env.SCREENSHOT_OUT ?? 'public/screenshot.png';
const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const { server, origin } = await serveDirectory('dist');
const url = `${origin}/`;

const found = await findBrowser();
const browser = await puppeteer.launch({
  executablePath: found.executablePath,
  headless: found.headless,
  args: [...WEBGPU_FLAGS, ...found.extraArgs],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 1900, deviceScaleFactor: 1 });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  await page.goto(url);
  // Train the starting notebook (a small RealNVP on moons) for a short while.
  await page.waitForFunction(
    () => document.querySelector('ff-app')?.lab?.gpu.state !== 'checking',
    {
      timeout: 60_000,
    },
  );
  await page.evaluate(async () => {
    const app = document.querySelector('ff-app');
    app.store.dispatch({
      type: 'update',
      id: 'model-1',
      patch: {
        model: { ...app.store.cell('model-1').model, layers: 4, hidden: 16 },
        train: { ...app.store.cell('model-1').train, steps: 300 },
      },
    });
    app.store.dispatch({ type: 'toggle-collapse', id: 'intro' });
    await app.lab.play('train-1');
  });
  await page.evaluate(() => document.querySelector('ff-app').updateComplete);
  await page.screenshot({ path: OUT, fullPage: false });
  console.log(`screenshot: ${OUT}`);
} finally {
  await browser.close();
  server.close();
}

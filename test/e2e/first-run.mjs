/* global document, setTimeout, fetch, createImageBitmap, OffscreenCanvas */
// The first "Run all", as a new user does it: the built site (dist/) served on 127.0.0.1, opened
// in headless Chromium, the default notebook trained with the real Run all button, the View cell
// scrolled into view and photographed. It checks what issue #20 saw fail: no device is lost on a
// healthy machine, no page error, training reaches its last step, and the View cell's canvas shows
// samples — also after an injected device loss in the middle of training.
//
// Browser flags: 'tests' are the test suite's (ANGLE on SwiftShader, so WebGPU canvases can be
// composited); 'guide' are the developers' guide's flags without ANGLE, where a presented WebGPU
// canvas frame drops the worker's WebGPU instance (the failure #20 reported).
//
// `npm test` runs three scenarios with the 'guide' flags (test/support/run-browser-tests.mjs).
// Loop: `node test/e2e/first-run.mjs --tries 5 --flags tests,guide` (after `npm run build`).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { findBrowser, WEBGPU_FLAGS } from '../support/find-browser.mjs';
import { serveDirectory } from '../support/static-server.mjs';

export const FLAG_SETS = {
  tests: WEBGPU_FLAGS,
  guide: WEBGPU_FLAGS.filter((flag) => !flag.startsWith('--use-angle')),
};

/** The scenarios `npm test` runs: both viewports of the issue, and a loss in mid-training. */
export const SCENARIOS = [
  { name: 'tall viewport (every cell visible)', width: 1280, height: 2000 },
  { name: 'short viewport (View cell below the fold)', width: 1280, height: 800 },
  { name: 'device lost at step ≥ 100, tall viewport', width: 1280, height: 2000, loseAt: 100 },
];

const TRAIN_TIMEOUT_MS = 180_000;
/** The worker's GPU reporter logs each lost device once (the page echoes worker lines too). */
const LOSS_LINE = /^worker error: \[flowfield gpu\] device-lost/;
/** Lines that report a loss (reporter and session), expected only where one is injected. */
const LOSS_REPORT = /\[flowfield (gpu|worker)\] device-lost/;

/** Pixels in the samples' vermilion (#D55E00), not the data's blue or the background. */
function sampleColoured(rgba) {
  let count = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const [r, g, b] = [rgba[i], rgba[i + 1], rgba[i + 2]];
    if (r > 120 && r > g + 30 && r > b + 50) count++;
  }
  return count;
}

/** The run of the default notebook's Train cell, as the app's controller reports it. */
function runState(page) {
  return page.evaluate(() => {
    const run = document.querySelector('ff-app')?.lab?.run('train-1');
    return run ? { state: run.state, step: run.step, error: run.error ?? null } : null;
  });
}

const AXE_SOURCE = readFileSync(
  fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url)),
  'utf8',
);

/**
 * axe-core's violations of the whole page, one line each. axe is evaluated through DevTools,
 * which the site's CSP (script-src 'self') does not apply to.
 */
async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const results = await globalThis.axe.run(document);
    return results.violations.map(
      (v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`,
    );
  });
}

/** Runs one scenario in a fresh browser context (no autosave carried over); returns failures. */
export async function runScenario(browser, origin, scenario) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  const consoleLines = [];
  const pageErrors = [];
  const failures = [];
  const listen = (target, where) =>
    target.on('console', (m) => consoleLines.push(`${where} ${m.type()}: ${m.text()}`));
  listen(page, 'page');
  page.on('workercreated', (worker) => listen(worker, 'worker'));
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // The console says only "404"; the response names the file.
  page.on('response', (response) => {
    if (response.status() >= 400) {
      consoleLines.push(`page error: HTTP ${response.status()} for ${response.url()}`);
    }
  });
  try {
    await page.setViewport({
      width: scenario.width,
      height: scenario.height,
      deviceScaleFactor: 1,
    });
    await page.goto(`${origin}/`);
    await page.waitForFunction(
      () => {
        const status = document.querySelector('ff-app')?.shadowRoot?.querySelector('ff-gpu-status');
        return status?.shadowRoot?.textContent?.includes('WebGPU is ready');
      },
      { timeout: 60_000 },
    );
    // The user waited a few seconds before pressing Run all.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const runAll = await page.evaluateHandle(() => {
      const notebook = document
        .querySelector('ff-app')
        .shadowRoot.querySelector('ff-notebook-view');
      return [...notebook.shadowRoot.querySelectorAll('button')].find(
        (b) => b.textContent.trim() === 'Run all',
      );
    });
    await runAll.click();
    const started = Date.now();
    let injected = false;
    let last = null;
    while (Date.now() - started < TRAIN_TIMEOUT_MS) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      last = await runState(page);
      if (!last) continue;
      if (last.state === 'failed' || last.state === 'done') break;
      if (scenario.loseAt !== undefined && !injected && last.step >= scenario.loseAt) {
        injected = true;
        await page.evaluate(() => document.querySelector('ff-app').client.debugLoseDevice());
      }
    }
    const seconds = (Date.now() - started) / 1000;
    if (last?.state !== 'done') {
      failures.push(`training did not finish: ${JSON.stringify(last)} after ${seconds} s`);
    }
    if (scenario.loseAt !== undefined && !injected)
      failures.push('the device loss was not injected');

    // The View cell as the user sees it: scrolled into view, photographed until samples show.
    const canvas = await page.evaluateHandle(() => {
      const deep = (root, selector) => root.shadowRoot.querySelector(selector);
      const app = document.querySelector('ff-app');
      const view = deep(deep(deep(app, 'ff-notebook-view'), 'ff-view-cell'), 'ff-gpu-view');
      return view.shadowRoot.querySelector('canvas');
    });
    await canvas.evaluate((element) => element.scrollIntoView({ block: 'center' }));
    let samplePixels = 0;
    for (let tries = 0; tries < 40 && samplePixels < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const png = await canvas.screenshot({ encoding: 'base64' });
      samplePixels = sampleColoured(await decodePng(browser, png));
    }
    if (samplePixels < 200) {
      failures.push(`the View cell's canvas shows ${samplePixels} sample-coloured pixels (< 200)`);
    }
    // The page after Run all (and after a recovery, in the loss scenario) passes axe.
    const violations = await axeViolations(page);
    if (violations.length > 0) failures.push(`axe violations: ${violations.join(' | ')}`);
    const losses = consoleLines.filter((line) => LOSS_LINE.test(line)).length;
    const expectedLosses = scenario.loseAt !== undefined ? 1 : 0;
    if (losses !== expectedLosses) {
      failures.push(`${losses} device-lost report(s), expected ${expectedLosses}`);
    }
    if (pageErrors.length > 0) failures.push(`page errors: ${pageErrors.join(' | ')}`);
    const errors = consoleLines.filter(
      (line) => / error: /.test(line) && !(expectedLosses > 0 && LOSS_REPORT.test(line)),
    );
    if (errors.length > 0) failures.push(`console errors: ${errors.slice(0, 5).join(' | ')}`);
    return { failures, seconds, samplePixels, losses, consoleLines };
  } finally {
    await context.close();
  }
}

/** RGBA pixels of a PNG, decoded by the browser itself (no PNG library needed). */
async function decodePng(browser, base64) {
  const page = await browser.newPage();
  try {
    const bytes = await page.evaluate(async (data) => {
      const blob = await (await fetch(`data:image/png;base64,${data}`)).blob();
      const bitmap = await createImageBitmap(blob);
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d');
      context.drawImage(bitmap, 0, 0);
      return [...context.getImageData(0, 0, bitmap.width, bitmap.height).data];
    }, base64);
    return Uint8Array.from(bytes);
  } finally {
    await page.close();
  }
}

/**
 * Serves dist/, runs every scenario `tries` times with each flag set, prints a line per try and
 * returns { passed, failed }.
 */
export async function runFirstRunChecks({
  flagSets = ['guide'],
  tries = 1,
  log = console.log,
} = {}) {
  const { server, origin } = await serveDirectory('dist');
  const found = await findBrowser();
  let passed = 0;
  let failed = 0;
  try {
    for (const flags of flagSets) {
      const browser = await puppeteer.launch({
        executablePath: found.executablePath,
        headless: found.headless,
        args: [...FLAG_SETS[flags], ...found.extraArgs],
      });
      try {
        for (const scenario of SCENARIOS) {
          for (let attempt = 1; attempt <= tries; attempt++) {
            const label = `first Run all [${flags} flags] ${scenario.name}, try ${attempt}`;
            let result;
            try {
              result = await runScenario(browser, origin, scenario);
            } catch (error) {
              result = { failures: [`threw: ${error.stack ?? error}`], seconds: 0 };
            }
            if (result.failures.length === 0) {
              passed++;
              log(
                `  ✓ ${label}: ${result.seconds.toFixed(1)} s, ${result.samplePixels} sample pixels, ` +
                  `${result.losses} loss(es)`,
              );
            } else {
              failed++;
              log(`  ✗ ${label}:\n      ${result.failures.join('\n      ')}`);
              if (result.consoleLines?.length) {
                log(`      console:\n        ${result.consoleLines.slice(-15).join('\n        ')}`);
              }
            }
          }
        }
      } finally {
        await browser.close();
      }
    }
  } finally {
    server.close();
  }
  return { passed, failed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const { passed, failed } = await runFirstRunChecks({
    flagSets: arg('flags', 'guide').split(','),
    tries: Number(arg('tries', '1')),
  });
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}

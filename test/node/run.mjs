// Node-side checks that need more than one page of one origin: the packed package installed in a
// scratch project, embeds served from a second origin. One Chromium (find-browser.mjs, WebGPU
// flags) is shared by every check. Each check counts as one test; the counts go to
// $FLOWFIELD_NODE_COUNTS_FILE (test/support/run-browser-tests.mjs adds them to its last line).
//   node test/node/run.mjs            every check (needs `npm run build` first)
//   node test/node/run.mjs embed      only the checks whose name starts with "embed"
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import puppeteer from 'puppeteer-core';
import { findBrowser, WEBGPU_FLAGS } from '../support/find-browser.mjs';
import { packageChecks } from './package.check.mjs';
import { embedChecks } from './embed-origins.check.mjs';
import { housePlanChecks } from './house-plan.check.mjs';
import { heavyChecks } from './heavy-link.check.mjs';
import { appBundleChecks } from './app-bundle.check.mjs';
import { imageDataChecks } from './image-data.check.mjs';

const filter = process.argv[2] ?? '';

/** Starts Chromium on first use; every check gets the same one. */
function browserOnDemand() {
  let launching;
  return {
    get: () =>
      (launching ??= findBrowser().then((found) =>
        puppeteer.launch({
          executablePath: found.executablePath,
          headless: found.headless,
          args: [...WEBGPU_FLAGS, ...found.extraArgs],
          protocolTimeout: 300_000,
        }),
      )),
    close: async () => (launching ? (await launching).close() : undefined),
  };
}

const browser = browserOnDemand();
const context = { browser: () => browser.get() };
const counts = { passed: 0, failed: 0, results: [] };
const started = performance.now();
try {
  for (const group of [
    housePlanChecks,
    appBundleChecks,
    imageDataChecks,
    packageChecks,
    embedChecks,
    heavyChecks,
  ]) {
    const state = {};
    for (const [name, check] of group) {
      if (!name.startsWith(filter)) continue;
      const t0 = performance.now();
      try {
        const note = await check({ ...context, state });
        const seconds = (performance.now() - t0) / 1000;
        counts.passed++;
        console.log(`  ✓ ${name} (${seconds.toFixed(1)} s)${note ? `: ${note}` : ''}`);
      } catch (error) {
        counts.failed++;
        console.log(
          `  ✗ ${name}\n      ${String(error?.stack ?? error).replace(/\n/g, '\n      ')}`,
        );
      }
    }
    state.cleanup?.();
  }
} finally {
  await browser.close();
}
console.log(
  `node checks: ${counts.passed} passed, ${counts.failed} failed in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
const file = process.env.FLOWFIELD_NODE_COUNTS_FILE;
if (file) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ passed: counts.passed, failed: counts.failed }));
}
process.exitCode = counts.failed > 0 || counts.passed === 0 ? 1 : 0;

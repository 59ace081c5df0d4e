// Runs test/**/*.test.ts in a real Chromium with a real WebGPU adapter (SwiftShader on machines
// without a GPU). Browser lookup, in order: $CHROME_PATH; a system Chromium/Chrome; the npm
// package @sparticuz/chromium (a dev dependency that ships Chromium + SwiftShader).
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { defaultReporter, summaryReporter } from '@web/test-runner';
import { findBrowser, WEBGPU_FLAGS } from './test/support/find-browser.mjs';
import { countingReporter } from './test/support/counting-reporter.mjs';
import { screenshotCommand } from './test/support/screenshot-command.mjs';

const browser = await findBrowser();
console.log(`[flowfield tests] browser: ${browser.description} (${browser.executablePath})`);

export default {
  files: process.env.TEST_FILES ? process.env.TEST_FILES.split(',') : ['test/**/*.test.ts'],
  nodeResolve: true,
  // SwiftShader uses both cores for one page; parallel pages only slow each other down.
  concurrency: 1,
  concurrentBrowsers: 1,
  browserStartTimeout: 120_000,
  testsStartTimeout: 120_000,
  testsFinishTimeout: 900_000,
  testFramework: { config: { timeout: 180_000 } },
  plugins: [
    esbuildPlugin({
      ts: true,
      tsconfig: './tsconfig.json',
      loaders: { '.wgsl': 'text', '.py': 'text', '.md': 'text' },
    }),
    screenshotCommand(),
  ],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: browser.executablePath,
        headless: browser.headless,
        args: [...WEBGPU_FLAGS, ...browser.extraArgs],
      },
    }),
  ],
  // The page learns which browser lookup was used, so a missing adapter fails with that detail.
  testRunnerHtml: (testFramework) => `<!doctype html>
<html><head><meta charset="utf-8"></head><body>
<script>window.__FLOWFIELD_TEST_BROWSER__ = ${JSON.stringify(browser.description)};</script>
<script type="module" src="${testFramework}"></script>
</body></html>`,
  reporters: [defaultReporter(), summaryReporter({ flatten: false }), countingReporter()],
};

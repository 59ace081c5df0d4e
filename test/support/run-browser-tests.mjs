// Runs web-test-runner, then prints the test counts alone on the last line and exits with the
// runner's status (non-zero when it failed or when no test ran at all).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { runFirstRunChecks } from '../e2e/first-run.mjs';

// One counts file per run: concurrent runs in one checkout must not mix their counts.
const COUNTS_FILE = `.tmp/test-counts-${process.pid}.json`;
rmSync(COUNTS_FILE, { force: true });
const result = spawnSync('npx', ['web-test-runner', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, FLOWFIELD_COUNTS_FILE: COUNTS_FILE },
});
let status = result.status ?? 1;

// The first Run all of the built site, driven from Node (real clicks, screenshots, browser flags
// of its own): skipped only for a subset run (TEST_FILES), counted with the rest otherwise.
const firstRun = { passed: 0, failed: 0 };
if (!process.env.TEST_FILES) {
  console.log('\nfirst Run all of the built site (test/e2e/first-run.mjs):');
  const started = Date.now();
  try {
    Object.assign(firstRun, await runFirstRunChecks());
  } catch (error) {
    console.log(`  ✗ could not run: ${error.stack ?? error}`);
    firstRun.failed += 1;
  }
  console.log(`  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (firstRun.failed > 0) status = status || 1;
}

if (existsSync(COUNTS_FILE)) {
  const counts = JSON.parse(readFileSync(COUNTS_FILE, 'utf8'));
  const { skipped, filesFailedToLoad, slowest } = counts;
  const passed = counts.passed + firstRun.passed;
  const failed = counts.failed + firstRun.failed;
  if (slowest?.length) {
    console.log('\nslowest test files (seconds in tests):');
    for (const { file, seconds } of slowest)
      console.log(`  ${seconds.toFixed(1).padStart(6)}  ${file}`);
  }
  const failures = failed + filesFailedToLoad;
  if (passed === 0) status = status || 1;
  if (skipped > 0) console.log(`(${skipped} skipped tests count as not passed)`);
  console.log(`\n${passed} passed, ${failures} failed`);
  rmSync(COUNTS_FILE, { force: true });
} else {
  console.log('\nweb-test-runner wrote no test counts: no test ran.');
  status = status || 1;
}
process.exit(status);

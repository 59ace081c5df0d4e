// Runs web-test-runner, then prints the test counts alone on the last line and exits with the
// runner's status (non-zero when it failed or when no test ran at all).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

// One counts file per run: concurrent runs in one checkout must not mix their counts.
const COUNTS_FILE = `.tmp/test-counts-${process.pid}.json`;
rmSync(COUNTS_FILE, { force: true });
const result = spawnSync('npx', ['web-test-runner', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, FLOWFIELD_COUNTS_FILE: COUNTS_FILE },
});
let status = result.status ?? 1;
// Node-side checks (test/node/run.mjs: the packed package, embeds from a second origin) run after
// the browser tests in the whole suite (not for a TEST_FILES subset); their counts join the line.
const nodeChecks = { passed: 0, failed: 0 };
if (!process.env.TEST_FILES) {
  const file = `.tmp/node-check-counts-${process.pid}.json`;
  rmSync(file, { force: true });
  const run = spawnSync(process.execPath, ['test/node/run.mjs'], {
    stdio: 'inherit',
    env: { ...process.env, FLOWFIELD_NODE_COUNTS_FILE: file },
  });
  if (existsSync(file)) Object.assign(nodeChecks, JSON.parse(readFileSync(file, 'utf8')));
  else nodeChecks.failed += 1; // the runner itself failed before counting anything
  if (run.status !== 0) status = status || 1;
  rmSync(file, { force: true });
}
if (existsSync(COUNTS_FILE)) {
  const { passed, failed, skipped, filesFailedToLoad, slowest } = JSON.parse(
    readFileSync(COUNTS_FILE, 'utf8'),
  );
  if (slowest?.length) {
    console.log('\nslowest test files (seconds in tests):');
    for (const { file, seconds } of slowest)
      console.log(`  ${seconds.toFixed(1).padStart(6)}  ${file}`);
  }
  const failures = failed + filesFailedToLoad + nodeChecks.failed;
  if (passed === 0) status = status || 1;
  if (skipped > 0) console.log(`(${skipped} skipped tests count as not passed)`);
  console.log(`\n${passed + nodeChecks.passed} passed, ${failures} failed`);
  rmSync(COUNTS_FILE, { force: true });
} else {
  console.log('\nweb-test-runner wrote no test counts: no test ran.');
  status = status || 1;
}
process.exit(status);

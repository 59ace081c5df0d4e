// Runs web-test-runner, then the Python tests of the PyTorch export (python/tests), then prints
// the counts of both alone on the last line and exits non-zero when anything failed or no test
// ran at all. The browser's PyTorch parity test reads fixtures that PyTorch writes first.
// With TEST_FILES (a subset of the browser tests) the Python unit tests do not run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { runPythonTests, torchProblem, writeTorchFixtures } from './python-tests.mjs';

const subset = process.env.TEST_FILES;
const torchNeeded = !subset || subset.includes('test/torch');
let pythonFailures = 0;
if (torchNeeded) {
  const problem = torchProblem();
  if (problem) {
    console.error(`\n${problem}\n`);
    pythonFailures++;
  } else if (!writeTorchFixtures()) {
    console.error(
      '\npython/tests/make_parity_fixtures.py failed: the PyTorch parity tests will fail.\n',
    );
    pythonFailures++;
  }
}

// One counts file per run: concurrent runs in one checkout must not mix their counts.
const COUNTS_FILE = `.tmp/test-counts-${process.pid}.json`;
rmSync(COUNTS_FILE, { force: true });
const result = spawnSync('npx', ['web-test-runner', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, FLOWFIELD_COUNTS_FILE: COUNTS_FILE },
});
let status = result.status ?? 1;
if (existsSync(COUNTS_FILE)) {
  const { passed, failed, skipped, filesFailedToLoad, slowest } = JSON.parse(
    readFileSync(COUNTS_FILE, 'utf8'),
  );
  if (slowest?.length) {
    console.log('\nslowest test files (seconds in tests):');
    for (const { file, seconds } of slowest)
      console.log(`  ${seconds.toFixed(1).padStart(6)}  ${file}`);
  }
  let python = { passed: 0, failed: 0, skipped: 0 };
  if (!subset && pythonFailures === 0) python = runPythonTests();
  else if (subset)
    console.log('\n(TEST_FILES is set: the Python tests in python/tests did not run)');
  const failures = failed + filesFailedToLoad + python.failed + pythonFailures;
  const allSkipped = skipped + python.skipped;
  if (passed === 0) status = status || 1;
  if (failures > 0) status = status || 1;
  if (allSkipped > 0) console.log(`(${allSkipped} skipped tests count as not passed)`);
  if (!subset) {
    console.log(
      `(browser ${passed} passed, ${failed + filesFailedToLoad} failed; ` +
        `python ${python.passed} passed, ${python.failed + pythonFailures} failed)`,
    );
  }
  console.log(`\n${passed + python.passed} passed, ${failures} failed`);
  rmSync(COUNTS_FILE, { force: true });
} else {
  console.log('\nweb-test-runner wrote no test counts: no test ran.');
  status = status || 1;
}
process.exit(status);

// Runs web-test-runner, then the suites that live outside the browser's test pages (the first
// Run all of the built site, the Node-side checks, the Python tests of the PyTorch export), then prints the counts of
// all of them alone on the last line and exits non-zero when anything failed or no test ran.
// The browser's PyTorch parity test reads fixtures that PyTorch writes first.
// With TEST_FILES (a subset of the browser tests) the other suites do not run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { runFirstRunChecks } from '../e2e/first-run.mjs';
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

/** Suites beyond the browser's test pages: name → a function returning { passed, failed }. */
const OTHER_SUITES = [
  // The first Run all of the built site, driven from Node (real clicks, screenshots, browser
  // flags of its own).
  ['first Run all of the built site (test/e2e/first-run.mjs)', () => runFirstRunChecks()],
  ['Node-side checks (test/node/run.mjs)', runNodeChecks],
  [
    'Python tests of the PyTorch export (python/tests)',
    () => (pythonFailures === 0 ? runPythonTests() : { passed: 0, failed: 0 }),
  ],
];
/** test/node/run.mjs (the packed package, embeds from a second origin) in its own process. */
function runNodeChecks() {
  const file = `.tmp/node-check-counts-${process.pid}.json`;
  rmSync(file, { force: true });
  spawnSync(process.execPath, ['test/node/run.mjs'], {
    stdio: 'inherit',
    env: { ...process.env, FLOWFIELD_NODE_COUNTS_FILE: file },
  });
  // No counts file: the runner itself failed before counting anything.
  const counts = existsSync(file)
    ? JSON.parse(readFileSync(file, 'utf8'))
    : { passed: 0, failed: 1 };
  rmSync(file, { force: true });
  return counts;
}

const others = [];
if (!subset) {
  for (const [name, run] of OTHER_SUITES) {
    console.log(`\n${name}:`);
    const started = Date.now();
    let counts;
    try {
      counts = await run();
    } catch (error) {
      console.log(`  ✗ could not run: ${error.stack ?? error}`);
      counts = { passed: 0, failed: 1 };
    }
    console.log(`  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    others.push({
      name,
      passed: counts.passed,
      failed: counts.failed,
      skipped: counts.skipped ?? 0,
    });
  }
} else {
  console.log('\n(TEST_FILES is set: the first-run, Node-side and Python suites did not run)');
}

if (existsSync(COUNTS_FILE)) {
  const counts = JSON.parse(readFileSync(COUNTS_FILE, 'utf8'));
  const { skipped, filesFailedToLoad, slowest } = counts;
  if (slowest?.length) {
    console.log('\nslowest test files (wall seconds, of which in tests):');
    for (const { file, seconds, wallSeconds } of slowest)
      console.log(
        `  ${wallSeconds.toFixed(1).padStart(6)} ${seconds.toFixed(1).padStart(6)}  ${file}`,
      );
  }
  const sum = (key) => others.reduce((total, suite) => total + suite[key], 0);
  const passed = counts.passed + sum('passed');
  const failures = counts.failed + filesFailedToLoad + sum('failed') + pythonFailures;
  const allSkipped = skipped + sum('skipped');
  if (counts.passed === 0) status = status || 1;
  if (failures > 0) status = status || 1;
  if (allSkipped > 0) console.log(`(${allSkipped} skipped tests count as not passed)`);
  if (others.length > 0) {
    const parts = others.map(
      (s) => `${s.name.split(' (')[0]} ${s.passed} passed, ${s.failed} failed`,
    );
    console.log(
      `(browser ${counts.passed} passed, ${counts.failed + filesFailedToLoad} failed; ${parts.join('; ')})`,
    );
  }
  console.log(`\n${passed} passed, ${failures} failed`);
  rmSync(COUNTS_FILE, { force: true });
} else {
  console.log('\nweb-test-runner wrote no test counts: no test ran.');
  status = status || 1;
}
process.exit(status);

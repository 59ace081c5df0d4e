// Counts passed/failed/skipped tests (and the slowest files) and writes them to .tmp/test-counts.json; the wrapper
// test/support/run-browser-tests.mjs prints "N passed, N failed" as the very last line, so CI can
// count the tests (web-test-runner's own summary line carries a progress bar).
import { mkdirSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

// One file per wrapper process (concurrent runs in one checkout must not mix their counts).
export const COUNTS_FILE = process.env.FLOWFIELD_COUNTS_FILE ?? '.tmp/test-counts.json';

function count(suite, totals) {
  let ms = 0;
  for (const test of suite.tests ?? []) {
    if (test.skipped) totals.skipped += 1;
    else if (test.passed) totals.passed += 1;
    else totals.failed += 1;
    ms += test.duration ?? 0;
  }
  for (const child of suite.suites ?? []) ms += count(child, totals);
  return ms;
}

export function countingReporter() {
  // Wall time per file (page load, imports, before() hooks, pipeline compiles and tests): with
  // concurrency 1 the files run one after another, so the gap between two files' results is the
  // later file's cost.
  const wall = new Map();
  let last = Date.now();
  return {
    reportTestFileResults({ testFile }) {
      const now = Date.now();
      wall.set(relative(process.cwd(), testFile), (now - last) / 1000);
      last = now;
    },
    onTestRunFinished({ sessions }) {
      const totals = { passed: 0, failed: 0, skipped: 0, filesFailedToLoad: 0, slowest: [] };
      for (const session of sessions) {
        if (session.testResults) {
          const ms = count(session.testResults, totals);
          const file = relative(process.cwd(), session.testFile);
          totals.slowest.push({
            file,
            seconds: Math.round(ms / 100) / 10,
            wallSeconds: Math.round((wall.get(file) ?? 0) * 10) / 10,
          });
        }
        // A file that failed to load (syntax error, import error) counts as a failure.
        if (!session.passed && (session.errors?.length ?? 0) > 0) totals.filesFailedToLoad += 1;
      }
      // The slowest files, so the suite's time budget (~10 min on 2 cores) stays visible.
      totals.slowest = totals.slowest.sort((a, b) => b.wallSeconds - a.wallSeconds).slice(0, 12);
      mkdirSync('.tmp', { recursive: true });
      writeFileSync(COUNTS_FILE, JSON.stringify(totals));
    },
  };
}

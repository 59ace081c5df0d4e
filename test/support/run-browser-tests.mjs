// Runs web-test-runner, then prints the test counts alone on the last line and exits with the
// runner's status (non-zero when it failed or when no test ran at all).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { COUNTS_FILE } from './counting-reporter.mjs';

rmSync(COUNTS_FILE, { force: true });
const result = spawnSync('npx', ['web-test-runner', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
let status = result.status ?? 1;
if (existsSync(COUNTS_FILE)) {
  const { passed, failed, skipped, filesFailedToLoad } = JSON.parse(
    readFileSync(COUNTS_FILE, 'utf8'),
  );
  const failures = failed + filesFailedToLoad;
  if (passed === 0) status = status || 1;
  if (skipped > 0) console.log(`(${skipped} skipped tests count as not passed)`);
  console.log(`\n${passed} passed, ${failures} failed`);
} else {
  console.log('\nweb-test-runner wrote no test counts: no test ran.');
  status = status || 1;
}
process.exit(status);

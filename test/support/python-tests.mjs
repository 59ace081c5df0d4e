// The PyTorch side of the tests (python/flowfield_torch): fixtures the browser's parity test
// reads, and the Python unit tests (DDP, weights I/O). Both need /usr/bin/python3 with PyTorch
// (.ci/run installs python3-torch from Debian); another python3 may come first on PATH.
import { spawnSync } from 'node:child_process';

export const PYTHON = process.env.FLOWFIELD_PYTHON ?? '/usr/bin/python3';
const FIXTURES = 'test/torch/generated';

/** Null when PyTorch imports, else a message saying how to get it. */
export function torchProblem() {
  const probe = spawnSync(
    PYTHON,
    ['-c', 'import torch, sys; print(torch.__version__, sys.version_info[:2])'],
    {
      encoding: 'utf8',
    },
  );
  if (probe.status === 0) return null;
  return (
    `${PYTHON} cannot import torch (${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}). ` +
    'The PyTorch tests need it: `apt-get install -y python3-torch` (what .ci/run does), or set ' +
    'FLOWFIELD_PYTHON to a Python with PyTorch ≥ 1.13.'
  );
}

/** Writes test/torch/generated/*.json; returns false (after saying why) when it could not. */
export function writeTorchFixtures() {
  const result = spawnSync(PYTHON, ['python/tests/make_parity_fixtures.py', FIXTURES], {
    stdio: 'inherit',
  });
  return result.status === 0;
}

/** Runs python/tests; returns { passed, failed, skipped } (a crash counts as one failure). */
export function runPythonTests() {
  console.log('\n[python tests] python/tests with ' + PYTHON);
  const result = spawnSync(PYTHON, ['python/tests/run_all.py'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(result.stdout ?? '');
  const line = (result.stdout ?? '').split('\n').find((l) => l.startsWith('PYTHON_TEST_COUNTS '));
  if (!line) return { passed: 0, failed: 1, skipped: 0 };
  return JSON.parse(line.slice('PYTHON_TEST_COUNTS '.length));
}

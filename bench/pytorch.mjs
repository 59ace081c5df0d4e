// `npm run bench -- --pytorch`: the PyTorch CPU side of the RealNVP and DDPM training workloads
// (python/bench.py, the exported models of python/flowfield_torch) in one process and in 2 DDP
// processes, reported next to Flowfield's steps/s of the same run, so users can see when it pays
// to leave the browser. Needs /usr/bin/python3 with PyTorch (or FLOWFIELD_PYTHON).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Runs python/bench.py; returns its rows, or a failure message. */
export function runPytorchBench(root, { seconds, batches }) {
  const python = process.env.FLOWFIELD_PYTHON ?? '/usr/bin/python3';
  const result = spawnSync(
    python,
    [
      path.join(root, 'python/bench.py'),
      '--seconds',
      String(seconds),
      '--batches',
      batches.join(','),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const rows = (result.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith('PYTORCH_BENCH '))
    .map((l) => JSON.parse(l.slice('PYTORCH_BENCH '.length)));
  const failure =
    result.status === 0 ? null : `python/bench.py exited with ${result.status ?? result.error}`;
  return { rows, failure };
}

/** One line per workload: Flowfield's steps/s of this run, PyTorch with 1 and 2 processes. */
export function formatPytorch(rows, results) {
  const groups = [...new Set(rows.map((r) => r.group))];
  const lines = [
    `PyTorch ${rows[0]?.torch ?? '?'} on the CPU next to Flowfield (steps/s, same workloads; DDP = gloo, global batch split over the processes)`,
    'group                  flowfield   pytorch 1 proc   pytorch 2 DDP',
  ];
  for (const group of groups) {
    const ours = results.find(
      (r) => r.group === group && r.impl === 'flowfield' && r.status === 'ok',
    );
    const rate = (n) => rows.find((r) => r.group === group && r.processes === n)?.stepsPerSecond;
    const cell = (v, width) => (v == null ? '—' : v.toFixed(1)).padStart(width);
    lines.push(
      `${group.padEnd(22)} ${cell(ours?.steps_per_s, 9)}   ${cell(rate(1), 14)}   ${cell(rate(2), 13)}`,
    );
  }
  return lines.join('\n');
}

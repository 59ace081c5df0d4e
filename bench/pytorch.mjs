// `npm run bench -- --pytorch`: the PyTorch CPU side of the RealNVP and DDPM training workloads
// (python/bench.py, the exported models of python/flowfield_torch) in one process and in 2 DDP
// processes, reported next to Flowfield's steps/s of the same run, so users can see when it pays
// to leave the browser. Needs /usr/bin/python3 with PyTorch (or FLOWFIELD_PYTHON).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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

/**
 * `--nice-parity`: the page's NICE result (bench/nice-parity.ts) → python/bench_image_parity.py,
 * which trains the same NICE from the same initial weights in PyTorch and evaluates both on the
 * same test images. Returns its JSON, or a failure message.
 */
export function runNiceParity(root, pageResult, tmpDir) {
  const python = process.env.FLOWFIELD_PYTHON ?? '/usr/bin/python3';
  const input = path.join(tmpDir, 'nice-parity-page.json');
  writeFileSync(input, JSON.stringify(pageResult));
  const result = spawnSync(python, [path.join(root, 'python/bench_image_parity.py'), input], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = (result.stdout ?? '').split('\n').find((l) => l.startsWith('NICE_PARITY '));
  if (result.status !== 0 || !line) {
    return {
      parity: null,
      failure: `python/bench_image_parity.py exited with ${result.status ?? result.error}`,
    };
  }
  return { parity: JSON.parse(line.slice('NICE_PARITY '.length)), failure: null };
}

/** The parity table: held-out bits/dim of Flowfield's and PyTorch's NICE after the same budget. */
export function formatNiceParity(p) {
  const c = p.config;
  const lines = [
    `NICE parity on ${c.dataset} ${c.size}×${c.size}: ${c.layers} couplings, hidden ${c.hidden} × ${c.hiddenLayers}, ${c.prior} prior, ` +
      `Adam lr ${c.learningRate}, batch ${c.batch}, ${c.steps} steps from the same initial weights (equal to PyTorch's own init: ${p.init_equal})`,
    `held-out bits/dim on all ${p.held_out_images} test images (one dequantization, evaluated in PyTorch):`,
    `  initial weights     ${p.init_bits_per_dim.toFixed(4)}`,
    `  Flowfield (WebGPU)  ${p.flowfield_bits_per_dim.toFixed(4)} ± ${p.flowfield_standard_error.toFixed(4)}   (the lab's own estimate: ${p.flowfield_lab_bits_per_dim.toFixed(4)}; trained in ${p.flowfield_train_seconds.toFixed(1)} s)`,
  ];
  for (const r of p.pytorch_runs) {
    lines.push(
      `  PyTorch (CPU)       ${r.bits_per_dim.toFixed(4)} ± ${r.standard_error.toFixed(4)}   (batch seed ${r.batch_seed}; trained in ${r.train_seconds.toFixed(1)} s)`,
    );
  }
  lines.push(
    `  difference Flowfield − PyTorch (mean of runs): ${p.difference >= 0 ? '+' : ''}${p.difference.toFixed(4)} bits/dim ` +
      `(target |Δ| ≤ 0.02: ${Math.abs(p.difference) <= 0.02 ? 'met' : 'NOT met'}; spread of the PyTorch runs ${p.pytorch_spread.toFixed(4)})`,
  );
  return lines.join('\n');
}

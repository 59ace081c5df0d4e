/**
 * The quality table of the flows issue: KL(p_data ‖ p_model) after a fixed step budget, for
 * every flow kind on data whose density is known exactly (8gaussians, checkerboard, a grid).
 * KL is the paired Monte-Carlo estimate mean(log p_data(x) − log p_model(x)) over fresh data
 * samples, with its standard error; NLL = −mean log p_model and H = −mean log p_data alongside.
 * Runs in the bench page with `npm run bench -- --quality`.
 */
import { gridFromFormula } from '../src/data/grid';
import type { DatasetSpec } from '../src/data/spec';
import type { GpuRuntime } from '../src/gpu';
import { openLab } from '../src/lab/lab';
import { FLOW_KINDS, type FlowKind } from '../src/models/flows/flow-spec';

export interface QualityResult {
  data: string;
  kind: FlowKind;
  steps: number;
  kl: number;
  kl_stderr: number;
  nll: number;
  entropy: number;
  train_seconds: number;
}

/** A ring of radius 2.5 with a brighter right half: a density only a grid can give exactly. */
function ringGrid(): DatasetSpec {
  return {
    grid: gridFromFormula(
      (x, y) => Math.exp(-((Math.hypot(x, y) - 2.5) ** 2) / 0.18) * (x > 0 ? 2 : 1),
      { width: 64, height: 64, bounds: [-4, -4, 4, 4] },
    ),
    seed: 1,
  };
}

const DATA: [string, () => DatasetSpec][] = [
  ['8gaussians', () => ({ name: '8gaussians', seed: 1 })],
  ['checkerboard', () => ({ name: 'checkerboard', seed: 1 })],
  ['grid ring', ringGrid],
];

export async function runQuality(
  runtime: GpuRuntime,
  steps: number,
  report: (result: QualityResult) => Promise<void>,
): Promise<void> {
  const lab = await openLab({ runtime });
  try {
    for (const [label, spec] of DATA) {
      for (const kind of FLOW_KINDS) {
        const data = lab.dataset(spec());
        const model = await lab.createModel({
          family: 'flow',
          kind,
          layers: 8,
          hidden: 64,
          seed: 1,
        });
        const started = performance.now();
        await lab.train(model, data, {
          steps,
          batch: 512,
          optimizer: {
            kind: 'adam',
            lr: 3e-3,
            clipNorm: 10,
            schedule: { kind: 'cosine', totalSteps: steps, lrMin: 1e-4 },
          },
        }).done;
        const trainSeconds = (performance.now() - started) / 1000;
        const points = await data.sample(20_000, { seed: 123 });
        const [logQ, logP] = await Promise.all([model.logProb(points), data.logProb(points)]);
        let sum = 0;
        let squares = 0;
        let nll = 0;
        let entropy = 0;
        for (let i = 0; i < logQ.length; i++) {
          const d = logP[i]! - logQ[i]!;
          sum += d;
          squares += d * d;
          nll -= logQ[i]!;
          entropy -= logP[i]!;
        }
        const n = logQ.length;
        const kl = sum / n;
        await report({
          data: label,
          kind,
          steps,
          kl,
          kl_stderr: Math.sqrt(Math.max(0, squares / n - kl * kl) / n),
          nll: nll / n,
          entropy: entropy / n,
          train_seconds: trainSeconds,
        });
        model.dispose();
        data.dispose();
      }
    }
  } finally {
    lab.dispose();
  }
}

/**
 * The diffusion quality-vs-compute table (#6): a DDPM (ε, linear β, T = 1000) and a
 * flow-matching model, both the default denoiser (2 + 32 → 128 × 3 → 2, silu), trained with the
 * same fixed budget on `8gaussians` and `checkerboard`, then every sampler at several step
 * counts: energy distance of its samples to fresh data, and — for the deterministic ODE samplers
 * — KL(p_data ‖ p_model) through logProb integrated with the sampler's own solver and steps
 * (paired Monte-Carlo over data points, ± standard error). The row "data" is the energy
 * distance between two fresh data sets: the noise floor of the column.
 * Runs in the bench page with `npm run bench -- --diffusion-quality[=steps]`.
 */
import type { DatasetSpec } from '../src/data/spec';
import type { GpuRuntime } from '../src/gpu';
import type { LabDiffusion } from '../src/lab/diffusion';
import { openLab } from '../src/lab/lab';
import { energyDistance } from '../src/models/diffusion/metrics';
import type { SampleOptions } from '../src/models/diffusion/model';
import type { OdeSolverName } from '../src/models/diffusion/solvers';

export interface DiffusionQualityResult {
  data: string;
  kind: 'ddpm' | 'flow-matching' | 'data';
  sampler: string;
  steps: number;
  nfe: number;
  energy: number;
  /** KL(p_data ‖ p_model) in nats, null where the sampler has no tractable density. */
  kl: number | null;
  kl_stderr: number | null;
  /** Wall time of the sampling call (ms, includes the readback). */
  sample_ms: number;
  train_steps: number;
  train_seconds: number;
  final_loss: number;
}

/** Points compared per energy distance (O(n²) on the CPU) and per KL estimate. */
const SAMPLES = 1000;
const KL_POINTS = 1000;
/**
 * The denoiser of the table: 2 + 32 → 64 × 3 → 2 (silu), a quarter of the default's cost, so
 * the whole table fits in minutes on a CPU adapter; batch 512, Adam 2e-3 with cosine decay.
 */
export const QUALITY_MODEL = { hidden: 64, layers: 3, batch: 512 } as const;

interface SamplerRow {
  sampler: NonNullable<SampleOptions['sampler']>;
  steps: number;
  eta?: number;
  /** The solver whose likelihood is this sampler's density (deterministic samplers). */
  density?: OdeSolverName;
}

const DDPM_ROWS: SamplerRow[] = [
  { sampler: 'ddpm', steps: 1000 },
  ...[10, 20, 50, 100, 250].map((steps) => ({ sampler: 'ddim' as const, steps })),
  { sampler: 'ddim', steps: 50, eta: 1 },
  ...[10, 25, 50, 100].map((steps) => ({
    sampler: 'pf-euler' as const,
    steps,
    density: 'euler' as const,
  })),
  ...[5, 10, 25, 50].map((steps) => ({
    sampler: 'pf-heun' as const,
    steps,
    density: 'heun' as const,
  })),
];

const FLOW_ROWS: SamplerRow[] = (
  [
    ['euler', [5, 10, 20, 50]],
    ['midpoint', [3, 5, 10, 25]],
    ['heun', [3, 5, 10, 25]],
    ['rk4', [2, 5, 10, 20]],
  ] as const
).flatMap(([solver, counts]) =>
  counts.map((steps) => ({ sampler: solver, steps, density: solver })),
);

const DATA: [string, DatasetSpec][] = [
  ['8gaussians', { name: '8gaussians', seed: 1 }],
  ['checkerboard', { name: 'checkerboard', seed: 1 }],
];

/** `only`: run just the data × model pairs whose `data/kind` contains one of these terms. */
export async function runDiffusionQuality(
  runtime: GpuRuntime,
  steps: number,
  report: (result: DiffusionQualityResult) => Promise<void>,
  only: readonly string[] = [],
): Promise<void> {
  const selected = (pair: string) => only.length === 0 || only.some((t) => pair.includes(t));
  const lab = await openLab({ runtime });
  try {
    for (const [label, spec] of DATA) {
      if (!selected(`${label}/ddpm`) && !selected(`${label}/flow-matching`)) continue;
      const data = lab.dataset(spec);
      const [reference, floor, klPoints] = await Promise.all([
        data.sample(SAMPLES, { seed: 101 }),
        data.sample(SAMPLES, { seed: 102 }),
        data.sample(KL_POINTS, { seed: 103 }),
      ]);
      const logData = await data.logProb(klPoints);
      const base = { data: label, train_steps: steps, train_seconds: 0, final_loss: NaN };
      await report({
        ...base,
        kind: 'data',
        sampler: 'fresh data',
        steps: 0,
        nfe: 0,
        energy: energyDistance(floor, reference),
        kl: 0,
        kl_stderr: 0,
        sample_ms: 0,
      });
      for (const kind of ['ddpm', 'flow-matching'] as const) {
        if (!selected(`${label}/${kind}`)) continue;
        const model = (await lab.createModel({
          family: 'diffusion',
          kind,
          hidden: QUALITY_MODEL.hidden,
          layers: QUALITY_MODEL.layers,
          seed: 1,
        })) as LabDiffusion;
        const started = performance.now();
        const summary = await lab.train(model, data, {
          steps,
          batch: QUALITY_MODEL.batch,
          optimizer: {
            kind: 'adam',
            lr: 2e-3,
            emaDecay: 0.995,
            schedule: { kind: 'cosine', totalSteps: steps, lrMin: 1e-4 },
          },
        }).done;
        const trained = {
          ...base,
          kind,
          train_seconds: (performance.now() - started) / 1000,
          final_loss: summary.finalLoss,
        };
        for (const row of kind === 'ddpm' ? DDPM_ROWS : FLOW_ROWS) {
          const options = { sampler: row.sampler, steps: row.steps, eta: row.eta, seed: 7 };
          const t0 = performance.now();
          const samples = await model.sample(SAMPLES, options);
          const sampleMs = performance.now() - t0;
          const nfe = model.lastNfe;
          let kl: number | null = null;
          let stderr: number | null = null;
          if (row.density) {
            const logModel = await model.logProb(klPoints, {
              steps: row.steps,
              solver: row.density,
            });
            [kl, stderr] = pairedMean(logData, logModel);
          }
          await report({
            ...trained,
            sampler: row.eta === undefined ? row.sampler : `${row.sampler} η=${row.eta}`,
            steps: row.steps,
            nfe,
            energy: energyDistance(samples, reference),
            kl,
            kl_stderr: stderr,
            sample_ms: sampleMs,
          });
        }
        model.dispose();
      }
      data.dispose();
    }
  } finally {
    lab.dispose();
  }
}

/** mean(a − b) and its standard error. */
function pairedMean(a: ArrayLike<number>, b: ArrayLike<number>): [number, number] {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d;
    squares += d * d;
  }
  const n = a.length;
  const mean = sum / n;
  return [mean, Math.sqrt(Math.max(0, squares / n - mean * mean) / n)];
}

/**
 * Straightness vs compute (#6 stretch goals): flow matching with independent pairs, with exact
 * minibatch-OT pairs, and a reflow student, all with the same denoiser (2 + 32 → 64 × 3 → 2,
 * silu) and batch. The independent and OT models train the same `steps`; the reflow student
 * starts from the independent model's weights and trains `steps / 2` more on 8192 pairs of its
 * RK4-20 ODE. Per model and few-step Euler sampler (NFE 1, 2, 4) and RK4-20: the energy distance
 * of 1000 samples to 1000 data points, and the paired gap E‖x_sampler(z) − x_RK4-20(z)‖² to the
 * model's own (reflow: its teacher's) RK4-20 image of the same noise z — 0 for a straight flow.
 * Runs in the bench page with `npm run bench -- --filter none --straightness[=steps]`.
 */
import type { DatasetSpec } from '../src/data/spec';
import type { GpuRuntime } from '../src/gpu';
import type { LabDiffusion } from '../src/lab/diffusion';
import { openLab } from '../src/lab/lab';
import { energyDistance } from '../src/models/diffusion/metrics';
import type { Pairing } from '../src/models/diffusion/spec';

export interface StraightnessResult {
  data: string;
  /** 'independent' | 'minibatch-ot' | 'reflow', or 'data' for the floor row. */
  model: string;
  sampler: string;
  steps: number;
  nfe: number;
  energy: number;
  /** Mean squared distance to the reference RK4-20 image of the same z (null for data). */
  gap: number | null;
  train_steps: number;
  train_seconds: number;
  final_loss: number;
}

const SAMPLES = 1000;
const MODEL = { hidden: 64, layers: 3 } as const;
/** Batch of every model: the OT pairing costs O(batch³) per step on one workgroup. */
export const STRAIGHTNESS_BATCH = 128;
const PAIRS = 8192;
const SAMPLERS = [
  { sampler: 'euler', steps: 1 },
  { sampler: 'euler', steps: 2 },
  { sampler: 'euler', steps: 4 },
  { sampler: 'rk4', steps: 20 },
] as const;

const DATA: [string, DatasetSpec][] = [
  ['8gaussians', { name: '8gaussians', seed: 1 }],
  ['moons', { name: 'moons', seed: 1 }],
];

export async function runStraightness(
  runtime: GpuRuntime,
  steps: number,
  report: (result: StraightnessResult) => Promise<void>,
): Promise<void> {
  const lab = await openLab({ runtime });
  const optimizer = (total: number) =>
    ({
      kind: 'adam',
      lr: 2e-3,
      emaDecay: 0.995,
      schedule: { kind: 'cosine', totalSteps: total, lrMin: 1e-4 },
    }) as const;
  try {
    for (const [label, spec] of DATA) {
      const data = lab.dataset(spec);
      const [reference, floor] = await Promise.all([
        data.sample(SAMPLES, { seed: 101 }),
        data.sample(SAMPLES, { seed: 102 }),
      ]);
      await report({
        data: label,
        model: 'data',
        sampler: 'fresh data',
        steps: 0,
        nfe: 0,
        energy: energyDistance(floor, reference),
        gap: null,
        train_steps: 0,
        train_seconds: 0,
        final_loss: NaN,
      });
      const models = new Map<Pairing, LabDiffusion>();
      const base = { family: 'diffusion', kind: 'flow-matching', ...MODEL, seed: 1 } as const;
      const evaluate = async (
        pairing: Pairing,
        model: LabDiffusion,
        truthModel: LabDiffusion,
        trained: { steps: number; seconds: number; loss: number },
      ) => {
        const truth = await truthModel.sample(SAMPLES, { sampler: 'rk4', steps: 20, seed: 7 });
        for (const row of SAMPLERS) {
          const samples = await model.sample(SAMPLES, { ...row, seed: 7 });
          let gap = 0;
          for (let i = 0; i < samples.length; i++) gap += (samples[i]! - truth[i]!) ** 2;
          await report({
            data: label,
            model: pairing,
            sampler: row.sampler,
            steps: row.steps,
            nfe: model.lastNfe,
            energy: energyDistance(samples, reference),
            gap: gap / SAMPLES,
            train_steps: trained.steps,
            train_seconds: trained.seconds,
            final_loss: trained.loss,
          });
        }
      };
      for (const pairing of ['independent', 'minibatch-ot'] as const) {
        const model = (await lab.createModel({ ...base, pairing })) as LabDiffusion;
        models.set(pairing, model);
        const started = performance.now();
        const summary = await lab.train(model, data, {
          steps,
          batch: STRAIGHTNESS_BATCH,
          optimizer: optimizer(steps),
        }).done;
        const seconds = (performance.now() - started) / 1000;
        await evaluate(pairing, model, model, { steps, seconds, loss: summary.finalLoss });
      }
      const teacher = models.get('independent')!;
      const started = performance.now();
      const pairs = await lab.reflowPairs(teacher, { count: PAIRS, sampler: 'rk4', steps: 20 });
      const student = (await lab.createModel({ ...base, pairing: 'reflow' })) as LabDiffusion;
      student.importParams(await teacher.exportParams());
      const reflowSteps = Math.max(1, Math.round(steps / 2));
      const summary = await lab.train(student, pairs, {
        steps: reflowSteps,
        batch: STRAIGHTNESS_BATCH,
        optimizer: optimizer(reflowSteps),
      }).done;
      const seconds = (performance.now() - started) / 1000;
      await evaluate('reflow', student, teacher, {
        steps: reflowSteps,
        seconds,
        loss: summary.finalLoss,
      });
      for (const item of [student, pairs, ...models.values(), data]) item.dispose();
    }
  } finally {
    lab.dispose();
  }
}

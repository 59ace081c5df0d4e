/**
 * The worker road, timed (#18's "no slowdown" check): dataset → model → run through the
 * worker's LabApi over comlink, as the page drives it, for a RealNVP and a DDPM on 8gaussians
 * (a 50-step warm-up run compiles; then `steps` steps at batch 512), then sampling. Bundled with
 * a tree's worker by run.mjs; the result lands in window.__result.
 */
import { wrap, type Remote } from 'comlink';
import type { LabApi } from '../../src/worker/api';

type ModelSpec = Parameters<LabApi['createModel']>[0];

declare global {
  interface Window {
    __result?: Record<string, number>;
    __error?: string;
  }
}

const SPECS: Record<string, ModelSpec> = {
  realnvp: { family: 'flow', kind: 'realnvp', layers: 8, hidden: 64, seed: 1 },
  ddpm: { family: 'diffusion', kind: 'ddpm', timesteps: 1000, hidden: 128, layers: 3, seed: 1 },
};
const OPTIMIZER = { kind: 'adam', lr: 1e-3 } as const;

async function main(): Promise<void> {
  const steps = Number(new URLSearchParams(location.search).get('steps') ?? 300);
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const api = wrap(worker) as unknown as Remote<LabApi>;
  const data = (await api.createDataset({ name: '8gaussians', seed: 3 })).id;
  const out: Record<string, number> = {};
  for (const [name, spec] of Object.entries(SPECS)) {
    const model = (await api.createModel(spec)).id;
    const warm = await api.createRun(model, data, { steps: 50, batch: 512, optimizer: OPTIMIZER });
    await api.start(warm);
    await api.waitForRun(warm);
    await api.disposeRun(warm);
    const run = await api.createRun(model, data, { steps, batch: 512, optimizer: OPTIMIZER });
    const started = performance.now();
    await api.start(run);
    const end = await api.waitForRun(run);
    const seconds = (performance.now() - started) / 1000;
    if (end.state !== 'done' || end.step !== steps) {
      throw new Error(`${name}: expected done at step ${steps}, got ${end.state} at ${end.step}`);
    }
    out[`${name}_train_steps_per_s`] = steps / seconds;
    await api.disposeRun(run);
    await api.sample(model, 1024, { seed: 0 });
    const [reps, count] = name === 'ddpm' ? [1, 4096] : [5, 16384];
    const sampling = performance.now();
    for (let i = 0; i < reps; i++) await api.sample(model, count, { seed: i + 1 });
    out[`${name}_sample_points_per_s`] = (reps * count) / ((performance.now() - sampling) / 1000);
    await api.disposeModel(model);
  }
  window.__result = out;
}

main().catch((error: unknown) => {
  window.__error = String(error instanceof Error ? (error.stack ?? error) : error);
});

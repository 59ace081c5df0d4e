/**
 * Sampling paths timed against each other in one page (issue #19): the bench's RealNVP
 * generator layer by layer and fused, and its diffusion samplers staged and fused, each call
 * timed to the end of the device's work, fastest of several rounds taken in turns. Not a test
 * (it asserts nothing): run it through the test runner, which gives it a WebGPU page:
 *   TEST_FILES=bench/profile/sampling.profile.ts npm run test:browser
 * The table is in the browser log; compare figures from one run only.
 */
import { DiffusionModel } from '../../src/models/diffusion/model';
import { FlowModel } from '../../src/models/flows/flow-model';
import { fusedInverseTuning } from '../../src/models/flows/fused-inverse';
import { testGpu } from '../../test/support/gpu';
import { DIFFUSION_SAMPLE_WORKLOADS, REALNVP_WORKLOADS } from '../cases/workloads';

const ROUNDS = 3;
const DIFFUSION = true;

/** Fastest wall time (ms) of each variant over ROUNDS rounds, the variants in turns. */
async function race(
  device: GPUDevice,
  variants: Record<string, () => Promise<{ dispose(): void }>>,
): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (const call of Object.values(variants)) (await call()).dispose(); // compile, warm
  await device.queue.onSubmittedWorkDone();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, call] of Object.entries(variants)) {
      const start = performance.now();
      const out = await call();
      await device.queue.onSubmittedWorkDone();
      best[name] = Math.min(best[name] ?? Infinity, performance.now() - start);
      out.dispose();
    }
  }
  return best;
}

describe('profile', () => {
  it('sampling: fused against layer-by-layer / staged', async function () {
    this.timeout(900_000);
    const gpu = await testGpu();
    const lines: string[] = [];
    const c = REALNVP_WORKLOADS.find((w) => w.kind === 'sample')!.config;
    const makeFlow = (activation: 'tanh' | 'relu' = c.conditionerActivation) =>
      FlowModel.create(gpu, {
        family: 'flow',
        kind: 'realnvp',
        layers: c.couplings,
        hidden: c.conditionerHidden[0]!,
        hiddenLayers: c.conditionerHidden.length,
        activation,
        seed: 1,
      });
    const flow = await makeFlow();
    const variants: [number, number][] = [[8, 16]];
    const flows: FlowModel[] = [];
    for (const [s, wg] of variants) {
      fusedInverseTuning.cpuSamples = s;
      fusedInverseTuning.cpuWorkgroup = wg;
      const f = await makeFlow();
      (await f.sampleToBuffer(8, { seed: 1, fused: true })).dispose();
      flows.push(f);
    }
    const reluFlow = await makeFlow('relu');
    for (const n of [64, 512, 4096]) {
      const calls: Record<string, () => Promise<{ dispose(): void }>> = {
        layered: () => flow.sampleToBuffer(n, { seed: 1, fused: false }),
      };
      variants.forEach(([s, wg], i) => {
        calls[`fused S${s} WG${wg}`] = () => flows[i]!.sampleToBuffer(n, { seed: 1, fused: true });
      });
      calls['fused relu'] = () => reluFlow.sampleToBuffer(n, { seed: 1, fused: true });
      const t = await race(gpu.device, calls);
      lines.push(`realnvp n=${n}: ${JSON.stringify(t)}`);
    }
    flow.dispose();
    flows.forEach((f) => f.dispose());
    if (!DIFFUSION) {
      console.log(lines.join('\n'));
      return;
    }
    for (const w of DIFFUSION_SAMPLE_WORKLOADS.filter((x) => !x.explicit)) {
      const d = w.config;
      const model = await DiffusionModel.create(gpu, {
        family: 'diffusion',
        kind: d.kind,
        ...(d.kind === 'ddpm' ? { timesteps: d.timesteps, schedule: 'linear' as const } : {}),
        hidden: d.hidden[0]!,
        layers: d.hidden.length,
        activation: d.activation,
        timeEmbedding: d.timeEmbedding,
        seed: 1,
      });
      const n = 1024;
      const options = { sampler: d.sampler, steps: d.steps, seed: 3 };
      const t = await race(gpu.device, {
        staged: () => model.sampleToBuffer(n, { ...options, fused: false }),
        fused: () => model.sampleToBuffer(n, { ...options, fused: true }),
      });
      lines.push(`${w.group} n=${n}: ${JSON.stringify(t)}`);
      model.dispose();
    }
    console.log(lines.join('\n'));
  });
});

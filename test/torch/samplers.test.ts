/**
 * Sampler and likelihood parity with PyTorch (python/flowfield_torch/sampling.py): every DDPM
 * sampler (ancestral 'ddpm', 'ddim', 'pf-euler', 'pf-heun') and every flow-matching solver
 * ('euler', 'midpoint', 'heun', 'rk4'), and the probability-flow / flow-matching log p, on the
 * same weights (small models trained 150 steps in PyTorch) from the same noise: PyTorch was
 * given the playground's Philox normals (initial z and every ancestral step's noise) by
 * python/tests/make_sampler_fixtures.py, written before this run.
 * - PyTorch in float64 against the playground's float64 twin (CpuDiffusionModel: the same
 *   plans run on the CPU): the time grids, coefficients and defaults must be the same, so they
 *   agree to float32 rounding of the twin's output (1e-6 relative).
 * - PyTorch in float32 against the GPU model: within 1e-3 relative for samples and 1e-3 nats
 *   for log p (the GPU's float32 time features limit agreement, as in roundtrip.test.ts).
 */
import { expect } from '@esm-bundle/chai';
import { CpuDiffusionModel } from '../../src/models/diffusion/cpu-model';
import { DiffusionModel } from '../../src/models/diffusion/model';
import { ReflowPairs } from '../../src/models/diffusion/reflow';
import { initialNoise } from '../../src/models/diffusion/reference/plan-runner';
import type { DiffusionSampler, FlowSampler } from '../../src/models/diffusion/plan';
import type { DiffusionModelSpec } from '../../src/models/diffusion/spec';
import type { ModelSettings } from '../../src/notebook/schema';
import { modelSpec } from '../../src/specs';
import { testGpu } from '../support/gpu';
import { normRelativeError } from '../models/flows/layer-checks';

interface SamplerCase {
  settings: ModelSettings;
  normalization: { shift: [number, number]; scale: [number, number] };
  params: number[];
  seed: number;
  runs: { sampler: string; steps: number | null; samples64: number[]; samples32: number[] }[];
  points: number[];
  likelihoodSteps: number;
  logProb64: number[];
  logProb32: number[];
  reflow?: { count: number; steps: number; x: number[]; z: number[] };
}

let fixtures: Promise<Record<string, SamplerCase>> | undefined;
function loadFixtures(): Promise<Record<string, SamplerCase>> {
  fixtures ??= fetch('/test/torch/generated/samplers.json').then((r) => {
    if (!r.ok) {
      throw new Error(
        `test/torch/generated/samplers.json is missing (HTTP ${r.status}): run the tests with ` +
          '`npm run test:browser`, which writes it with /usr/bin/python3 and PyTorch first.',
      );
    }
    return r.json().then((d: { cases: Record<string, SamplerCase> }) => d.cases);
  });
  return fixtures;
}

function worstAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

const CASES = ['ddpm-eps-linear', 'ddpm-v-cosine', 'flow-matching'];

describe('PyTorch samplers and likelihoods equal the playground’s', () => {
  for (const name of CASES) {
    it(`${name}: every sampler from the same noise, and log p`, async () => {
      const c = (await loadFixtures())[name]!;
      const spec = modelSpec(c.settings) as DiffusionModelSpec;
      const params = Float32Array.from(c.params);
      const twin = new CpuDiffusionModel(spec);
      twin.importParams(params);
      twin.normalization = c.normalization;
      const gpu = await testGpu();
      const model = await DiffusionModel.create(gpu, spec);
      try {
        model.importParams(params);
        model.normalization = c.normalization;
        for (const run of c.runs) {
          const n = run.samples64.length / 2;
          const choice = {
            sampler: run.sampler as DiffusionSampler | FlowSampler,
            ...(run.steps === null ? {} : { steps: run.steps }),
            seed: c.seed,
          };
          const cpu = twin.sample(n, choice);
          const onGpu = await model.sample(n, choice);
          const twinError = normRelativeError(cpu, run.samples64);
          const gpuError = normRelativeError(onGpu, run.samples32);
          console.log(
            `[torch samplers] ${name} ${run.sampler} (${run.steps ?? 'T'} steps): float64 twin ` +
              `${twinError.toExponential(2)}, GPU ${gpuError.toExponential(2)} ` +
              `(max |Δ| ${worstAbs(onGpu, run.samples32).toExponential(2)})`,
          );
          expect(twinError, `${run.sampler}: float64 twin`).to.be.below(1e-6);
          expect(gpuError, `${run.sampler}: GPU`).to.be.below(1e-3);
        }
        const steps = c.likelihoodSteps;
        const cpuLogProb = twin.logProb(c.points, { steps });
        const gpuLogProb = await model.logProb(c.points, { steps, solver: 'rk4' });
        const twinGap = worstAbs(cpuLogProb, c.logProb64);
        const gpuGap = worstAbs(gpuLogProb, c.logProb32);
        console.log(
          `[torch samplers] ${name} log p (${steps} RK4 steps): float64 twin max |Δ| ` +
            `${twinGap.toExponential(2)} nats, GPU ${gpuGap.toExponential(2)} nats`,
        );
        expect(twinGap, 'log p, float64 twin (nats)').to.be.below(1e-5);
        expect(gpuGap, 'log p, GPU (nats)').to.be.below(1e-3);
      } finally {
        model.dispose();
      }
    });
  }

  it("reflow pairs: PyTorch's teacher carries the same z to the same x as the playground's", async () => {
    const c = (await loadFixtures())['flow-matching']!;
    const reflow = c.reflow!;
    const gpu = await testGpu();
    const teacher = await DiffusionModel.create(gpu, modelSpec(c.settings) as DiffusionModelSpec);
    try {
      teacher.importParams(Float32Array.from(c.params));
      teacher.normalization = c.normalization;
      const pairs = await ReflowPairs.create(gpu, teacher, {
        count: reflow.count,
        steps: reflow.steps,
        seed: c.seed,
      });
      const { x, z } = await pairs.read();
      pairs.dispose();
      const zGap = worstAbs(z, reflow.z);
      const zError = normRelativeError(z, reflow.z);
      const xError = normRelativeError(x, reflow.x);
      console.log(
        `[torch samplers] reflow pairs (${reflow.count}, RK4 ${reflow.steps} steps): max |Δz| ` +
          `${zGap.toExponential(2)} (‖Δz‖/‖z‖ ${zError.toExponential(2)}), ‖Δx‖/‖x‖ ${xError.toExponential(2)}`,
      );
      // z: Python's are the playground's Philox normals (its float64 twin, to float32 rounding);
      // the GPU's float32 Box–Muller (SwiftShader's log and cos) differs by ~1e-4 relative.
      const twinZ = initialNoise(c.seed, reflow.count);
      expect(worstAbs(twinZ, reflow.z), 'z against the twin').to.be.below(1e-6);
      expect(zError, 'z against the GPU').to.be.below(1e-3);
      expect(xError, 'x').to.be.below(1e-3);
    } finally {
      teacher.dispose();
    }
  });
});

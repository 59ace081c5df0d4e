/**
 * The fused sampler (shaders/diffusion/fused-sampler.wgsl: many stages per dispatch, the network
 * evaluated in the kernel) against the staged path (two dispatches per network evaluation) and
 * the float64 twin, same weights and seed: the same points to float32 rounding, the same NFE,
 * far fewer dispatches. Samples counts that are not multiples of the samples per invocation,
 * and runs split into chunks (the Philox index continues across them).
 */
import { expect } from '@esm-bundle/chai';
import { FusedMlp } from '../../../src/nn/fused-mlp';
import { addMlpParameters, type MlpShape } from '../../../src/nn/mlp-shape';
import { ParameterLayout } from '../../../src/nn/parameters';
import type { EmbeddingShape } from '../../../src/nn/reference/embedding';
import { createDenoiserNet, addDenoiserParameters } from '../../../src/models/diffusion/denoiser';
import { diffusionSamplePlan, flowSamplePlan, type Plan } from '../../../src/models/diffusion/plan';
import { PlanRunner } from '../../../src/models/diffusion/plan-runner';
import {
  initialNoise,
  mlpDenoiser,
  runPlan,
} from '../../../src/models/diffusion/reference/plan-runner';
import { makeSchedule } from '../../../src/models/diffusion/schedule';
import { STORAGE_USAGE } from '../../../src/gpu';
import { testGpu } from '../../support/gpu';
import { uploadFloats } from '../../support/gpu-helpers';

const EMBEDDING: EmbeddingShape = { dims: 2, features: 8, scale: 10, maxPeriod: 1e4 };
const SHAPE: MlpShape = { inputs: 10, hidden: 16, hiddenLayers: 2, outputs: 2, activation: 'silu' };

/** max |a − b| / max(1, |b|). */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < b.length; i++) {
    w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  }
  return w;
}

describe('fused sampler: many stages per dispatch, the same samples', () => {
  // v-prediction, as in gpu-twin.test.ts: a random v-network behaves like a denoiser.
  const schedule = makeSchedule({ kind: 'linear', timesteps: 40 });
  const cases: [string, Plan][] = [
    ['DDPM ancestral (β̃), T = 40', diffusionSamplePlan(schedule, 'v', { sampler: 'ddpm' })],
    [
      'DDIM η = 0.5, 8 steps',
      diffusionSamplePlan(schedule, 'v', { sampler: 'ddim', steps: 8, eta: 0.5 }),
    ],
    ['PF-ODE Heun, 6 steps', diffusionSamplePlan(schedule, 'v', { sampler: 'pf-heun', steps: 6 })],
    ['flow matching RK4, 5 steps', flowSamplePlan({ sampler: 'rk4', steps: 5 })],
    ['flow matching Euler, 1 step', flowSamplePlan({ sampler: 'euler', steps: 1 })],
  ];
  const layout = new ParameterLayout();
  addMlpParameters(layout, 'denoiser', SHAPE);
  const params = Float32Array.from(layout.initialize(11), (v) => 2 * v);

  for (const [label, plan] of cases) {
    it(`${label}: fused = staged = twin, NFE unchanged, fewer dispatches`, async () => {
      const gpu = await testGpu();
      const runner = new PlanRunner(
        gpu,
        await FusedMlp.create(gpu, SHAPE, { training: false }),
        EMBEDDING,
      );
      const weights = uploadFloats(gpu, params, 'weights');
      const n = 70; // not a multiple of the samples per invocation
      const common = { count: n, seed: 4, params: weights.binding, paramOffset: 0 };
      const fused = await runner.run(plan, { ...common, chunk: 32, fused: true });
      const staged = await runner.run(plan, common);
      weights.dispose();
      const twin = runPlan(
        plan,
        mlpDenoiser(params, 0, SHAPE, EMBEDDING),
        initialNoise(4, n),
        n,
        4,
      );
      expect(fused.nfe).to.equal(plan.nfe);
      expect(staged.dispatches).to.equal(2 * plan.nfe + 2);
      expect(fused.dispatches).to.be.at.most(3).and.below(staged.dispatches);
      expect(worst(fused.x, staged.x), `${label}: fused vs staged`).to.be.below(1e-4);
      expect(worst(fused.x, twin.x), `${label}: fused vs twin`).to.be.below(1e-3);
    });
  }

  it('the residual denoiser (resmlp) too, and results written into a GPU buffer', async () => {
    const gpu = await testGpu();
    const architecture = {
      architecture: 'resmlp',
      inputs: 10,
      hidden: 16,
      depth: 2,
      activation: 'tanh',
    } as const;
    const net = await createDenoiserNet(gpu, architecture, { training: false });
    const runner = new PlanRunner(gpu, net, EMBEDDING);
    const resLayout = new ParameterLayout();
    addDenoiserParameters(resLayout, 'denoiser', architecture);
    const resParams = Float32Array.from(resLayout.initialize(5), (v) => 2 * v);
    const weights = uploadFloats(gpu, resParams, 'weights');
    const plan = diffusionSamplePlan(schedule, 'v', { sampler: 'ddim', steps: 10 });
    const common = { count: 45, seed: 9, params: weights.binding, paramOffset: 0 };
    const target = gpu.pool.acquire(45 * 8, STORAGE_USAGE, 'samples');
    await runner.runInto(plan, { ...common, fused: true }, { points: target.buffer });
    const fused = await gpu.readback.readFloat32(target.buffer, 0, 90);
    const staged = await runner.run(plan, common);
    target.dispose();
    weights.dispose();
    const twin = runPlan(
      plan,
      mlpDenoiser(resParams, 0, net.shape, EMBEDDING, true),
      initialNoise(9, 45),
      45,
      9,
    );
    expect(worst(fused, staged.x)).to.be.below(1e-4);
    // Ten DDIM steps of a random residual tanh network amplify float32 rounding to ~2e-3 on
    // both GPU paths alike: the fused one is no farther from the twin than the staged one.
    const stagedError = worst(staged.x, twin.x);
    expect(stagedError).to.be.below(5e-3);
    expect(worst(fused, twin.x)).to.be.below(stagedError + 1e-4);
  });
});

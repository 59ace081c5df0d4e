import { expect } from '@esm-bundle/chai';
import { gaussianLogDensity, type Gaussian2 } from '../../../src/models/diffusion/gaussian';
import { energyDistance, sampleMoments } from '../../../src/models/diffusion/metrics';
import {
  diffusionLikelihoodPlan,
  diffusionSamplePlan,
  flowLikelihoodPlan,
  flowSamplePlan,
  type Plan,
} from '../../../src/models/diffusion/plan';
import {
  gaussianDiffusionDenoiser,
  gaussianFlowDenoiser,
  initialNoise,
  mlpDenoiser,
  runPlan,
  type CpuDenoiser,
} from '../../../src/models/diffusion/reference/plan-runner';
import { makeSchedule } from '../../../src/models/diffusion/schedule';
import { addMlpParameters, type MlpShape } from '../../../src/nn/mlp-shape';
import { ParameterLayout } from '../../../src/nn/parameters';
import { gaussianPoints, maxAbsDifference } from './helpers';

const DATA: Gaussian2 = { mean: [1, -0.5], covariance: [0.5, 0.3, 0.8] };
const COSINE = makeSchedule({ kind: 'cosine', timesteps: 1000 });
const LINEAR = makeSchedule({ kind: 'linear', timesteps: 1000 });

function expectDataMoments(points: Float64Array, label: string) {
  const n = points.length / 2;
  const { mean, covariance } = sampleMoments(points);
  // ~4 standard errors of the mean and of the (co)variances.
  const meanTolerance = 4 * Math.sqrt(0.8 / n);
  const covTolerance = 4 * 0.8 * Math.sqrt(2 / n);
  expect(mean[0], `${label} mean x`).to.be.closeTo(DATA.mean[0], meanTolerance);
  expect(mean[1], `${label} mean y`).to.be.closeTo(DATA.mean[1], meanTolerance);
  covariance.forEach((c, i) =>
    expect(c, `${label} covariance ${i}`).to.be.closeTo(DATA.covariance[i]!, covTolerance),
  );
}

function sample(plan: Plan, model: CpuDenoiser, n: number, seed: number) {
  return runPlan(plan, model, initialNoise(seed, n), n, seed).x;
}

/** Max |model log p − exact log p| over points drawn from the data. */
function logProbError(plan: Plan, model: CpuDenoiser): number {
  const points = gaussianPoints(DATA, 40, 11);
  const { logProb } = runPlan(plan, model, points, 40);
  let worst = 0;
  for (let i = 0; i < 40; i++) {
    const exact = gaussianLogDensity(DATA, [points[2 * i]!, points[2 * i + 1]!]);
    worst = Math.max(worst, Math.abs(logProb![i]! - exact));
  }
  return worst;
}

describe('closed-form Gaussian data: the whole sampling and likelihood path', () => {
  it('flow matching: RK4-20 reproduces N(μ, Σ); logProb equals log N within 1e-3 nats', () => {
    const model = gaussianFlowDenoiser(DATA);
    expectDataMoments(sample(flowSamplePlan({ sampler: 'rk4', steps: 20 }), model, 3000, 1), 'fm');
    const error = logProbError(flowLikelihoodPlan({ steps: 50 }), model);
    expect(error).to.be.below(1e-3);
  });

  for (const prediction of ['eps', 'v'] as const) {
    it(`diffusion (${prediction}): DDPM, DDIM and PF-ODE Heun reproduce N(μ, Σ)`, () => {
      const model = gaussianDiffusionDenoiser(DATA, prediction);
      const cases = [
        diffusionSamplePlan(COSINE, prediction, { sampler: 'ddpm' }),
        diffusionSamplePlan(COSINE, prediction, { sampler: 'ddim', steps: 50, eta: 0 }),
        diffusionSamplePlan(COSINE, prediction, { sampler: 'ddim', steps: 50, eta: 1 }),
        diffusionSamplePlan(LINEAR, prediction, { sampler: 'pf-heun', steps: 50 }),
      ];
      cases.forEach((plan, i) => expectDataMoments(sample(plan, model, 1500, 2 + i), `case ${i}`));
    });

    it(`diffusion (${prediction}): PF-ODE logProb (RK4, exact divergence) within 1e-3 nats`, () => {
      const model = gaussianDiffusionDenoiser(DATA, prediction);
      const plan = diffusionLikelihoodPlan(COSINE, prediction, { steps: 100 });
      expect(plan.nfe).to.equal(400);
      expect(logProbError(plan, model)).to.be.below(1e-3);
    });
  }

  it('linear schedule: logProb is off only by the prior mismatch √ᾱ_T·|μ|·|z| (< 0.03 nats)', () => {
    // x_T = √ᾱ_T x_0 + … is N(√ᾱ_T μ, …), not N(0, I): with ᾱ_T = 4e-5 and |μ| ≈ 1 that is a
    // pointwise log-density error of order 0.006·|z|, which the cosine schedule (ᾱ_T ≈ 2e-9)
    // does not have.
    const model = gaussianDiffusionDenoiser(DATA, 'eps');
    const error = logProbError(diffusionLikelihoodPlan(LINEAR, 'eps', { steps: 100 }), model);
    expect(error).to.be.below(0.03);
  });

  it('DDIM with η = 0 is deterministic and is exactly the PF-ODE Euler method', () => {
    const model = gaussianDiffusionDenoiser(DATA, 'eps');
    const ddim = diffusionSamplePlan(LINEAR, 'eps', { sampler: 'ddim', steps: 25 });
    const z = initialNoise(5, 50);
    const a = runPlan(ddim, model, z, 50, 1).x;
    const b = runPlan(ddim, model, z, 50, 2).x; // other stage noise: unused
    expect(a).to.deep.equal(b);
    const euler = diffusionSamplePlan(LINEAR, 'eps', { sampler: 'pf-euler', steps: 25 });
    expect(maxAbsDifference(a, runPlan(euler, model, z, 50, 1).x)).to.be.below(1e-9);
  });

  it('DDIM with η = 1 over all steps is DDPM ancestral (β̃), given the same noise', () => {
    const schedule = makeSchedule({ kind: 'linear', timesteps: 100 });
    const model = gaussianDiffusionDenoiser(DATA, 'v');
    const ddim = diffusionSamplePlan(schedule, 'v', { sampler: 'ddim', steps: 100, eta: 1 });
    const ddpm = diffusionSamplePlan(schedule, 'v', { sampler: 'ddpm' });
    const z = initialNoise(8, 64);
    const a = runPlan(ddim, model, z, 64, 8).x;
    expect(maxAbsDifference(a, runPlan(ddpm, model, z, 64, 8).x)).to.be.below(1e-9);
    // σ² = β instead of β̃ is a different (valid) sampler: same noise, other points.
    const beta = diffusionSamplePlan(schedule, 'v', { sampler: 'ddpm', variance: 'beta' });
    expect(maxAbsDifference(a, runPlan(beta, model, z, 64, 8).x)).to.be.above(1e-3);
  });

  it('DDIM accepts any sub-sequence of timesteps and rejects bad ones', () => {
    const plan = diffusionSamplePlan(LINEAR, 'eps', {
      sampler: 'ddim',
      timesteps: [999, 500, 20, 0],
    });
    expect(plan.nfe).to.equal(4);
    expect(plan.stages.map((s) => s.time.net)).to.deep.equal([999, 500, 20, 0]);
    expect(() =>
      diffusionSamplePlan(LINEAR, 'eps', { sampler: 'ddim', timesteps: [5, 5] }),
    ).to.throw(/distinct integers in \[0, 999\]/);
    expect(() => diffusionSamplePlan(LINEAR, 'eps', { sampler: 'ddim', eta: 2 })).to.throw(/eta/);
  });

  it('trajectories: every k-th step plus the start and the end, in x coordinates', () => {
    const model = gaussianDiffusionDenoiser(DATA, 'eps');
    const plan = diffusionSamplePlan(LINEAR, 'eps', { sampler: 'pf-heun', steps: 10, every: 4 });
    expect(plan.snapshots).to.equal(4); // start, after 4, after 8, end
    expect(plan.snapshotTimes).to.deep.equal([0.901, 0.501, 0.101, 0]);
    const z = initialNoise(1, 3);
    const result = runPlan(plan, model, z, 3);
    expect(result.trajectory.length).to.equal(4);
    expect(maxAbsDifference(result.trajectory[0]!, z)).to.be.below(1e-12);
    expect(maxAbsDifference(result.trajectory[3]!, result.x)).to.equal(0);
  });

  it('the MLP twin: its forward-mode Jacobian equals central finite differences', () => {
    const shape: MlpShape = {
      inputs: 10,
      hidden: 16,
      hiddenLayers: 2,
      outputs: 2,
      activation: 'silu',
    };
    const layout = new ParameterLayout();
    addMlpParameters(layout, 'mlp', shape);
    const params = layout.initialize(4);
    const model = mlpDenoiser(params, 0, shape, { dims: 2, features: 8, scale: 1, maxPeriod: 1e4 });
    const x = Float64Array.of(0.3, -0.7, 1.2, 0.4);
    const time = { net: 321, alphaBar: 0.5, t: 0.3 };
    const { out, jacobian } = model.evaluate(x, 2, time, true);
    const h = 1e-6;
    for (let b = 0; b < 2; b++) {
      for (let k = 0; k < 2; k++) {
        const plus = Float64Array.from(x);
        const minus = Float64Array.from(x);
        plus[2 * b + k]! += h;
        minus[2 * b + k]! -= h;
        const fp = model.evaluate(plus, 2, time, false).out;
        const fm = model.evaluate(minus, 2, time, false).out;
        for (let i = 0; i < 2; i++) {
          const fd = (fp[2 * b + i]! - fm[2 * b + i]!) / (2 * h);
          expect(jacobian![4 * b + 2 * i + k]).to.be.closeTo(fd, 1e-7);
        }
      }
    }
    expect(out.length).to.equal(4);
  });

  it('energy distance: ≈ 0 for two samples of one law, clearly positive for a shifted one', () => {
    const a = gaussianPoints(DATA, 800, 1);
    const b = gaussianPoints(DATA, 800, 2);
    const shifted = gaussianPoints({ ...DATA, mean: [1.5, -0.5] }, 800, 3);
    expect(Math.abs(energyDistance(a, b))).to.be.below(0.01);
    expect(energyDistance(a, shifted)).to.be.above(0.1);
  });
});

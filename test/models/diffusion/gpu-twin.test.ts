import { expect } from '@esm-bundle/chai';
import { Dataset } from '../../../src/data/dataset';
import { activationId } from '../../../src/nn/activations';
import { FusedMlp } from '../../../src/nn/fused-mlp';
import { addMlpParameters, type MlpShape } from '../../../src/nn/mlp-shape';
import { ParameterLayout } from '../../../src/nn/parameters';
import { mlpForward } from '../../../src/nn/reference/dense';
import { embedConcatForward, type EmbeddingShape } from '../../../src/nn/reference/embedding';
import { Trainer } from '../../../src/nn/trainer';
import { mlpJvpKernel } from '../../../src/models/diffusion/kernels';
import {
  diffusionLikelihoodPlan,
  diffusionSamplePlan,
  flowLikelihoodPlan,
  flowSamplePlan,
  type Plan,
} from '../../../src/models/diffusion/plan';
import { PlanRunner } from '../../../src/models/diffusion/plan-runner';
import {
  initialNoise,
  mlpDenoiser,
  runPlan,
} from '../../../src/models/diffusion/reference/plan-runner';
import { makeSchedule } from '../../../src/models/diffusion/schedule';
import { DiffusionModel } from '../../../src/models/diffusion/model';
import { trainingBatchTwin, type BatchKind } from '../../../src/models/diffusion/training';
import { testGpu } from '../../support/gpu';
import { readFloats, runPass, testValues, uploadFloats, zeros } from '../../support/gpu-helpers';

// A small denoiser: 2 + 8 inputs → 16 → 16 → 2, silu.
const EMBEDDING: EmbeddingShape = { dims: 2, features: 8, scale: 10, maxPeriod: 1e4 };
const SHAPE: MlpShape = { inputs: 10, hidden: 16, hiddenLayers: 2, outputs: 2, activation: 'silu' };

function smallParams(seed: number) {
  const layout = new ParameterLayout();
  addMlpParameters(layout, 'denoiser', SHAPE);
  // Larger output weights than the default init, so the field is far from linear.
  return Float32Array.from(layout.initialize(seed), (v) => 2 * v);
}

/** max |gpu − cpu| / max(1, |cpu|). */
function worst(gpu: ArrayLike<number>, cpu: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < cpu.length; i++) {
    w = Math.max(w, Math.abs(gpu[i]! - cpu[i]!) / Math.max(1, Math.abs(cpu[i]!)));
  }
  return w;
}

describe('diffusion GPU kernels against the float64 twins', () => {
  it('the forward-with-tangents MLP gives the outputs and the exact 2×2 Jacobian', async () => {
    const gpu = await testGpu();
    const params = smallParams(3);
    const batch = 29; // not a multiple of the samples per invocation
    const x = testValues(2 * batch, 5, 1.5);
    const t = testValues(batch, 6, 50).map(Math.abs);
    const input = embedConcatForward(EMBEDDING, x, t, batch);
    const kernel = await gpu.pipelines.get(mlpJvpKernel, {
      IN: 10,
      HIDDEN: 16,
      OUT: 2,
      HIDDEN_LAYERS: 2,
      RESIDUAL: false,
      ACTIVATION: activationId('silu'),
      SAMPLES: 4,
      WIDTH: 16,
      WORKGROUP_SIZE: 16,
    });
    const buffers = {
      uniforms: gpu.pool.upload(new Uint32Array([batch, 0, 0, 0]), GPUBufferUsage.UNIFORM, 'u'),
      params: uploadFloats(gpu, params, 'params'),
      input: uploadFloats(gpu, input, 'input'),
      output: zeros(gpu, 6 * batch, 'output'),
    };
    runPass(gpu, (pass) =>
      kernel.encode(
        pass,
        kernel.bind(gpu.device, [
          buffers.uniforms.binding,
          buffers.params.binding,
          buffers.input.binding,
          buffers.output.binding,
        ]),
        batch,
      ),
    );
    const out = await readFloats(gpu, buffers.output, 6 * batch);
    Object.values(buffers).forEach((b) => b.dispose());
    const twin = mlpDenoiser(params, 0, SHAPE, EMBEDDING);
    const h = 1e-5;
    for (let b = 0; b < batch; b++) {
      const point = Float64Array.of(x[2 * b]!, x[2 * b + 1]!);
      const time = { net: t[b]!, alphaBar: NaN, t: NaN };
      const { out: y, jacobian } = twin.evaluate(point, 1, time, true);
      expect(worst(out.subarray(6 * b, 6 * b + 2), y), `y of ${b}`).to.be.below(1e-4);
      expect(worst(out.subarray(6 * b + 2, 6 * b + 6), jacobian!), `J of ${b}`).to.be.below(1e-4);
      // The divergence equals the trace of a central finite-difference Jacobian of the MLP.
      let trace = 0;
      for (let k = 0; k < 2; k++) {
        const shifted = (sign: number) => {
          const p = Float64Array.from(point);
          p[k] = p[k]! + sign * h;
          const row = embedConcatForward(EMBEDDING, p, [t[b]!], 1);
          return mlpForward(params, 0, SHAPE, row, 1).y[k]!;
        };
        trace += (shifted(1) - shifted(-1)) / (2 * h);
      }
      const divergence = out[6 * b + 2]! + out[6 * b + 5]!;
      expect(divergence, `divergence of ${b}`).to.be.closeTo(
        trace,
        1e-3 * Math.max(1, Math.abs(trace)),
      );
    }
  });

  for (const kind of ['ddpm-eps', 'ddpm-v', 'flow'] as BatchKind[]) {
    it(`${kind}: the training batch (x₀ from the data, t, ε, x_t, target) equals the twin`, async () => {
      const gpu = await testGpu();
      const dataset = new Dataset(gpu, { name: 'moons', seed: 9 });
      const model = await DiffusionModel.create(gpu, {
        family: 'diffusion',
        kind: kind === 'flow' ? 'flow-matching' : 'ddpm',
        ...(kind === 'flow' ? {} : { timesteps: 200, prediction: kind === 'ddpm-v' ? 'v' : 'eps' }),
        hidden: 16,
        layers: 2,
        timeEmbedding: 8,
      });
      const batch = 40;
      const sampler = await dataset.sampler();
      const trainer = await Trainer.create(
        gpu,
        (state) =>
          model.createTrainingTask(state, sampler, { batch, seed: 9, maxStepsPerSubmit: 4 }),
        { optimizer: { kind: 'adam', lr: 1e-3 } },
      );
      trainer.submit(3); // steps 0, 1, 2: the buffers hold step 2's batch
      const { noised, netTime, targets, bank } = trainer.task.buffers;
      const [xt, time, target, banked] = await Promise.all([
        readFloats(gpu, noised, 2 * batch),
        readFloats(gpu, netTime, batch),
        readFloats(gpu, targets, 2 * batch),
        readFloats(gpu, bank, 3 * 2 * batch),
      ]);
      // The bank holds the dataset's batches of steps 0, 1, 2 (its own tests check the points).
      const x0 = banked.subarray(2 * 2 * batch);
      const data = dataset.sampleCpu(batch, { seed: 9, step: 2, space: 'model' });
      expect(worst(x0, data)).to.be.below(1e-3);
      const twin = trainingBatchTwin(kind, model.schedule, x0, 9, 2, batch);
      trainer.dispose();
      model.dispose();
      dataset.dispose();
      expect(Array.from(time)).to.deep.equal(Array.from(twin.netTime, Math.fround));
      // t is exact (integer arithmetic / exact unit floats); ε goes through WGSL's f32 log and
      // cos, which WGSL only promises to ~2⁻¹¹ absolute: a wrong counter changes ε by O(1).
      expect(worst(xt, twin.noised)).to.be.below(1e-3);
      expect(worst(target, twin.targets)).to.be.below(1e-3);
    });
  }
});

describe('GPU samplers and likelihood equal the float64 twin (same weights, same noise)', () => {
  // v-prediction: a random v-network behaves like a denoiser at high noise (ε̂ ≈ y/σ̄), where a
  // random ε-network sends the PF-ODE to |x| ~ 10⁴ and f32 differences grow with it.
  const schedule = makeSchedule({ kind: 'linear', timesteps: 40 });
  const cases: [string, Plan][] = [
    ['DDPM ancestral (β̃), T = 40', diffusionSamplePlan(schedule, 'v', { sampler: 'ddpm' })],
    [
      'DDIM η = 0.5, 8 steps, v-prediction',
      diffusionSamplePlan(schedule, 'v', { sampler: 'ddim', steps: 8, eta: 0.5 }),
    ],
    [
      'PF-ODE Heun, 6 steps, trajectory every 2',
      diffusionSamplePlan(schedule, 'v', { sampler: 'pf-heun', steps: 6, every: 2 }),
    ],
    ['flow matching RK4, 5 steps', flowSamplePlan({ sampler: 'rk4', steps: 5 })],
    ['flow matching midpoint, 7 steps', flowSamplePlan({ sampler: 'midpoint', steps: 7 })],
  ];
  const likelihoods: [string, Plan][] = [
    ['PF-ODE likelihood (RK4, 8 steps)', diffusionLikelihoodPlan(schedule, 'v', { steps: 8 })],
    ['flow-matching likelihood (RK4, 6 steps)', flowLikelihoodPlan({ steps: 6 })],
  ];

  async function runner() {
    const gpu = await testGpu();
    const mlp = await FusedMlp.create(gpu, SHAPE, { training: false });
    return { gpu, runner: new PlanRunner(gpu, mlp, EMBEDDING) };
  }

  for (const [label, plan] of cases) {
    it(`${label}: samples, trajectory and NFE`, async () => {
      const { gpu, runner: r } = await runner();
      const params = smallParams(11);
      const weights = uploadFloats(gpu, params, 'weights');
      const n = 70;
      const result = await r.run(plan, {
        count: n,
        seed: 4,
        params: weights.binding,
        paramOffset: 0,
      });
      weights.dispose();
      const twin = runPlan(
        plan,
        mlpDenoiser(params, 0, SHAPE, EMBEDDING),
        initialNoise(4, n),
        n,
        4,
      );
      expect(result.nfe).to.equal(plan.nfe);
      expect(result.dispatches).to.equal(2 * plan.nfe + 2);
      // f32 through up to 40 evaluations of a random network (2× the init's weights), whose
      // maps amplify rounding more than a trained denoiser's; a wrong coefficient gives O(1).
      expect(worst(result.x, twin.x), label).to.be.below(1e-3);
      expect(result.trajectory.length).to.equal(plan.snapshots);
      result.trajectory.forEach((frame, i) =>
        expect(worst(frame, twin.trajectory[i]!), `frame ${i}`).to.be.below(1e-3),
      );
    });
  }

  for (const [label, plan] of likelihoods) {
    it(`${label}: log p with the exact divergence, in chunks`, async () => {
      const { gpu, runner: r } = await runner();
      const params = smallParams(12);
      const weights = uploadFloats(gpu, params, 'weights');
      const points = testValues(2 * 50, 13, 2);
      const result = await r.run(plan, {
        points,
        seed: 0,
        params: weights.binding,
        paramOffset: 0,
        chunk: 16, // 4 chunks, the last one partial
      });
      weights.dispose();
      const twin = runPlan(plan, mlpDenoiser(params, 0, SHAPE, EMBEDDING), points, 50);
      expect(worst(result.logProb!, twin.logProb!), label).to.be.below(2e-4);
      expect(worst(result.x, twin.x)).to.be.below(2e-4);
    });
  }

  it('runInto(): chunked points and log p land at their offsets, mapped to data coordinates', async () => {
    const { gpu, runner: r } = await runner();
    const params = smallParams(14);
    const weights = uploadFloats(gpu, params, 'weights');
    const twinNet = mlpDenoiser(params, 0, SHAPE, EMBEDDING);
    const output = { shift: [1.5, -2] as const, scale: [0.5, 3] as const };
    const n = 37; // chunks of 16: 16 + 16 + 5
    const common = { seed: 6, params: weights.binding, paramOffset: 0, chunk: 16, output };
    const plan = flowSamplePlan({ sampler: 'heun', steps: 3 });
    const samples = zeros(gpu, 2 * n + 2, 'samples'); // one spare point: nothing written past 2n
    const likelihood = flowLikelihoodPlan({ steps: 2 });
    const points = testValues(2 * n, 15, 2);
    const logProb = zeros(gpu, n, 'log p');
    const [sampled, measured] = await Promise.all([
      r.runInto(plan, { ...common, count: n }, { points: samples.buffer }),
      r.runInto(likelihood, { ...common, points }, { logProb: logProb.buffer }),
    ]);
    expect([sampled.nfe, measured.nfe]).to.deep.equal([plan.nfe, likelihood.nfe]);
    const [x, logP] = await Promise.all([
      readFloats(gpu, samples, 2 * n + 2),
      readFloats(gpu, logProb, n),
    ]);
    [weights, samples, logProb].forEach((b) => b.dispose());
    const twinX = runPlan(plan, twinNet, initialNoise(6, n), n, 6).x.map(
      (v, i) => output.scale[i % 2]! * v + output.shift[i % 2]!,
    );
    const twinLogP = runPlan(likelihood, twinNet, points, n).logProb!.map(
      (v) => v - Math.log(0.5 * 3),
    );
    expect(worst(x.subarray(0, 2 * n), twinX)).to.be.below(1e-3);
    expect(Array.from(x.subarray(2 * n))).to.deep.equal([0, 0]);
    expect(worst(logP, twinLogP)).to.be.below(2e-4);
    const small = zeros(gpu, 2, 'too small');
    const error = await r.runInto(plan, { ...common, count: n }, { points: small.buffer }).then(
      () => undefined,
      (e: unknown) => e,
    );
    small.dispose();
    expect(String(error)).to.match(/targets\.points holds \d+ bytes; 37 points need 296/);
  });

  it('leaves the buffer pool as it was', async () => {
    const { gpu, runner: r } = await runner();
    const weights = uploadFloats(gpu, smallParams(1), 'weights');
    const plan = flowLikelihoodPlan({ steps: 2 });
    const run = () =>
      r.run(plan, { points: [0, 1, 2, 3], seed: 0, params: weights.binding, paramOffset: 0 });
    await run();
    const before = gpu.pool.stats();
    for (let i = 0; i < 5; i++) await run();
    expect(gpu.pool.stats()).to.deep.equal(before);
    weights.dispose();
  });
});

import { expect } from '@esm-bundle/chai';
import { DiffusionModel } from '../../../src/models/diffusion/model';
import {
  diffusionLikelihoodPlan,
  diffusionSamplePlan,
  flowLikelihoodPlan,
  flowSamplePlan,
} from '../../../src/models/diffusion/plan';
import {
  initialNoise,
  mlpDenoiser,
  runPlan,
} from '../../../src/models/diffusion/reference/plan-runner';
import { sigmaBarAt } from '../../../src/models/diffusion/schedule';
import {
  DiffusionSpecError,
  resolveDiffusionSpec,
  type DiffusionModelSpec,
} from '../../../src/models/diffusion/spec';
import { testGpu } from '../../support/gpu';
import { testValues } from '../../support/gpu-helpers';
import { mean, variance } from '../../support/stats';

const SMALL = { hidden: 16, layers: 2, timeEmbedding: 8, seed: 5 } as const;
const DDPM: DiffusionModelSpec = {
  family: 'diffusion',
  kind: 'ddpm',
  timesteps: 50,
  prediction: 'v',
  ...SMALL,
};
const FLOW: DiffusionModelSpec = { family: 'diffusion', kind: 'flow-matching', ...SMALL };
const NORMALIZATION = {
  shift: [0.5, -1] as [number, number],
  scale: [2, 0.75] as [number, number],
};

/** Counts readback.readFloat32 calls until restore(). */
function countReadbacks(gpu: Awaited<ReturnType<typeof testGpu>>) {
  const readback = gpu.readback;
  const original = readback.readFloat32.bind(readback);
  const counter = { count: 0, restore: () => void (readback.readFloat32 = original) };
  readback.readFloat32 = (...args: Parameters<typeof original>) => {
    counter.count++;
    return original(...args);
  };
  return counter;
}

function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < b.length; i++) {
    w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  }
  return w;
}

async function create(spec: DiffusionModelSpec) {
  const gpu = await testGpu();
  const model = await DiffusionModel.create(gpu, spec);
  model.normalization = NORMALIZATION;
  const params = await model.exportParams();
  const twin = mlpDenoiser(params, 0, model.shape, model.embedding);
  return { gpu, model, params, twin };
}

const toModel = (points: ArrayLike<number>) =>
  Float64Array.from(
    points,
    (v, i) => (v - NORMALIZATION.shift[i % 2]!) / NORMALIZATION.scale[i % 2]!,
  );
const toData = (points: ArrayLike<number>) =>
  Float64Array.from(
    points,
    (v, i) => v * NORMALIZATION.scale[i % 2]! + NORMALIZATION.shift[i % 2]!,
  );

describe('DiffusionModel spec', () => {
  it('fills defaults: DDPM 1000 linear steps, ε, 128 × 3 silu, 32 embedding features', () => {
    expect(resolveDiffusionSpec({ family: 'diffusion', kind: 'ddpm' })).to.deep.equal({
      family: 'diffusion',
      kind: 'ddpm',
      schedule: 'linear',
      timesteps: 1000,
      prediction: 'eps',
      architecture: 'mlp',
      hidden: 128,
      layers: 3,
      activation: 'silu',
      timeEmbedding: 32,
      seed: 0,
      pairing: 'independent',
    });
  });

  it('rejects bad fields with DiffusionSpecError naming the field and its range', () => {
    const bad: [Partial<DiffusionModelSpec>, string, RegExp][] = [
      [{ kind: 'score' as 'ddpm' }, 'kind', /model\.kind must be one of 'ddpm', 'flow-matching'/],
      [{ timesteps: 5 }, 'timesteps', /model\.timesteps must be an integer in \[10, 1000\], got 5/],
      [{ hidden: 300 }, 'hidden', /\[4, 256\], got 300/],
      [{ layers: 0 }, 'layers', /\[1, 8\]/],
      [{ prediction: 'x0' as 'eps' }, 'prediction', /'eps', 'v'/],
      [{ schedule: 'sigmoid' as 'linear' }, 'schedule', /'linear', 'cosine'/],
      [{ activation: 'swish' as 'silu' }, 'activation', /one of 'identity'/],
      [{ timeEmbedding: 7 }, 'timeEmbedding', /must be even/],
      [{ seed: -1 }, 'seed', /\[0, 2\^53\)/],
      [{ architecture: 'unet' as 'mlp' }, 'architecture', /one of 'mlp', 'resmlp', got "unet"/],
    ];
    for (const [patch, field, message] of bad) {
      const attempt = () =>
        resolveDiffusionSpec({ family: 'diffusion', kind: 'ddpm', ...patch } as DiffusionModelSpec);
      expect(attempt, field).to.throw(DiffusionSpecError, message);
      try {
        attempt();
      } catch (error) {
        expect((error as DiffusionSpecError).field).to.equal(field);
      }
    }
    expect(() => resolveDiffusionSpec({ ...FLOW, timesteps: 100 })).to.throw(
      /timesteps applies to kind 'ddpm' only/,
    );
  });
});

describe('DiffusionModel on the GPU', () => {
  it('sample(): DDIM in data coordinates equals the twin, with the NFE recorded', async () => {
    const { model, twin } = await create(DDPM);
    const n = 30;
    const samples = await model.sample(n, { sampler: 'ddim', steps: 10, eta: 1, seed: 8 });
    expect(model.lastRun?.nfe).to.equal(10);
    const plan = diffusionSamplePlan(model.schedule!, 'v', { sampler: 'ddim', steps: 10, eta: 1 });
    const expected = toData(runPlan(plan, twin, initialNoise(8, n), n, 8).x);
    model.dispose();
    expect(worst(samples, expected)).to.be.below(5e-4);
  });

  it('logProb(): data-coordinate log-density = model log-density − log(scale_x·scale_y)', async () => {
    const { model, twin } = await create(DDPM);
    const points = testValues(2 * 20, 3, 2);
    const logProb = await model.logProb(points, { steps: 6 });
    expect(model.lastRun?.nfe).to.equal(24);
    const plan = diffusionLikelihoodPlan(model.schedule!, 'v', { steps: 6 });
    const expected = runPlan(plan, twin, toModel(points), 20).logProb!.map(
      (v) => v - Math.log(2 * 0.75),
    );
    model.dispose();
    expect(worst(logProb, expected)).to.be.below(5e-4);
  });

  it('sampleToBuffer()/logProbToBuffer(): results stay on the GPU, equal to the twin in data coordinates', async () => {
    const { gpu, model, twin } = await create(FLOW);
    const n = 40;
    const points = testValues(2 * 25, 4, 2);
    const reads = countReadbacks(gpu);
    const sampled = await model.sampleToBuffer(n, { sampler: 'midpoint', steps: 4, seed: 9 });
    const density = await model.logProbToBuffer(points, { steps: 3 });
    const readsDuring = reads.count;
    reads.restore();
    expect(readsDuring, 'readbacks inside the ToBuffer calls').to.equal(0);
    expect(model.lastRun?.nfe).to.equal(12);
    const [samples, logProb] = await Promise.all([
      gpu.readback.readFloat32(sampled.buffer, 0, 2 * n),
      gpu.readback.readFloat32(density.buffer, 0, 25),
    ]);
    expect(sampled.buffer.usage & GPUBufferUsage.VERTEX).to.not.equal(0);
    sampled.dispose();
    density.dispose();
    const samplePlan = flowSamplePlan({ sampler: 'midpoint', steps: 4 });
    const expectedSamples = toData(runPlan(samplePlan, twin, initialNoise(9, n), n, 9).x);
    const likelihood = flowLikelihoodPlan({ steps: 3 });
    const expectedLogProb = runPlan(likelihood, twin, toModel(points), 25).logProb!.map(
      (v) => v - Math.log(2 * 0.75),
    );
    // The readback paths agree with the buffer paths bit for bit (same kernels, same plan).
    expect(
      Array.from(await model.sample(n, { sampler: 'midpoint', steps: 4, seed: 9 })),
    ).to.deep.equal(Array.from(samples));
    model.dispose();
    expect(worst(samples, expectedSamples)).to.be.below(5e-4);
    expect(worst(logProb, expectedLogProb)).to.be.below(5e-4);
  });

  it('field(): flow velocity equals the twin; DDPM velocity is the PF-ODE −½β(x + score)', async () => {
    const flow = await create(FLOW);
    const points = testValues(2 * 16, 4, 2);
    const { velocity } = await flow.model.field(points, 0.3);
    const out = flow.twin.evaluate(toModel(points), 16, { net: 0.3, alphaBar: NaN, t: 0.3 }, false);
    flow.model.dispose();
    const expected = out.out.map((v, i) => v * NORMALIZATION.scale[i % 2]!);
    expect(worst(velocity, expected)).to.be.below(1e-4);

    const ddpm = await create(DDPM);
    const t = 0.37; // continuous index 17.5: between timesteps
    const field = await ddpm.model.field(points, t);
    const table = ddpm.model.schedule!;
    ddpm.model.dispose();
    // β(t) = −d log ᾱ/dt with ᾱ = 1/(1 + σ̄²) and σ̄ linear between knots 17 and 18.
    const sigmaBar = sigmaBarAt(table, t * 50 - 1);
    const rate = (table.sigmaBar[18]! - table.sigmaBar[17]!) * 50;
    const beta = (2 * sigmaBar * rate) / (1 + sigmaBar * sigmaBar);
    const x = toModel(points);
    for (let i = 0; i < 32; i++) {
      const s = NORMALIZATION.scale[i % 2]!;
      const scoreModel = field.score![i]! * s;
      const expected = -0.5 * beta * (x[i]! + scoreModel) * s;
      expect(field.velocity[i]).to.be.closeTo(expected, 1e-4 * Math.max(1, Math.abs(expected)));
    }
  });

  it('noised(): the forward-process kernel has mean √ᾱ_t x₀ and variance 1 − ᾱ_t', async () => {
    const gpu = await testGpu();
    const model = await DiffusionModel.create(gpu, DDPM);
    const n = 20_000;
    const points = new Float32Array(2 * n).fill(1.5);
    const t = 0.5; // index 24
    const noised = await model.noised(points, t, 7);
    const alphaBar = model.schedule!.alphaBar[24]!;
    model.dispose();
    const xs = noised.filter((_, i) => i % 2 === 0);
    const v = 1 - alphaBar;
    expect(mean(xs)).to.be.closeTo(Math.sqrt(alphaBar) * 1.5, 5 * Math.sqrt(v / n));
    expect(variance(xs)).to.be.closeTo(v, 5 * v * Math.sqrt(2 / n));
  });

  it('trajectories(): frames from noise end at sample(); frames from data start at the data', async () => {
    const { model, twin } = await create(FLOW);
    const options = { sampler: 'heun', steps: 8, every: 4, seed: 2 } as const;
    const fromNoise = await model.trajectories(12, options);
    expect(fromNoise.times).to.deep.equal([1, 0.5, 0]);
    const samples = await model.sample(12, options);
    expect(worst(fromNoise.frames[2]!, samples)).to.be.below(1e-6);
    const plan = flowSamplePlan({ sampler: 'heun', steps: 8, every: 4 });
    const twinFrames = runPlan(plan, twin, initialNoise(2, 12), 12, 2).trajectory;
    twinFrames.forEach((frame, i) =>
      expect(worst(fromNoise.frames[i]!, toData(frame)), `frame ${i}`).to.be.below(5e-4),
    );
    const points = testValues(2 * 5, 9, 1);
    const fromData = await model.trajectories(points, { steps: 6, every: 3 });
    model.dispose();
    expect(fromData.times).to.deep.equal([0, 0.5, 1]);
    expect(worst(fromData.frames[0]!, points)).to.be.below(1e-6);
  });

  it('exportParams/importParams round trip; bad input and disposed models say what to do', async () => {
    const gpu = await testGpu();
    const model = await DiffusionModel.create(gpu, FLOW);
    const values = testValues(model.parameterCount, 1, 0.1);
    model.importParams(Float32Array.from(values));
    expect(Array.from(await model.exportParams())).to.deep.equal(Array.from(values, Math.fround));
    expect(() => model.importParams(new Float32Array(3))).to.throw(
      new RegExp(`has ${model.parameterCount} parameters; got 3 values`),
    );
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => '',
        (e: Error) => e.message,
      );
    expect(await failure(model.sample(4, { weights: 'ema' }))).to.match(/No EMA weights yet/);
    expect(await failure(model.sample(4, { sampler: 'ddim' }))).to.match(
      /sampler for a flow-matching model must be one of euler/,
    );
    model.dispose();
    expect(() => model.importParams(Float32Array.from(values))).to.throw(/disposed/);
  });

  it('leaves the buffer pool as it was after create, sample, logProb and dispose', async () => {
    const gpu = await testGpu();
    const cycle = async () => {
      const model = await DiffusionModel.create(gpu, DDPM);
      model.importParams(await model.exportParams(), 'ema');
      await model.sample(8, { sampler: 'pf-heun', steps: 3 });
      await model.logProb([0, 0, 1, 1], { steps: 2 });
      await model.noised([0, 0], 0.5);
      model.dispose();
    };
    await cycle();
    const before = gpu.pool.stats();
    for (let i = 0; i < 3; i++) await cycle();
    expect(gpu.pool.stats()).to.deep.equal(before);
  });
});

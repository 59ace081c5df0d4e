/**
 * The CPU backend (src/lab/cpu-lab.ts) against the GPU path it stands in for: the same weights,
 * normalisation and seed give the same samples, log p, traces and fields for every model kind.
 * Philox is exact on both sides; the GPU's Box–Muller uses WGSL sin/cos (~2^-11 on SwiftShader)
 * and float32 arithmetic, so points are compared with a tolerance: the 99th percentile of the
 * differences |GPU − CPU| / max(1, |CPU|) ≤ 2e-3 (absolute below 1: data units, nats for log
 * p) and the largest ≤ 2e-2.
 * The batch-wise CPU denoiser is also held to the float64 twin (mlpDenoiser) to 1e-12.
 */
import { expect } from '@esm-bundle/chai';
import { openLab, type Lab } from '../../src/lab/lab';
import type { LabDiffusion } from '../../src/lab/diffusion';
import { CpuDiffusionModel, CpuFlowModel, openCpuLab } from '../../src/lab/cpu-lab';
import type { LabModel, ModelSpec } from '../../src/lab/models';
import { fastMlpDenoiser } from '../../src/models/diffusion/cpu-denoiser';
import { mlpDenoiser } from '../../src/models/diffusion/reference/plan-runner';
import type { LabFlow } from '../../src/lab/models';
import { testValues } from '../support/gpu-helpers';
import { testGpu } from '../support/gpu';

const P99 = 2e-3;
const WORST = 2e-2;
const NORMALIZATION = {
  shift: [0.3, -0.2] as [number, number],
  scale: [1.4, 0.8] as [number, number],
};

let lab: Lab;
before(async () => {
  lab = await openLab({ runtime: await testGpu() });
});
after(() => lab.dispose());

/** The 99th percentile and the largest of |a − b| / max(1, |b|). */
function differences(a: ArrayLike<number>, b: ArrayLike<number>): { p99: number; worst: number } {
  expect(a.length).to.equal(b.length);
  const d = Array.from(a, (v, i) => Math.abs(v - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  d.sort((x, y) => x - y);
  return { p99: d[Math.floor(0.99 * (d.length - 1))]!, worst: d.at(-1)! };
}

function expectClose(what: string, gpu: ArrayLike<number>, cpu: ArrayLike<number>): void {
  for (let i = 0; i < cpu.length; i++)
    expect(Number.isFinite(cpu[i]!), `${what}[${i}]`).to.equal(true);
  const { p99, worst } = differences(gpu, cpu);
  expect(p99, `${what}: p99 |GPU − CPU|`).to.be.at.most(P99);
  expect(worst, `${what}: max |GPU − CPU|`).to.be.at.most(WORST);
}

/**
 * Both models with the same non-trivial weights: the initial ones plus seeded noise, after
 * `trainSteps` of training on the GPU (an untrained ε-network's ancestral samples explode to
 * 10⁴, where float32 and float64 part ways; a denoiser that has seen data behaves).
 */
async function pair(spec: ModelSpec, noise: number, trainSteps = 0) {
  const gpu: LabModel = await lab.createModel(spec);
  const cpu = openCpuLab().createModel(spec);
  if (trainSteps > 0) {
    const data = lab.dataset({ name: 'moons', seed: 1 });
    const optimizer = { kind: 'adam', lr: 1e-2 } as const;
    await lab.train(gpu, data, { steps: trainSteps, batch: 128, optimizer }).done;
    data.dispose();
  }
  const initial = await gpu.exportParams();
  const jitter = testValues(initial.length, 17, noise);
  const params = Float32Array.from(initial, (v, i) => v + jitter[i]!);
  gpu.importParams(params);
  cpu.importParams(params);
  gpu.normalization = { shift: [...NORMALIZATION.shift], scale: [...NORMALIZATION.scale] };
  cpu.normalization = { shift: [...NORMALIZATION.shift], scale: [...NORMALIZATION.scale] };
  return { gpu, cpu };
}

const probe = Float32Array.from(testValues(2 * 96, 5, 2.5));

describe('CPU backend: the same pictures as the GPU for the same weights and seed', () => {
  for (const kind of ['nice', 'realnvp', 'glow', 'spline'] as const) {
    it(`${kind}: samples and log p`, async () => {
      const spec: ModelSpec = {
        family: 'flow',
        kind,
        layers: 3,
        hidden: 16,
        hiddenLayers: 2,
        seed: 4,
      };
      const { gpu, cpu } = await pair(spec, 0.15);
      expect(cpu).to.be.instanceOf(CpuFlowModel);
      expect(cpu.parameterCount).to.equal(gpu.parameterCount);
      const [samples, logP] = await Promise.all([gpu.sample(384, { seed: 9 }), gpu.logProb(probe)]);
      expectClose(`${kind} samples`, samples, cpu.sample(384, { seed: 9 }));
      expectClose(`${kind} log p`, logP, cpu.logProb(probe));
      gpu.dispose();
    });
  }

  it('realnvp: traces through every layer, both directions', async () => {
    const spec: ModelSpec = { family: 'flow', kind: 'realnvp', layers: 3, hidden: 16, seed: 2 };
    const { gpu, cpu } = await pair(spec, 0.2);
    const flow = gpu as LabFlow;
    for (const direction of ['forward', 'inverse'] as const) {
      const stages = await flow.trace(probe, direction);
      const twin = (cpu as CpuFlowModel).trace(probe, direction);
      expect(twin.length).to.equal(stages.length);
      stages.forEach((stage, i) => expectClose(`${direction} stage ${i}`, stage, twin[i]!));
    }
    gpu.dispose();
  });

  const diffusionCases = [
    {
      name: 'DDPM (ε, linear, T = 40): DDIM-10 and ancestral, log p, field',
      spec: {
        family: 'diffusion',
        kind: 'ddpm',
        timesteps: 40,
        schedule: 'linear',
        hidden: 16,
        layers: 2,
        seed: 3,
      },
      samplers: [{ sampler: 'ddim', steps: 10 }, { sampler: 'ddpm' }],
    },
    {
      name: 'DDPM (v, resmlp): PF-Heun-8',
      spec: {
        family: 'diffusion',
        kind: 'ddpm',
        timesteps: 20,
        prediction: 'v',
        architecture: 'resmlp',
        hidden: 16,
        layers: 1,
        seed: 5,
      },
      samplers: [{ sampler: 'pf-heun', steps: 8 }],
    },
    {
      name: 'flow matching: RK4-8 and Euler-1, log p, field',
      spec: { family: 'diffusion', kind: 'flow-matching', hidden: 16, layers: 2, seed: 6 },
      samplers: [
        { sampler: 'rk4', steps: 8 },
        { sampler: 'euler', steps: 1 },
      ],
    },
  ] as const;

  for (const c of diffusionCases) {
    it(c.name, async () => {
      const { gpu, cpu } = await pair(c.spec as ModelSpec, 0.01, 150);
      expect(cpu).to.be.instanceOf(CpuDiffusionModel);
      const model = gpu as LabDiffusion;
      const twin = cpu as CpuDiffusionModel;
      for (const options of c.samplers) {
        const gpuSamples = await model.sample(256, { ...options, seed: 11 });
        expectClose(
          `${options.sampler} samples`,
          gpuSamples,
          twin.sample(256, { ...options, seed: 11 }),
        );
        expect(twin.samplePlan(options).nfe).to.equal(model.lastNfe);
        const paths = await model.trajectories(16, { ...options, seed: 11, every: 1 });
        const twinPaths = twin.trajectories(16, { ...options, seed: 11, every: 1 });
        expect(twinPaths.times).to.deep.equal(paths.times);
        expectClose(
          `${options.sampler} last frame`,
          paths.frames.at(-1)!,
          twinPaths.frames.at(-1)!,
        );
      }
      const points = probe.subarray(0, 32);
      expectClose(
        'log p',
        await model.logProb(points, { steps: 6 }),
        twin.logProb(points, { steps: 6 }),
      );
      const field = await model.field(points, 0.5);
      expectClose('field', field.velocity, twin.field(points, 0.5).velocity);
      gpu.dispose();
    });
  }

  it('the batch-wise CPU denoiser equals the float64 twin (values and input Jacobians)', () => {
    for (const residual of [false, true]) {
      const shape = {
        inputs: 8,
        hidden: 12,
        hiddenLayers: residual ? 3 : 2,
        outputs: 2,
        activation: 'silu',
      } as const;
      const embedding = { dims: 2, features: 6, scale: 1000, maxPeriod: 10_000 };
      const params = testValues(2000, residual ? 3 : 4, 0.5);
      const x = Float64Array.from(testValues(2 * 7, 8, 2));
      const time = { net: 0.37, alphaBar: NaN, t: 0.37 };
      const fast = fastMlpDenoiser(params, 5, shape, embedding, residual).evaluate(
        x,
        7,
        time,
        true,
      );
      const slow = mlpDenoiser(params, 5, shape, embedding, residual).evaluate(x, 7, time, true);
      expect(differences(fast.out, slow.out).worst).to.be.below(1e-12);
      expect(differences(fast.jacobian!, slow.jacobian!).worst).to.be.below(1e-12);
      const plain = fastMlpDenoiser(params, 5, shape, embedding, residual).evaluate(
        x,
        7,
        time,
        false,
      );
      expect(differences(plain.out, slow.out).worst).to.be.below(1e-12);
      expect(plain.jacobian).to.equal(undefined);
    }
  });

  it('refuses image datasets and bad specs with messages that say what to do', () => {
    const cpuLab = openCpuLab();
    expect(() => cpuLab.dataset({ name: 'mnist' } as never)).to.throw(/need WebGPU/);
    expect(() =>
      cpuLab.createModel({ family: 'flow', kind: 'realnvp', layers: 0, hidden: 8, seed: 1 }),
    ).to.throw(/layers/);
  });
});

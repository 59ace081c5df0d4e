import { expect } from '@esm-bundle/chai';
import { BUILTIN_NAMES } from '../../src/data/builtins';
import { Dataset } from '../../src/data/dataset';
import type { DatasetSpec } from '../../src/data/spec';
import { testGpu } from '../support/gpu';
import { chiSquare, chiSquareCritical, estimateMoments } from './helpers';
import { LATENT_MODELS, latentMoments, ricePdf } from './reference';

const GRID_SPEC: DatasetSpec = {
  grid: {
    width: 4,
    height: 3,
    weights: [0, 1, 2, 3, 0, 0, 5, 1, 0.5, 0, 0, 7],
    bounds: [-2, -1, 2, 2],
  },
};

const SPECS: [string, DatasetSpec][] = [
  ...BUILTIN_NAMES.map((name): [string, DatasetSpec] => [name, { name }]),
  [
    'gaussian (correlated)',
    {
      name: 'gaussian',
      params: {
        mean: [1, -2],
        cov: [
          [2, 0.8],
          [0.8, 0.5],
        ],
      },
    },
  ],
  ['grid', GRID_SPEC],
  ['points', { points: [0, 0, 1, 2, -3, 0.5, 0, 0] }],
  ['points + jitter', { points: [0, 0, 1, 2, -3, 0.5], jitter: 0.3 }],
];

/** Samplers whose GPU arithmetic is exact up to f32 rounding (no sin/cos/exp/log). */
const ARITHMETIC_ONLY = new Set(['checkerboard', 'line', 'grid', 'points']);

function worstDifference(gpu: ArrayLike<number>, cpu: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < cpu.length; i++) {
    worst = Math.max(worst, Math.abs(gpu[i]! - cpu[i]!) / Math.max(1, Math.abs(cpu[i]!)));
  }
  return worst;
}

describe('dataset samplers: GPU against the TypeScript twin', () => {
  it("every sampler gives the twin's points for the same seed and counters", async () => {
    const gpu = await testGpu();
    const report: string[] = [];
    for (const [label, spec] of SPECS) {
      const dataset = new Dataset(gpu, spec);
      for (const space of ['data', 'model'] as const) {
        const options = { seed: 2 ** 33 + 7, step: 3, space };
        const onGpu = await dataset.sample(4096, options);
        const onCpu = dataset.sampleCpu(4096, options);
        const worst = worstDifference(onGpu, onCpu);
        report.push(`${label}/${space} ${worst.toExponential(1)}`);
        // Arithmetic-only samplers agree to f32 rounding. The others use sin/cos/exp/log, which
        // WGSL allows to be off by 2^-11 absolute (SwiftShader: ~1e-4, times the dataset's
        // scale, e.g. 2·f₀·cos a in pinwheel). A wrong index or formula is off by O(0.1–1).
        const tolerance = ARITHMETIC_ONLY.has(label) ? 1e-6 : 4e-3;
        expect(worst, `${label} (${space})`).to.be.lessThan(tolerance);
      }
      dataset.dispose();
    }
    console.log(`worst relative GPU-twin differences: ${report.join(', ')}`);
  });

  it('one dispatch fills several steps at an offset, each equal to its own batch', async () => {
    const gpu = await testGpu();
    const dataset = new Dataset(gpu, { name: 'pinwheel', seed: 11 });
    const sampler = await dataset.sampler();
    const count = 100;
    const target = gpu.pool.acquire(
      (5 + 3 * count) * 8,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      'test multi-step target',
    );
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const params = sampler.encode(pass, target, {
      count,
      seed: 11,
      step: 40,
      batches: 3,
      offset: 5,
      space: 'model',
    });
    pass.end();
    gpu.device.queue.submit([encoder.finish()]);
    params.dispose();
    const all = await gpu.readback.readFloat32(target.buffer, 0, 2 * (5 + 3 * count));
    target.dispose();
    for (let b = 0; b < 3; b++) {
      const twin = dataset.sampleCpu(count, { seed: 11, step: 40 + b, space: 'model' });
      const got = all.subarray(2 * (5 + b * count), 2 * (5 + (b + 1) * count));
      expect(worstDifference(got, twin), `batch ${b}`).to.be.lessThan(4e-3);
    }
    // Consecutive steps are different batches.
    const first = dataset.sampleCpu(count, { seed: 11, step: 40 });
    const second = dataset.sampleCpu(count, { seed: 11, step: 41 });
    expect(worstDifference(first, second)).to.be.greaterThan(0.1);
    expect(() =>
      sampler.encode(gpu.device.createCommandEncoder().beginComputePass(), target, {
        count: 1000,
        seed: 1,
      }),
    ).to.throw(/holds \d+ bytes/);
    dataset.dispose();
  });
});

describe('dataset samplers: distributions', () => {
  it('1e5-point means and covariances match quadrature over each formula, within 5 standard errors', () => {
    const gpuless = { device: undefined } as unknown as ConstructorParameters<typeof Dataset>[0];
    const report: string[] = [];
    for (const name of BUILTIN_NAMES) {
      const dataset = new Dataset(gpuless, { name });
      const points = dataset.sampleCpu(100_000, { seed: 5 });
      const got = estimateMoments(points);
      const want = latentMoments(LATENT_MODELS[name]!);
      let worst = 0;
      for (let k = 0; k < 2; k++) {
        const z = Math.abs(got.mean[k]! - want.mean[k]!) / (got.meanSe[k]! + 1e-12);
        worst = Math.max(worst, z);
        expect(z, `${name} mean[${k}]: got ${got.mean[k]}, want ${want.mean[k]}`).to.be.lessThan(5);
      }
      for (let k = 0; k < 3; k++) {
        // Degenerate sets (line) have zero-variance products: allow float noise there.
        const z = Math.abs(got.cov[k]! - want.cov[k]!) / (got.covSe[k]! + 1e-9);
        worst = Math.max(worst, z);
        expect(z, `${name} cov[${k}]: got ${got.cov[k]}, want ${want.cov[k]}`).to.be.lessThan(5);
      }
      report.push(`${name} ${worst.toFixed(1)}σ`);
    }
    console.log(`largest moment deviation per dataset: ${report.join(', ')}`);
  });

  it('radii of circles and rings follow the Rice mixture (χ² at the 0.1% level)', () => {
    const gpuless = {} as ConstructorParameters<typeof Dataset>[0];
    const cases = [
      { name: 'circles' as const, radii: [3, 1.5], sigma: 0.24 },
      { name: 'rings' as const, radii: [3, 2.25, 1.5, 0.75], sigma: 0.08 },
    ];
    for (const { name, radii, sigma } of cases) {
      const points = new Dataset(gpuless, { name }).sampleCpu(100_000, { seed: 9 });
      const bins = 80;
      const rMax = 4;
      const counts = new Float64Array(bins + 1); // last bin: r ≥ rMax
      for (let i = 0; i < points.length; i += 2) {
        const r = Math.hypot(points[i]!, points[i + 1]!);
        counts[Math.min(bins, Math.floor((r / rMax) * bins))]! += 1;
      }
      const probabilities = new Float64Array(bins + 1);
      const sub = 200;
      let inside = 0;
      for (let b = 0; b < bins; b++) {
        let p = 0;
        for (let s = 0; s < sub; s++) {
          const r = ((b + (s + 0.5) / sub) * rMax) / bins;
          for (const radius of radii) p += ricePdf(r, radius, sigma) / radii.length;
        }
        probabilities[b] = (p * rMax) / bins / sub;
        inside += probabilities[b]!;
      }
      probabilities[bins] = Math.max(0, 1 - inside);
      // Merge sparse bins into their neighbour so every expected count is ≥ 5.
      const mergedCounts: number[] = [];
      const mergedProbabilities: number[] = [];
      let c = 0;
      let p = 0;
      for (let b = 0; b <= bins; b++) {
        c += counts[b]!;
        p += probabilities[b]!;
        if (p * 100_000 >= 5 || b === bins) {
          mergedCounts.push(c);
          mergedProbabilities.push(p);
          c = 0;
          p = 0;
        }
      }
      const { statistic, df } = chiSquare(mergedCounts, mergedProbabilities);
      expect(statistic, `${name}: χ² with ${df} df`).to.be.lessThan(chiSquareCritical(df));
    }
  });
});

import { expect } from '@esm-bundle/chai';
import { EXACT_DENSITY_NAMES } from '../../src/data/builtins';
import { Dataset } from '../../src/data/dataset';
import { DensityUnavailableError } from '../../src/data/errors';
import type { DatasetSpec } from '../../src/data/spec';
import { testGpu } from '../support/gpu';
import { chiSquare, chiSquareCritical, forEachCell } from './helpers';

type Box = [number, number, number, number];

interface Case {
  label: string;
  spec: DatasetSpec;
  /** Quadrature box (holds all but a negligible tail) and midpoint step. */
  box: Box;
  h: number;
}

// Midpoint steps ≤ σ/2 make the Gaussian quadrature error exponentially small (~e^{−2π²σ²/h²});
// checkerboard cells align with the grid, where the midpoint rule is exact.
const CASES: Case[] = [
  { label: 'gaussian', spec: { name: 'gaussian' }, box: [-9, -9, 9, 9], h: 0.03 },
  {
    label: 'gaussian (correlated)',
    spec: {
      name: 'gaussian',
      params: {
        mean: [1, -2],
        cov: [
          [2, 0.8],
          [0.8, 0.5],
        ],
      },
    },
    box: [-12, -9, 14, 5],
    h: 0.025,
  },
  { label: '8gaussians', spec: { name: '8gaussians' }, box: [-5, -5, 5, 5], h: 0.02 },
  { label: '25gaussians', spec: { name: '25gaussians' }, box: [-1.7, -1.7, 1.7, 1.7], h: 0.0085 },
  { label: 'checkerboard', spec: { name: 'checkerboard' }, box: [-5, -5, 5, 5], h: 0.05 },
];

const cpuOnly = {} as ConstructorParameters<typeof Dataset>[0];

interface Quadrature {
  integral: number;
  entropy: number;
  /** Probability of each of bins×bins histogram cells over the box. */
  binProbabilities: Float64Array;
}

function quadrature(dataset: Dataset, box: Box, h: number, bins: number): Quadrature {
  let integral = 0;
  let entropy = 0;
  const binProbabilities = new Float64Array(bins * bins);
  const area = forEachCell(box, h, (x, y) => {
    const lp = dataset.logProbCpu([x, y])[0]!;
    if (lp === -Infinity) return;
    const p = Math.exp(lp);
    integral += p;
    entropy -= p * lp;
    const bx = Math.floor(((x - box[0]) / (box[2] - box[0])) * bins);
    const by = Math.floor(((y - box[1]) / (box[3] - box[1])) * bins);
    binProbabilities[by * bins + bx]! += p;
  });
  return {
    integral: integral * area,
    entropy: entropy * area,
    binProbabilities: binProbabilities.map((p) => p * area),
  };
}

const quadratures = new Map<string, Quadrature>();
function quadratureOf(c: Case): Quadrature {
  let q = quadratures.get(c.label);
  if (!q) {
    q = quadrature(new Dataset(cpuOnly, c.spec), c.box, c.h, 20);
    quadratures.set(c.label, q);
  }
  return q;
}

describe('exact log-densities', () => {
  it('integrate to 1 (|∫p − 1| ≤ 1e-3); closed-form entropies equal −∫p log p', () => {
    for (const c of CASES) {
      const { integral, entropy } = quadratureOf(c);
      expect(Math.abs(integral - 1), `${c.label}: ∫p = ${integral}`).to.be.at.most(1e-3);
      const exact = new Dataset(cpuOnly, c.spec).source.exactEntropy();
      if (exact !== undefined) {
        expect(Math.abs(entropy - exact), `${c.label}: H`).to.be.at.most(1e-3);
      }
    }
  });

  it('agree with their samplers: χ² on a 20×20 histogram of 1e5 points (0.1% level)', () => {
    for (const c of CASES) {
      const dataset = new Dataset(cpuOnly, c.spec);
      const { binProbabilities } = quadratureOf(c);
      const n = 100_000;
      const points = dataset.sampleCpu(n, { seed: 21 });
      const bins = 20;
      const counts = new Float64Array(bins * bins + 1); // last: outside the box
      for (let i = 0; i < points.length; i += 2) {
        const bx = Math.floor(((points[i]! - c.box[0]) / (c.box[2] - c.box[0])) * bins);
        const by = Math.floor(((points[i + 1]! - c.box[1]) / (c.box[3] - c.box[1])) * bins);
        const inside = bx >= 0 && by >= 0 && bx < bins && by < bins;
        counts[inside ? by * bins + bx : bins * bins]! += 1;
      }
      // Pool bins with expected count < 5 (but non-zero) into one; zero-probability bins stay
      // separate: a single point in one of them fails the test.
      const observed: number[] = [];
      const expected: number[] = [];
      let pooledCount = counts[bins * bins]!;
      let pooledP = Math.max(0, 1 - binProbabilities.reduce((a, b) => a + b, 0));
      binProbabilities.forEach((p, b) => {
        if (p * n >= 5 || p === 0) {
          observed.push(counts[b]!);
          expected.push(p);
        } else {
          pooledCount += counts[b]!;
          pooledP += p;
        }
      });
      observed.push(pooledCount);
      expected.push(pooledP);
      const { statistic, df, emptyViolations } = chiSquare(observed, expected);
      expect(emptyViolations, `${c.label}: points in zero-density bins`).to.equal(0);
      expect(statistic, `${c.label}: χ² (${df} df)`).to.be.lessThan(chiSquareCritical(df));
    }
  });

  it('the GPU Monte-Carlo entropy of 1e5 samples matches −∫p log p within 5 standard errors', async () => {
    const gpu = await testGpu();
    const report: string[] = [];
    for (const c of CASES) {
      const dataset = new Dataset(gpu, c.spec);
      const estimate = await dataset.entropy({ samples: 100_000, seed: 3 });
      const want = quadratureOf(c).entropy;
      report.push(
        `${c.label} ${estimate.value.toFixed(4)}±${estimate.stderr.toFixed(4)} (${want.toFixed(4)})`,
      );
      expect(estimate.samples).to.equal(100_000);
      // 1e-3 more for the f32 log-densities.
      expect(Math.abs(estimate.value - want), c.label).to.be.at.most(5 * estimate.stderr + 1e-3);
      if (c.label === 'checkerboard') expect(estimate.stderr).to.be.lessThan(1e-6);
      else expect(estimate.stderr).to.be.greaterThan(0);
      dataset.dispose();
    }
    console.log(`entropy (MC ± se, quadrature): ${report.join('; ')}`);
  });

  it('GPU log-densities equal the float64 twin, in data and model coordinates', async () => {
    const gpu = await testGpu();
    const report: string[] = [];
    for (const c of CASES) {
      const dataset = new Dataset(gpu, c.spec);
      // Samples (high density) and a uniform spread over a box twice the data (tails, −∞).
      const samples = await dataset.sample(2048, { seed: 8 });
      const spread = new Float32Array(4096);
      for (let i = 0; i < spread.length; i++) {
        const lo = c.box[i % 2]!;
        const hi = c.box[2 + (i % 2)]!;
        spread[i] = lo + ((hi - lo) * ((i * 7919) % 4096)) / 4096;
      }
      for (const points of [samples, spread]) {
        for (const space of ['data', 'model'] as const) {
          const gpuValues = await dataset.logProb(points, { space });
          const cpuValues = dataset.logProbCpu(points, { space });
          let worst = 0;
          for (let i = 0; i < cpuValues.length; i++) {
            const want = cpuValues[i]!;
            const got = gpuValues[i]!;
            if (want === -Infinity) {
              expect(got, `${c.label} point ${i}`).to.equal(-Infinity);
              continue;
            }
            worst = Math.max(worst, Math.abs(got - want) / Math.max(1, Math.abs(want)));
          }
          // f32 evaluation against float64: sharp densities amplify input rounding (25gaussians:
          // |∇log p| ~ d/σ² with σ = 0.018), so 1e-4 relative; a bug is off by O(1).
          expect(worst, `${c.label} (${space})`).to.be.lessThan(1e-4);
          report.push(`${c.label}/${space} ${worst.toExponential(1)}`);
        }
      }
      dataset.dispose();
    }
    console.log(`worst relative GPU-twin log p differences: ${report.join(', ')}`);
  });

  it('model-space log-densities carry the Jacobian: they integrate to 1 over model coordinates', () => {
    const dataset = new Dataset(cpuOnly, { name: '8gaussians', normalize: 'per-axis' });
    const [sx, sy] = dataset.normalizer.scale;
    // A real rescaling (log det ≈ 0.8), not the identity.
    expect(sx * sy).to.be.greaterThan(2);
    let integral = 0;
    const area = forEachCell([-3, -3, 3, 3], 0.01, (x, y) => {
      integral += Math.exp(dataset.logProbCpu([x, y], { space: 'model' })[0]!);
    });
    expect(Math.abs(integral * area - 1)).to.be.at.most(1e-3);
  });
});

describe('datasets without a closed-form density', () => {
  it('reject logProb and entropy with a typed error naming the dataset and the ones that have it', async () => {
    const gpu = await testGpu();
    expect([...EXACT_DENSITY_NAMES]).to.deep.equal([
      'gaussian',
      '8gaussians',
      '25gaussians',
      'checkerboard',
      'grid',
    ]);
    for (const spec of [
      { name: 'moons' },
      { name: 'smiley' },
      { points: [0, 1] },
    ] as DatasetSpec[]) {
      const dataset = new Dataset(gpu, spec);
      expect(dataset.hasLogProb).to.equal(false);
      for (const call of [() => dataset.logProb([0, 0]), () => dataset.entropy()]) {
        let caught: unknown;
        try {
          await call();
        } catch (error) {
          caught = error;
        }
        expect(caught).to.be.instanceOf(DensityUnavailableError);
        const error = caught as DensityUnavailableError;
        expect(error.dataset).to.equal(dataset.name);
        expect(error.available).to.deep.equal(EXACT_DENSITY_NAMES);
        expect(error.message).to.contain(`'${dataset.name}'`);
        expect(error.message).to.contain('gaussian, 8gaussians, 25gaussians, checkerboard, grid');
      }
      expect(() => dataset.logProbCpu([0, 0])).to.throw(DensityUnavailableError);
      dataset.dispose();
    }
  });
});

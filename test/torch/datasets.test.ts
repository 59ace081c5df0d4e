/**
 * The built-in densities as PyTorch samplers (python/flowfield_torch/densities.py) draw the
 * playground's distributions: 4000 points from PyTorch (written by
 * python/tests/make_sampler_fixtures.py before this run) against 4000 from the playground's GPU
 * sampler, per density and parameter set. Different random numbers (torch against Philox), so
 * the check is statistical, with fixed seeds:
 * - means and covariances agree within 5 standard errors of their difference;
 * - the sliced two-sample Kolmogorov–Smirnov statistic over 16 directions stays below the
 *   asymptotic critical value at α = 1e-3 for the 16 directions together (Bonferroni: each at
 *   α/16, D_crit = √(−ln(α/32)/2)·√(2/n)). A wrong density or a wrong parameter fails it (below).
 */
import { expect } from '@esm-bundle/chai';
import { BUILTIN_NAMES, type BuiltinName } from '../../src/data/builtins';
import type { ParamValue } from '../../src/data/params';
import { Dataset } from '../../src/data/dataset';
import { testGpu } from '../support/gpu';

interface DensityCase {
  name: string;
  params: Record<string, ParamValue>;
  points: number[];
}

const DIRECTIONS = 16;
const ALPHA = 1e-3;
const PLAYGROUND_SEED = 29;

let fixtures: Promise<DensityCase[]> | undefined;
function loadFixtures(): Promise<DensityCase[]> {
  fixtures ??= fetch('/test/torch/generated/densities.json').then((r) => {
    if (!r.ok) {
      throw new Error(
        `test/torch/generated/densities.json is missing (HTTP ${r.status}): run the tests with ` +
          '`npm run test:browser`, which writes it with /usr/bin/python3 and PyTorch first.',
      );
    }
    return r.json().then((d: { cases: DensityCase[] }) => d.cases);
  });
  return fixtures;
}

async function playgroundPoints(name: string, params: Record<string, ParamValue>, n: number) {
  const dataset = new Dataset(await testGpu(), {
    name: name as BuiltinName,
    params,
    seed: PLAYGROUND_SEED,
  });
  try {
    return await dataset.sample(n, { seed: PLAYGROUND_SEED });
  } finally {
    dataset.dispose();
  }
}

/** Mean and the per-point centred products (xx, xy, yy) of flat points. */
function moments(p: ArrayLike<number>) {
  const n = p.length / 2;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += p[2 * i]! / n;
    my += p[2 * i + 1]! / n;
  }
  const products: number[][] = [[], [], []];
  for (let i = 0; i < n; i++) {
    const dx = p[2 * i]! - mx;
    const dy = p[2 * i + 1]! - my;
    products[0]!.push(dx * dx);
    products[1]!.push(dx * dy);
    products[2]!.push(dy * dy);
  }
  const xs = Array.from({ length: n }, (_, i) => p[2 * i]!);
  const ys = Array.from({ length: n }, (_, i) => p[2 * i + 1]!);
  return { n, values: [xs, ys, ...products] };
}

function meanAndVariance(values: readonly number[]): [number, number] {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return [mean, variance];
}

/** |difference| / standard error of the difference for mean x, mean y, cov xx, xy, yy. */
function momentZScores(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const ma = moments(a);
  const mb = moments(b);
  return ma.values.map((values, k) => {
    const [meanA, varA] = meanAndVariance(values);
    const [meanB, varB] = meanAndVariance(mb.values[k]!);
    const se = Math.sqrt(varA / ma.n + varB / mb.n);
    return se > 0 ? Math.abs(meanA - meanB) / se : Math.abs(meanA - meanB) > 0 ? Infinity : 0;
  });
}

function ksStatistic(a: number[], b: number[]): number {
  a.sort((p, q) => p - q);
  b.sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let worst = 0;
  while (i < a.length && j < b.length) {
    const v = Math.min(a[i]!, b[j]!);
    while (i < a.length && a[i]! <= v) i++;
    while (j < b.length && b[j]! <= v) j++;
    worst = Math.max(worst, Math.abs(i / a.length - j / b.length));
  }
  return worst;
}

/** The largest two-sample KS statistic over projections on DIRECTIONS directions. */
function slicedKs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let k = 0; k < DIRECTIONS; k++) {
    const angle = (Math.PI * k) / DIRECTIONS;
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    const project = (p: ArrayLike<number>) =>
      Array.from({ length: p.length / 2 }, (_, i) => c * p[2 * i]! + s * p[2 * i + 1]!);
    worst = Math.max(worst, ksStatistic(project(a), project(b)));
  }
  return worst;
}

function ksCritical(n: number, m: number): number {
  return Math.sqrt(-Math.log(ALPHA / DIRECTIONS / 2) / 2) * Math.sqrt((n + m) / (n * m));
}

function agreement(torchPoints: ArrayLike<number>, playground: ArrayLike<number>) {
  const z = Math.max(...momentZScores(torchPoints, playground));
  const ks = slicedKs(torchPoints, playground);
  const critical = ksCritical(torchPoints.length / 2, playground.length / 2);
  return { z, ks, critical, agrees: z < 5 && ks < critical };
}

describe("Built-in densities in PyTorch draw the playground's distributions", () => {
  it('every built-in density, with default and non-default parameters', async () => {
    const cases = await loadFixtures();
    const names = new Set(cases.map((c) => c.name));
    expect([...names].sort(), 'every built-in has a PyTorch sampler').to.deep.equal(
      [...BUILTIN_NAMES].sort(),
    );
    for (const c of cases) {
      const playground = await playgroundPoints(c.name, c.params, c.points.length / 2);
      const { z, ks, critical, agrees } = agreement(c.points, playground);
      console.log(
        `[torch densities] ${c.name} ${JSON.stringify(c.params)}: worst moment z ${z.toFixed(2)}, ` +
          `sliced KS ${ks.toFixed(4)} (critical ${critical.toFixed(4)})`,
      );
      expect(z, `${c.name}: moments within 5 standard errors`).to.be.below(5);
      expect(ks, `${c.name}: sliced KS`).to.be.below(critical);
      expect(agrees).to.equal(true);
    }
  });

  it('fails for a wrong density or a wrong parameter', async () => {
    const cases = await loadFixtures();
    const moons = cases.find((c) => c.name === 'moons' && Object.keys(c.params).length === 0)!;
    const n = moons.points.length / 2;
    const circles = agreement(moons.points, await playgroundPoints('circles', {}, n));
    const noisier = agreement(moons.points, await playgroundPoints('moons', { noise: 0.3 }, n));
    console.log(
      `[torch densities] moons against circles: sliced KS ${circles.ks.toFixed(4)}; against ` +
        `moons with noise 0.3: z ${noisier.z.toFixed(2)}, KS ${noisier.ks.toFixed(4)}`,
    );
    expect(circles.agrees, 'moons against circles').to.equal(false);
    expect(noisier.agrees, 'moons (noise 0.1) against moons with noise 0.3').to.equal(false);
  });
});

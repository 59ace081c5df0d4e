/** Data for the diffusion tests, made on the CPU with the Philox twin (no dataset module). */
import { normal4, seedKey, uniform4 } from '../../../src/rng/philox';
import type { Gaussian2 } from '../../../src/models/diffusion/gaussian';

const TEST_STREAM = 0x54455354;

/** n points of N(μ, Σ) (Cholesky of Σ), flat (x0, y0, …). */
export function gaussianPoints(g: Gaussian2, n: number, seed: number): Float64Array {
  const key = seedKey(seed);
  const [xx, xy, yy] = g.covariance;
  const l00 = Math.sqrt(xx);
  const l10 = xy / l00;
  const l11 = Math.sqrt(yy - l10 * l10);
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [a, b] = normal4([i, 0, TEST_STREAM, 0], key);
    out[2 * i] = g.mean[0] + l00 * a;
    out[2 * i + 1] = g.mean[1] + l10 * a + l11 * b;
  }
  return out;
}

/** n points of 8 Gaussians on a circle of radius `radius` with standard deviation `std`. */
export function eightGaussians(n: number, seed: number, radius = 2, std = 0.15): Float64Array {
  const key = seedKey(seed);
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [u] = uniform4([i, 1, TEST_STREAM, 0], key);
    const [a, b] = normal4([i, 2, TEST_STREAM, 0], key);
    const angle = (Math.floor(u * 8) * Math.PI) / 4;
    out[2 * i] = radius * Math.cos(angle) + std * a;
    out[2 * i + 1] = radius * Math.sin(angle) + std * b;
  }
  return out;
}

/** Two interleaving half circles (sklearn's make_moons), centred and scaled to unit-ish spread. */
export function moons(n: number, seed: number, noise = 0.05): Float64Array {
  const key = seedKey(seed);
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [u, c] = uniform4([i, 3, TEST_STREAM, 0], key);
    const [a, b] = normal4([i, 4, TEST_STREAM, 0], key);
    const theta = Math.PI * u;
    let x = Math.cos(theta);
    let y = Math.sin(theta);
    if (c < 0.5) {
      x = 1 - x;
      y = 0.5 - y;
    }
    out[2 * i] = 2 * (x + noise * a) - 1;
    out[2 * i + 1] = 2 * (y + noise * b) - 0.5;
  }
  return out;
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

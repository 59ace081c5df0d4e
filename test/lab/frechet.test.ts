/**
 * The Fréchet distance against closed forms, the symmetric eigendecomposition against its
 * definition, the shipped feature classifiers against PyTorch's known-answer features and their
 * accuracy, and the image figure's zero for identical sets.
 */
import { expect } from '@esm-bundle/chai';
import { Lab } from '../../src/lab/lab';
import { FeatureClassifier } from '../../src/lab/feature-classifier';
import {
  frechetDistance,
  gaussianFrechetDistance,
  symmetricEigen,
  symmetricSqrt,
} from '../../src/lab/frechet';
import { imageFrechetDistance, referenceIndex } from '../../src/lab/image-frechet';
import { testGpu } from '../support/gpu';
import { testValues } from '../support/gpu-helpers';

/** A random symmetric positive-definite n × n matrix B Bᵀ + 0.1 I. */
function spd(n: number, seed: number): Float64Array {
  const b = testValues(n * n, seed);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let sum = i === j ? 0.1 : 0;
      for (let k = 0; k < n; k++) sum += b[i * n + k]! * b[j * n + k]!;
      out[i * n + j] = sum;
    }
  return out;
}

describe('Fréchet distance', () => {
  it('of two 2-D Gaussians with non-commuting covariances equals the closed form', () => {
    const s1 = [2, 0.6, 0.6, 1];
    const s2 = [0.5, -0.3, -0.3, 1.5];
    const m1 = [1, -2];
    const m2 = [0.5, 0.25];
    // Σ₁Σ₂ has positive eigenvalues λ₁, λ₂: tr (Σ₁Σ₂)^½ = √λ₁ + √λ₂ = √(tr + 2√det).
    const p = [
      s1[0]! * s2[0]! + s1[1]! * s2[2]!,
      s1[0]! * s2[1]! + s1[1]! * s2[3]!,
      s1[2]! * s2[0]! + s1[3]! * s2[2]!,
      s1[2]! * s2[1]! + s1[3]! * s2[3]!,
    ];
    const cross = Math.sqrt(p[0]! + p[3]! + 2 * Math.sqrt(p[0]! * p[3]! - p[1]! * p[2]!));
    const closed = 0.5 ** 2 + 2.25 ** 2 + 3 + 2 - 2 * cross;
    expect(gaussianFrechetDistance(m1, s1, m2, s2, 2)).to.be.closeTo(closed, 1e-12);
    expect(gaussianFrechetDistance(m2, s2, m1, s1, 2), 'symmetric').to.be.closeTo(closed, 1e-12);
  });

  it('of diagonal covariances is ‖Δμ‖² + Σ (√a − √b)², and 0 for equal Gaussians', () => {
    const n = 6;
    const a = Array.from({ length: n }, (_, i) => 0.5 + i);
    const b = Array.from({ length: n }, (_, i) => 3 - 0.4 * i);
    const diag = (v: number[]) => {
      const m = new Float64Array(n * n);
      v.forEach((x, i) => (m[i * n + i] = x));
      return m;
    };
    const m1 = testValues(n, 3);
    const m2 = testValues(n, 4);
    let closed = 0;
    for (let i = 0; i < n; i++)
      closed += (m1[i]! - m2[i]!) ** 2 + (Math.sqrt(a[i]!) - Math.sqrt(b[i]!)) ** 2;
    expect(gaussianFrechetDistance(m1, diag(a), m2, diag(b), n)).to.be.closeTo(closed, 1e-10);
    const s = spd(16, 5);
    const m = testValues(16, 6);
    expect(gaussianFrechetDistance(m, s, m, s, 16)).to.be.lessThan(1e-9);
  });

  it('of feature sets: 0 for identical sets, the Gaussians’ distance for large samples', () => {
    const dims = 4;
    const x = testValues(200 * dims, 7);
    expect(frechetDistance(x, x, dims)).to.be.lessThan(1e-9);
    // Shifting every vector by δ moves only the means: d² = ‖δ‖².
    const shifted = Float64Array.from(x, (v, i) => v + (i % dims) * 0.5);
    expect(frechetDistance(x, shifted, dims)).to.be.closeTo(0.25 + 1 + 2.25, 1e-9);
    // Scaling by 2 (same mean 0 up to the sample mean): d² = ‖μ‖² (2 − 1)² + tr Σ (2 − 1)².
    const scaled = Float64Array.from(x, (v) => 2 * v);
    let trace = 0;
    let meanSquares = 0;
    for (let i = 0; i < dims; i++) {
      let mean = 0;
      for (let r = 0; r < 200; r++) mean += x[r * dims + i]! / 200;
      let variance = 0;
      for (let r = 0; r < 200; r++) variance += (x[r * dims + i]! - mean) ** 2 / 199;
      trace += variance;
      meanSquares += mean * mean;
    }
    expect(frechetDistance(x, scaled, dims)).to.be.closeTo(meanSquares + trace, 1e-9);
  });

  it('symmetricEigen: A = V Λ Vᵀ with V orthogonal; the square root squares back', () => {
    const n = 32;
    const a = spd(n, 9);
    const { values, vectors: v } = symmetricEigen(a, n);
    let worst = 0;
    let worstOrtho = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        let dot = 0;
        for (let k = 0; k < n; k++) {
          sum += v[i * n + k]! * values[k]! * v[j * n + k]!;
          dot += v[k * n + i]! * v[k * n + j]!;
        }
        worst = Math.max(worst, Math.abs(sum - a[i * n + j]!));
        worstOrtho = Math.max(worstOrtho, Math.abs(dot - (i === j ? 1 : 0)));
      }
    expect(worst).to.be.lessThan(1e-9);
    expect(worstOrtho).to.be.lessThan(1e-12);
    const root = symmetricSqrt(a, n);
    let worstRoot = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += root[i * n + k]! * root[k * n + j]!;
        worstRoot = Math.max(worstRoot, Math.abs(sum - a[i * n + j]!));
      }
    expect(worstRoot).to.be.lessThan(1e-9);
  });
});

describe('feature classifiers and the image Fréchet distance', () => {
  for (const [set, floor] of [
    ['mnist', 0.92],
    ['fashion-mnist', 0.84],
  ] as const) {
    it(`${set}: features equal PyTorch's known answers (1e-4); test accuracy ≥ ${floor}`, async () => {
      const lab = await Lab.open({ runtime: await testGpu() });
      try {
        const classifier = await FeatureClassifier.load(set);
        const test = await lab.dataset({ name: set, size: 28, split: 'test' }).load();
        const images = Float32Array.from(test.pixels, (p) => p / 255);
        const known = classifier.info.knownAnswer;
        const features = classifier.features(images.subarray(0, 4 * 784), 28);
        let worst = 0;
        known.features
          .flat()
          .forEach((v, i) => (worst = Math.max(worst, Math.abs(v - features[i]!))));
        expect(worst, 'vs torch').to.be.lessThan(1e-4);
        expect(
          features.some((v) => v > 0.1),
          'features are not all zero',
        ).to.equal(true);
        const predicted = classifier.classify(images, 28);
        let right = 0;
        predicted.forEach((c, i) => (right += c === test.labels![i] ? 1 : 0));
        const accuracy = right / test.count;
        expect(accuracy, `accuracy on ${test.count} test images`).to.be.at.least(floor);
        expect(accuracy, 'the shipped figure').to.be.closeTo(classifier.info.testAccuracy, 2e-3);
      } finally {
        lab.dispose();
      }
    });
  }

  it('imageFrechetDistance: 0 for the reference itself, small for other test images, large for noise', async () => {
    const lab = await Lab.open({ runtime: await testGpu() });
    try {
      const reference = lab.dataset({ name: 'mnist', size: 14, split: 'test' });
      const test = await reference.load();
      const n = 200;
      // The reference's n images, evenly spaced through the class-ordered split.
      const pick = (offset: number) => {
        const out = new Float32Array(n * 196);
        for (let i = 0; i < n; i++) {
          const from = (referenceIndex(i, n, test.count) + offset) * 196;
          for (let p = 0; p < 196; p++) out[i * 196 + p] = test.pixels[from + p]! / 255;
        }
        return out;
      };
      const same = pick(0);
      const itself = await imageFrechetDistance(same, reference);
      expect(itself.distance).to.be.lessThan(1e-6);
      expect(itself).to.deep.include({ count: n, featureDims: 32, set: 'mnist' });
      // Other digits of the same classes: each reference image's neighbour in the split.
      const real = await imageFrechetDistance(pick(3), reference);
      const noise = Float32Array.from(testValues(n * 196, 3), (v) => 0.5 + 0.5 * v);
      const fake = await imageFrechetDistance(noise, reference);
      console.log(
        `Fréchet (MNIST 14, n = 200): neighbours ${real.distance}, noise ${fake.distance}`,
      );
      expect(real.distance, `real ${real.distance} vs noise ${fake.distance}`).to.be.lessThan(
        0.1 * fake.distance,
      );
    } finally {
      lab.dispose();
    }
  });
});

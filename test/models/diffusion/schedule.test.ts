import { expect } from '@esm-bundle/chai';
import {
  cosineAlphaBar,
  indexAtSigmaBar,
  makeSchedule,
  noisedSample,
  resolveSchedule,
  sigmaBarAt,
  terminalKl,
  terminalKlGaussian,
  timeGrid,
} from '../../../src/models/diffusion/schedule';
import { samplerNoise } from '../../../src/models/diffusion/reference/plan-runner';
import { mean, variance } from '../../support/stats';

describe('diffusion noise schedules (float64)', () => {
  it('linear, T = 1000: β from 1e-4 to 0.02 and every coefficient equals its closed form', () => {
    const s = makeSchedule({ kind: 'linear', timesteps: 1000 });
    let product = 1;
    for (let t = 0; t < 1000; t++) {
      const beta = 1e-4 + ((0.02 - 1e-4) * t) / 999;
      const prev = product;
      product *= 1 - beta;
      expect(s.beta[t]).to.be.closeTo(beta, 1e-15);
      expect(s.alpha[t]).to.be.closeTo(1 - beta, 1e-15);
      expect(s.alphaBar[t]! / product - 1).to.be.closeTo(0, 1e-12);
      expect(s.alphaBarPrev[t]! / prev - 1).to.be.closeTo(0, 1e-12);
      expect(s.sqrtAlphaBar[t]! ** 2 / product - 1).to.be.closeTo(0, 1e-12);
      expect(s.sqrtOneMinusAlphaBar[t]! ** 2).to.be.closeTo(1 - product, 1e-12);
      expect(s.sigmaBar[t]! ** 2 * product).to.be.closeTo(1 - product, 1e-12);
      // β̃ is the variance of q(x_{t−1} | x_t, x_0): 1/β̃ = 1/(1 − ᾱ_{t−1}) + α_t/β_t.
      if (t > 0) {
        expect(1 / s.posteriorVariance[t]!).to.be.closeTo(
          1 / (1 - prev) + (1 - beta) / beta,
          1e-9 / s.posteriorVariance[t]!,
        );
      } else {
        expect(s.posteriorVariance[0]).to.equal(0);
      }
      // Posterior mean by Bayes: precision-weighted √ᾱ_{t−1} x0 (prior) and x_t/√α_t.
      const x0 = 0.7;
      const xt = -1.3;
      const priorPrecision = t > 0 ? 1 / (1 - prev) : Infinity;
      const bayes =
        t > 0
          ? (Math.sqrt(prev) * x0 * priorPrecision + (Math.sqrt(1 - beta) * xt) / beta) /
            (priorPrecision + (1 - beta) / beta)
          : x0;
      expect(s.posteriorMeanX0[t]! * x0 + s.posteriorMeanXt[t]! * xt).to.be.closeTo(bayes, 1e-9);
    }
    // Ho et al.'s schedule ends at ᾱ_T ≈ 4.04e-5.
    expect(s.alphaBar[999]).to.be.closeTo(4.036e-5, 0.01e-5);
  });

  it('cosine, T = 100: ᾱ_t = f((t + 1)/T)/f(0) wherever β is not capped at 0.999', () => {
    const s = makeSchedule({ kind: 'cosine', timesteps: 100 });
    let capped = 0;
    for (let t = 0; t < 100; t++) {
      if (s.beta[t] === 0.999) {
        capped++;
        continue;
      }
      expect(s.alphaBar[t]! / cosineAlphaBar((t + 1) / 100, 0.008) - 1).to.be.closeTo(0, 1e-12);
    }
    expect(capped).to.equal(1); // only the last step, where f → 0
    expect(s.beta[99]).to.equal(0.999);
  });

  it('scales the linear β with T (Improved DDPM) so x_T is near N(0, I) for every T', () => {
    for (const T of [10, 50, 200, 1000]) {
      const s = makeSchedule({ kind: 'linear', timesteps: T });
      expect(s.beta[0]).to.be.closeTo((1e-4 * 1000) / T, 1e-15);
      expect(terminalKl(s, 2), `T = ${T}`).to.be.below(0.01);
    }
    // The unscaled 1e-4 → 0.02 with T = 10 keeps most of the signal: the gauge shows it.
    const short = makeSchedule({ kind: 'linear', timesteps: 10, betaStart: 1e-4, betaEnd: 0.02 });
    expect(short.alphaBar[9]).to.be.above(0.9);
    expect(terminalKl(short, 2)).to.be.above(1);
    expect(terminalKlGaussian(short, [1, 0], [1, 0, 1])).to.be.above(0.3);
  });

  it('rejects out-of-range fields, naming the field and its range', () => {
    expect(() => resolveSchedule({ kind: 'linear', timesteps: 9 })).to.throw(
      /schedule\.timesteps must be an integer in \[10, 1000\], got 9/,
    );
    expect(() => resolveSchedule({ kind: 'linear', timesteps: 1001 })).to.throw(/timesteps/);
    expect(() => resolveSchedule({ kind: 'linear', timesteps: 100.5 })).to.throw(/integer/);
    expect(() => resolveSchedule({ kind: 'sigmoid' as 'linear', timesteps: 100 })).to.throw(
      /schedule\.kind must be 'linear' or 'cosine', got "sigmoid"/,
    );
    expect(() =>
      resolveSchedule({ kind: 'linear', timesteps: 100, betaStart: 0.1, betaEnd: 0.01 }),
    ).to.throw(/betaEnd/);
  });

  it('continuous time: σ̄ interpolates the table and indexAtSigmaBar inverts it', () => {
    const s = makeSchedule({ kind: 'linear', timesteps: 200 });
    expect(sigmaBarAt(s, -1)).to.equal(0);
    for (const t of [0, 1, 57, 199]) expect(sigmaBarAt(s, t)).to.equal(s.sigmaBar[t]);
    for (const t of [-1, -0.5, 0, 0.25, 13.7, 198.9, 199]) {
      expect(indexAtSigmaBar(s, sigmaBarAt(s, t))).to.be.closeTo(t, 1e-9);
    }
    expect(() => sigmaBarAt(s, 199.5)).to.throw(/\[−1, 199\]/);
  });

  it('sampler grids: −1 (data), then the leading timesteps ⌊i·T/S⌋', () => {
    expect(timeGrid(1000, 4)).to.deep.equal([-1, 0, 250, 500, 750]);
    expect(timeGrid(10, 10)).to.deep.equal([-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(timeGrid(100, 3)).to.deep.equal([-1, 0, 33, 66]);
    expect(() => timeGrid(100, 101)).to.throw(/steps must be an integer in \[1, 100\]/);
  });

  it('forward process: for x0 fixed, x_t has mean √ᾱ_t x0 and variance 1 − ᾱ_t', () => {
    const s = makeSchedule({ kind: 'cosine', timesteps: 1000 });
    const n = 20_000;
    for (const t of [10, 400, 900]) {
      const xs = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        xs[i] = noisedSample(s, t, [1.5], [samplerNoise(3, i, t)[0]])[0]!;
      }
      const m = s.sqrtAlphaBar[t]! * 1.5;
      const v = 1 - s.alphaBar[t]!;
      // 5 standard errors of the mean and of the variance.
      expect(mean(xs)).to.be.closeTo(m, 5 * Math.sqrt(v / n));
      expect(variance(xs)).to.be.closeTo(v, 5 * v * Math.sqrt(2 / n));
    }
  });
});

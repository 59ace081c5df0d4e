/**
 * The float64 twin of NICE against independent truths: the inverse, log|det J| against the
 * determinant of a finite-difference Jacobian, the loss gradients against finite differences,
 * and the identity at initialisation.
 */
import { expect } from '@esm-bundle/chai';
import {
  logPrior,
  niceForwardCpu,
  niceInverseCpu,
  niceLogProbCpu,
  niceLossGradCpu,
} from '../../../src/models/image-flows/nice-reference';
import { niceDims, niceLayout } from '../../../src/models/image-flows/nice-spec';
import { maxRelativeError, testValues } from '../../support/gpu-helpers';
import { randomNice } from './nice-fixtures';

/** log|det A| of a square matrix (row-major) by Gaussian elimination with partial pivoting. */
function logAbsDet(a: Float64Array, n: number): number {
  const m = a.slice();
  let sum = 0;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++)
      if (Math.abs(m[r * n + c]!) > Math.abs(m[pivot * n + c]!)) pivot = r;
    if (pivot !== c) {
      for (let k = 0; k < n; k++) {
        const t = m[c * n + k]!;
        m[c * n + k] = m[pivot * n + k]!;
        m[pivot * n + k] = t;
      }
    }
    const p = m[c * n + c]!;
    sum += Math.log(Math.abs(p));
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c]! / p;
      for (let k = c; k < n; k++) m[r * n + k]! -= f * m[c * n + k]!;
    }
  }
  return sum;
}

describe('NICE float64 twin', () => {
  it('inverts its forward map and starts as the identity', () => {
    const { spec, params } = randomNice('logistic');
    const n = 5;
    const y = testValues(n * niceDims(spec), 7, 1);
    const { z } = niceForwardCpu(spec, params, y, n);
    expect(maxRelativeError(niceInverseCpu(spec, params, z, n), y)).to.be.lessThan(1e-12);
    // The default init: zero last conditioner layers and s = 0 make z = y.
    const fresh = niceLayout(spec).layout.initialize(spec.seed);
    expect(Array.from(niceForwardCpu(spec, fresh, y, n).z)).to.deep.equal(Array.from(y));
  });

  it('log|det J| equals the log-determinant of a finite-difference Jacobian', () => {
    const { spec, params } = randomNice('gaussian');
    const dims = niceDims(spec);
    const y = testValues(dims, 8, 1);
    const h = 1e-6;
    const jacobian = new Float64Array(dims * dims);
    for (let j = 0; j < dims; j++) {
      const plus = y.slice();
      const minus = y.slice();
      plus[j]! += h;
      minus[j]! -= h;
      const zp = niceForwardCpu(spec, params, plus, 1).z;
      const zm = niceForwardCpu(spec, params, minus, 1).z;
      for (let i = 0; i < dims; i++) jacobian[i * dims + j] = (zp[i]! - zm[i]!) / (2 * h);
    }
    const { logDet } = niceForwardCpu(spec, params, y, 1);
    expect(Math.abs(logDet)).to.be.greaterThan(0.5);
    expect(logDet).to.be.closeTo(logAbsDet(jacobian, dims), 1e-6);
    // log p = Σ log p_Z(z) + log|det| (change of variables), checked term by term.
    const { z } = niceForwardCpu(spec, params, y, 1);
    let expected = logDet;
    for (const v of z) expected += -0.5 * v * v - 0.5 * Math.log(2 * Math.PI);
    expect(niceLogProbCpu(spec, params, y, 1)[0]).to.be.closeTo(expected, 1e-9);
  });

  for (const prior of ['logistic', 'gaussian'] as const) {
    it(`loss gradients match finite differences (${prior} prior)`, () => {
      const { spec, params } = randomNice(prior, 11);
      const n = 3;
      const dims = niceDims(spec);
      const y = testValues(n * dims, 12, 1);
      const preLogDet = [-1.5, 0.25, 2];
      const { loss, grads } = niceLossGradCpu(spec, params, y, n, preLogDet);
      let expected = 0;
      const logProbs = niceLogProbCpu(spec, params, y, n, preLogDet);
      for (const lp of logProbs) expected -= lp / (dims * Math.LN2 * n);
      expect(loss).to.be.closeTo(expected, 1e-12);
      const h = 1e-6;
      let worst = 0;
      let checked = 0;
      // Every parameter (a ReLU kink within h of a pre-activation would spoil one entry; none
      // lies that close for these values).
      for (let i = 0; i < params.length; i++) {
        const plus = params.slice();
        const minus = params.slice();
        plus[i]! += h;
        minus[i]! -= h;
        const fd =
          (niceLossGradCpu(spec, plus, y, n, preLogDet).loss -
            niceLossGradCpu(spec, minus, y, n, preLogDet).loss) /
          (2 * h);
        worst = Math.max(worst, Math.abs(fd - grads[i]!) / Math.max(1e-3, Math.abs(fd)));
        if (Math.abs(grads[i]!) > 1e-8) checked++;
      }
      expect(checked, 'non-zero gradients checked').to.be.greaterThan(params.length / 2);
      expect(worst).to.be.lessThan(1e-6);
    });
  }

  it('the logistic log-density is the closed form and stays finite far out', () => {
    for (const z of [-3, 0, 0.7, 40]) {
      const closed = z - 2 * Math.log1p(Math.exp(z));
      expect(logPrior('logistic', z)).to.be.closeTo(closed, 1e-12);
    }
    expect(logPrior('logistic', -800)).to.be.closeTo(-800, 1e-9);
  });
});

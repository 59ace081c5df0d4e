/**
 * The float64 twin of RealNVP and Glow against independent truths: the inverse, log|det J|
 * against the determinant of a finite-difference Jacobian, the loss gradients against finite
 * differences, the identity-up-to-permutation at initialisation, and the spec's limits.
 */
import { expect } from '@esm-bundle/chai';
import { ModelSpecError } from '../../../src/models/flows/flow-spec';
import {
  multiscaleForwardCpu,
  multiscaleInverseCpu,
  multiscaleLogProbCpu,
  multiscaleLossGradCpu,
  splitLatents,
} from '../../../src/models/image-flows/multiscale-reference';
import {
  multiscaleDims,
  multiscalePlan,
  resolveMultiscaleSpec,
} from '../../../src/models/image-flows/multiscale-spec';
import { logPrior } from '../../../src/models/image-flows/nice-reference';
import { maxRelativeError, testValues } from '../../support/gpu-helpers';
import { randomFlow, TINY_FLOWS } from './multiscale-fixtures';

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

for (const kind of ['realnvp', 'glow'] as const) {
  describe(`${kind} float64 twin`, () => {
    it('inverts its forward map; the latents are the pieces of z', () => {
      const { spec, params } = randomFlow(kind, 'gaussian');
      const n = 3;
      const dims = multiscaleDims(spec);
      const y = testValues(n * dims, 7, 1);
      const { z, latents } = multiscaleForwardCpu(spec, params, y, n);
      expect(maxRelativeError(multiscaleInverseCpu(spec, params, z, n), y)).to.be.lessThan(1e-10);
      // The latents have the plan's shapes and split z back exactly.
      const shapes = multiscalePlan(spec).latents;
      expect(latents.length).to.equal(shapes.length);
      expect(shapes.length).to.be.greaterThan(1);
      latents.forEach((latent, k) => {
        const s = shapes[k]!;
        expect(latent.length).to.equal(n * s.channels * s.height * s.width);
      });
      splitLatents(spec, z, n).forEach((piece, k) =>
        expect(Array.from(piece)).to.deep.equal(Array.from(latents[k]!)),
      );
    });

    it('a fresh flow permutes the pixels (log|det| = 0, z a rearrangement of y)', () => {
      const spec = resolveMultiscaleSpec({ ...TINY_FLOWS[kind], seed: 5 });
      const fresh = multiscalePlan(spec).layout.initialize(spec.seed);
      const dims = multiscaleDims(spec);
      const y = testValues(2 * dims, 9, 1);
      const { z, logDet } = multiscaleForwardCpu(spec, fresh, y, 2);
      expect(Array.from(logDet)).to.deep.equal([0, 0]);
      const sorted = (a: ArrayLike<number>) => Array.from(a).sort((p, q) => p - q);
      expect(sorted(z)).to.deep.equal(sorted(y));
    });

    it('log|det J| equals the log-determinant of a finite-difference Jacobian', () => {
      const { spec, params } = randomFlow(kind, 'logistic');
      const dims = multiscaleDims(spec);
      const y = testValues(dims, 8, 1);
      const h = 1e-6;
      const jacobian = new Float64Array(dims * dims);
      for (let j = 0; j < dims; j++) {
        const plus = y.slice();
        const minus = y.slice();
        plus[j]! += h;
        minus[j]! -= h;
        const zp = multiscaleForwardCpu(spec, params, plus, 1).z;
        const zm = multiscaleForwardCpu(spec, params, minus, 1).z;
        for (let i = 0; i < dims; i++) jacobian[i * dims + j] = (zp[i]! - zm[i]!) / (2 * h);
      }
      const { z, logDet } = multiscaleForwardCpu(spec, params, y, 1);
      expect(Math.abs(logDet[0]!)).to.be.greaterThan(0.5);
      expect(logDet[0]).to.be.closeTo(logAbsDet(jacobian, dims), 1e-6);
      let expected = logDet[0]! + 0.75;
      for (const v of z) expected += logPrior('logistic', v);
      expect(multiscaleLogProbCpu(spec, params, y, 1, [0.75])[0]).to.be.closeTo(expected, 1e-9);
    });

    for (const prior of ['logistic', 'gaussian'] as const) {
      it(`loss gradients match finite differences (${prior} prior)`, () => {
        const { spec, params } = randomFlow(kind, prior, 11);
        const n = 2;
        const dims = multiscaleDims(spec);
        const y = testValues(n * dims, 12, 1);
        const preLogDet = [-1.5, 0.25];
        const { loss, grads } = multiscaleLossGradCpu(spec, params, y, n, preLogDet);
        let expected = 0;
        for (const lp of multiscaleLogProbCpu(spec, params, y, n, preLogDet))
          expected -= lp / (dims * Math.LN2 * n);
        expect(loss).to.be.closeTo(expected, 1e-12);
        const h = 1e-6;
        let worst = 0;
        let checked = 0;
        for (let i = 0; i < params.length; i++) {
          const plus = params.slice();
          const minus = params.slice();
          plus[i]! += h;
          minus[i]! -= h;
          const fd =
            (multiscaleLossGradCpu(spec, plus, y, n, preLogDet).loss -
              multiscaleLossGradCpu(spec, minus, y, n, preLogDet).loss) /
            (2 * h);
          worst = Math.max(worst, Math.abs(fd - grads[i]!) / Math.max(1e-2, Math.abs(fd)));
          if (Math.abs(grads[i]!) > 1e-8) checked++;
        }
        expect(checked, 'non-zero gradients checked').to.be.greaterThan(params.length / 2);
        expect(worst).to.be.lessThan(1e-6);
      });
    }
  });
}

describe('multi-scale image flow specs', () => {
  it('fills the defaults and rejects what does not fit, naming the field', () => {
    const realnvp = resolveMultiscaleSpec({
      family: 'image-flow',
      kind: 'realnvp',
      shape: [1, 28, 28],
    });
    expect([
      realnvp.kind === 'realnvp' && realnvp.scales,
      realnvp.kind === 'realnvp' && realnvp.couplingsPerScale,
      realnvp.channels,
      realnvp.prior,
    ]).to.deep.equal([2, 3, 32, 'gaussian']);
    const bad = (spec: object, field: string) => {
      try {
        resolveMultiscaleSpec(spec as never);
      } catch (error) {
        expect(error).to.be.instanceOf(ModelSpecError);
        expect((error as ModelSpecError).field).to.equal(field);
        return;
      }
      throw new Error(`accepted ${JSON.stringify(spec)}`);
    };
    // 28 = 4·7: three Glow levels would squeeze 28 → 3.5.
    bad({ family: 'image-flow', kind: 'glow', shape: [1, 28, 28], levels: 3 }, 'levels');
    bad({ family: 'image-flow', kind: 'realnvp', shape: [1, 28, 28], scales: 4 }, 'scales');
    bad(
      { family: 'image-flow', kind: 'glow', shape: [1, 8, 8], couplingsPerScale: 2 },
      'couplingsPerScale',
    );
    bad({ family: 'image-flow', kind: 'realnvp', shape: [1, 8, 8], channels: 0 }, 'channels');
    bad({ family: 'image-flow', kind: 'realnvp', shape: [1, 8, 8], prior: 'laplace' }, 'prior');
  });
});

import { expect } from '@esm-bundle/chai';
import { flowSamplePlan } from '../../../src/models/diffusion/plan';
import { gaussianFlowDenoiser, runPlan } from '../../../src/models/diffusion/reference/plan-runner';
import { exactFlowVelocity, type Gaussian2 } from '../../../src/models/diffusion/gaussian';
import {
  ODE_SOLVERS,
  TABLEAUS,
  integrate,
  uniformGrid,
} from '../../../src/models/diffusion/solvers';
import { maxAbsDifference } from './helpers';

// A non-autonomous field with a known solution: y0 = y0(0)·exp(sin s), y1 = y1(0)·exp(−s²).
const field = (y: Float64Array, s: number) => Float64Array.of(Math.cos(s) * y[0]!, -2 * s * y[1]!);
const exact = (s: number) => [0.8 * Math.exp(Math.sin(s)), -1.1 * Math.exp(-s * s)];

function error(solver: (typeof ODE_SOLVERS)[number], steps: number): number {
  const y = integrate(field, [0.8, -1.1], uniformGrid(0, 1.5, steps), solver);
  return maxAbsDifference(y, exact(1.5));
}

describe('ODE solvers (float64)', () => {
  for (const solver of ODE_SOLVERS) {
    const order = TABLEAUS[solver].order;
    it(`${solver}: the error falls by 2^${order} when the step halves`, () => {
      const errors = [8, 16, 32, 64].map((n) => error(solver, n));
      for (let i = 1; i < errors.length; i++) {
        const ratio = errors[i - 1]! / errors[i]!;
        // Asymptotic ratio 2^order; allow ±25% for the pre-asymptotic first halvings.
        expect(ratio, `${solver} errors ${errors.join(', ')}`).to.be.within(
          0.75 * 2 ** order,
          1.25 * 2 ** order,
        );
      }
    });
  }

  it('runs backwards in time too (sampling direction)', () => {
    const y = integrate(field, exact(1.5), uniformGrid(1.5, 0, 64), 'rk4');
    expect(maxAbsDifference(y, [0.8, -1.1])).to.be.below(1e-6);
  });

  it('the stage plans the GPU runs are exactly these solvers (flow sampling, Gaussian field)', () => {
    const g: Gaussian2 = { mean: [1, -0.5], covariance: [0.5, 0.3, 0.8] };
    const model = gaussianFlowDenoiser(g);
    const z = [0.3, -1.2, 2.0, 0.1];
    for (const solver of ODE_SOLVERS) {
      const plan = flowSamplePlan({ sampler: solver, steps: 7 });
      expect(plan.nfe).to.equal(7 * TABLEAUS[solver].nodes.length);
      const viaPlan = runPlan(plan, model, z, 2).x;
      const direct = [0, 1].flatMap((b) =>
        Array.from(
          integrate(
            (y, t) => Float64Array.from(exactFlowVelocity(g, t, [y[0]!, y[1]!]).value),
            z.slice(2 * b, 2 * b + 2),
            uniformGrid(1, 0, 7),
            solver,
          ),
        ),
      );
      expect(maxAbsDifference(viaPlan, direct), solver).to.be.below(1e-12);
    }
  });
});

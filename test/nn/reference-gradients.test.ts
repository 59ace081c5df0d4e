import { expect } from '@esm-bundle/chai';
import { ACTIVATIONS, activate, activationGrad } from '../../src/nn/activations';
import { addMlpParameters, type MlpShape } from '../../src/nn/mlp-shape';
import { ParameterLayout } from '../../src/nn/parameters';
import { mlpBackward, mlpForward } from '../../src/nn/reference/dense';
import { testValues } from '../support/gpu-helpers';

/** ||a − b|| / ||b||: the norm-wise relative error of a gradient. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

describe('float64 twin: gradients against central finite differences', () => {
  for (const activation of ACTIVATIONS) {
    it(`activation ${activation}: derivative`, () => {
      const h = 1e-6;
      const zs = testValues(50, 3, 4);
      const fd = Array.from(
        zs,
        (z) => (activate(activation, z + h) - activate(activation, z - h)) / (2 * h),
      );
      expect(
        relativeError(
          Array.from(zs, (z) => activationGrad(activation, z)),
          fd,
        ),
      ).to.be.lessThan(1e-6);
    });

    it(`MLP with ${activation}: parameter and input gradients`, () => {
      const shape: MlpShape = { inputs: 3, hidden: 5, hiddenLayers: 2, outputs: 2, activation };
      const batch = 4;
      const layout = new ParameterLayout();
      const { offset } = addMlpParameters(layout, 'mlp', shape);
      const params = Float64Array.from(layout.initialize(11));
      const x = testValues(batch * 3, 5, 1.2);
      const r = testValues(batch * 2, 6, 1); // L = Σ r ⊙ y, so dL/dy = r
      const loss = (p: Float64Array, input: Float64Array) => {
        const { y } = mlpForward(p, offset, shape, input, batch);
        return y.reduce((sum, v, i) => sum + v * r[i]!, 0);
      };
      const { cache } = mlpForward(params, offset, shape, x, batch);
      const grads = new Float64Array(layout.total);
      const dx = mlpBackward(params, offset, shape, cache, r, batch, grads);
      const h = 1e-6;
      const fdParams = Array.from(params, (_, i) => {
        const plus = params.slice();
        const minus = params.slice();
        plus[i] = plus[i]! + h;
        minus[i] = minus[i]! - h;
        return (loss(plus, x) - loss(minus, x)) / (2 * h);
      });
      const fdInputs = Array.from(x, (_, i) => {
        const plus = x.slice();
        const minus = x.slice();
        plus[i] = plus[i]! + h;
        minus[i] = minus[i]! - h;
        return (loss(params, plus) - loss(params, minus)) / (2 * h);
      });
      expect(relativeError(grads, fdParams), 'dL/dθ').to.be.lessThan(1e-6);
      expect(relativeError(dx, fdInputs), 'dL/dx').to.be.lessThan(1e-6);
    });
  }
});

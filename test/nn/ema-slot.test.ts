import { expect } from '@esm-bundle/chai';
import { RegressionTask, type RegressionSpec } from '../../src/nn/regression-task';
import { Trainer } from '../../src/nn/trainer';
import type { OptimizerSpec } from '../../src/nn/optimizer-config';
import { testGpu } from '../support/gpu';

// Diffusion models sample with the trainer's EMA slot after training. With EMA off it must hold
// the trained weights, not the initial ones (a model that "learned nothing" in the UI was this).
const SPEC: RegressionSpec = {
  hidden: 16,
  hiddenLayers: 1,
  activation: 'tanh',
  batch: 64,
  seed: 4,
};

async function trained(optimizer: OptimizerSpec, steps: number) {
  const gpu = await testGpu();
  const t = await Trainer.create(gpu, (state) => RegressionTask.create(gpu, SPEC, state), {
    optimizer,
  });
  const initial = await t.readParams();
  await t.train(steps);
  const params = await t.readParams();
  const ema = await t.readEmaParams();
  t.dispose();
  return { initial, params, ema };
}

describe('the EMA slot', () => {
  it('equals the trained weights when EMA is off', async () => {
    const { initial, params, ema } = await trained({ kind: 'adam', lr: 1e-2 }, 20);
    expect(Array.from(params)).to.not.deep.equal(Array.from(initial));
    expect(Array.from(ema)).to.deep.equal(Array.from(params));
  });

  it('with decay d after one step equals d·initial + (1 − d)·trained (float64 closed form)', async () => {
    const d = 0.9;
    const { initial, params, ema } = await trained({ kind: 'adam', lr: 1e-2, emaDecay: d }, 1);
    for (let i = 0; i < ema.length; i++) {
      const expected = d * initial[i]! + (1 - d) * params[i]!;
      expect(ema[i]).to.be.closeTo(expected, 1e-6 * (1 + Math.abs(expected)));
    }
  });
});

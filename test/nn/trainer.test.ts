import { expect } from '@esm-bundle/chai';
import {
  RegressionTask,
  regressionBatchTwin,
  type RegressionSpec,
} from '../../src/nn/regression-task';
import { mlpForward } from '../../src/nn/reference/dense';
import { Trainer } from '../../src/nn/trainer';
import type { OptimizerSpec } from '../../src/nn/optimizer-config';
import { testGpu } from '../support/gpu';

const SMALL: RegressionSpec = {
  hidden: 32,
  hiddenLayers: 2,
  activation: 'tanh',
  batch: 256,
  seed: 1,
};

async function trainer(
  spec: RegressionSpec,
  optimizer: OptimizerSpec = { kind: 'adam', lr: 3e-3 },
) {
  const gpu = await testGpu();
  return Trainer.create(gpu, (state) => RegressionTask.create(gpu, spec, state), { optimizer });
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

describe('trainer core', () => {
  it('the first step loss equals the float64 MSE of the initial MLP on the twin batch', async () => {
    const t = await trainer(SMALL);
    const initial = await t.readParams();
    const { losses } = await t.runChunk(1);
    t.dispose();
    const { inputs, targets } = regressionBatchTwin(SMALL.seed, 0, SMALL.batch);
    const { y } = mlpForward(initial, 0, t.task.mlp.shape, inputs, SMALL.batch);
    const mse = y.reduce((s, v, i) => s + (v - targets[i]!) ** 2, 0) / y.length;
    // WGSL only promises sin/cos to 2^-11 absolute on [−π, π], which bounds the target error;
    // a wrong batch, step or MLP changes the loss by O(1).
    expect(losses[0]).to.be.closeTo(mse, 1e-3 * mse);
  });

  it('an MLP learns: regression loss drops by ≥ 10× within 600 steps', async () => {
    const t = await trainer(SMALL, { kind: 'adam', lr: 3e-3 });
    const chunks = await t.train(600);
    const losses = chunks.flatMap((c) => Array.from(c.losses));
    const state = await t.readState();
    t.dispose();
    expect(losses.length).to.equal(600);
    expect(state.step).to.equal(600);
    const first = mean(losses.slice(0, 10));
    const last = mean(losses.slice(-10));
    expect(first / last, `loss ${first} → ${last}`).to.be.greaterThan(10);
  });

  it('is reproducible: same seed ⇒ bit-identical parameters after 200 steps; other seed differs', async () => {
    const run = async (seed: number, stepsPerChunk: number[]) => {
      const t = await trainer(
        { ...SMALL, seed },
        { kind: 'adamw', lr: 1e-3, clipNorm: 1, emaDecay: 0.99 },
      );
      for (const n of stepsPerChunk) await t.runChunk(n);
      const params = await t.readParams();
      const ema = await t.readEmaParams();
      t.dispose();
      return { params, ema };
    };
    // Different chunkings of the same 200 steps must not change a bit.
    const a = await run(5, [200]);
    const b = await run(5, [1, 63, 100, 36]);
    const c = await run(6, [200]);
    expect(new Uint32Array(a.params.buffer)).to.deep.equal(new Uint32Array(b.params.buffer));
    expect(new Uint32Array(a.ema.buffer)).to.deep.equal(new Uint32Array(b.ema.buffer));
    expect(new Uint32Array(a.params.buffer)).not.to.deep.equal(new Uint32Array(c.params.buffer));
  });

  it('stops at the first non-finite loss and reports its step', async () => {
    const t = await trainer(SMALL, { kind: 'sgd', lr: 10 }); // diverges quickly
    const chunks = await t.train(400);
    const state = await t.readState();
    t.dispose();
    expect(state.firstNonfiniteStep, 'a NaN/Inf step was flagged').to.be.a('number');
    expect(chunks.at(-1)!.state.firstNonfiniteStep).to.equal(state.firstNonfiniteStep);
    expect(state.step).to.be.lessThan(400);
  });

  it('leaves the buffer pool as it was after building, training and disposing 20 times', async () => {
    const gpu = await testGpu();
    const warm = await trainer(SMALL);
    await warm.runChunk(2);
    warm.dispose();
    const before = gpu.pool.stats();
    for (let i = 0; i < 20; i++) {
      const t = await trainer({ ...SMALL, seed: i });
      await t.runChunk(2);
      t.dispose();
    }
    expect(gpu.pool.stats()).to.deep.equal(before);
    expect(gpu.readback.size).to.be.at.most(gpu.readback.slots);
  });

  it('exportState/initialState: a rebuilt trainer continues bit-identically (moments, step, EMA)', async () => {
    const gpu = await testGpu();
    const optimizer: OptimizerSpec = {
      kind: 'adam',
      lr: 3e-3,
      emaDecay: 0.9,
      schedule: { kind: 'cosine', warmup: 5, totalSteps: 60, lrMin: 1e-4 },
    };
    const build = (initialState?: Awaited<ReturnType<Trainer['exportState']>>) =>
      Trainer.create(gpu, (state) => RegressionTask.create(gpu, SMALL, state), {
        optimizer,
        initialState,
      });
    // B: 50 steps in one trainer.
    const b = await build();
    const lossesB = (await b.train(50)).flatMap((c) => [...c.losses]);
    const paramsB = await b.readParams();
    const emaB = await b.readEmaParams();
    b.dispose();
    // A: 30 steps, then a new trainer (as after a batch-size change) for 20 more.
    const a1 = await build();
    await a1.train(30);
    const saved = await a1.exportState();
    const params = await a1.readParams();
    a1.dispose();
    expect(saved.step).to.equal(30);
    const a2 = await build(saved);
    gpu.device.queue.writeBuffer(a2.task.params, 0, new Float32Array(params));
    const lossesA = (await a2.train(20)).flatMap((c) => [...c.losses]);
    expect((await a2.readState()).step).to.equal(50);
    expect([...(await a2.readParams())]).to.deep.equal([...paramsB]);
    expect([...(await a2.readEmaParams())]).to.deep.equal([...emaB]);
    expect(lossesA).to.deep.equal(lossesB.slice(30));
    a2.dispose();
    // Control: the same restart without the state (fresh moments, step 0) ends elsewhere.
    const fresh = await build();
    gpu.device.queue.writeBuffer(fresh.task.params, 0, new Float32Array(params));
    await fresh.train(20);
    const freshParams = await fresh.readParams();
    fresh.dispose();
    expect([...freshParams]).to.not.deep.equal([...paramsB]);
    // A state of another model is refused with the counts.
    const other = await build();
    const foreign = { ...(await other.exportState()), parameterCount: 3 };
    other.dispose();
    let refusal: Error | undefined;
    await build(foreign).catch((error: Error) => (refusal = error));
    expect(refusal?.message).to.match(/state for 3 parameters cannot continue training/);
  });
});

import { expect } from '@esm-bundle/chai';
import { Dataset } from '../../../src/data/dataset';
import { Trainer } from '../../../src/nn/trainer';
import { DiffusionModel } from '../../../src/models/diffusion/model';
import {
  MAX_REFLOW_PAIRS,
  ReflowPairs,
  reflowBatchIndices,
} from '../../../src/models/diffusion/reflow';
import { MAX_CHUNK } from '../../../src/models/diffusion/plan-runner';
import { initialNoise } from '../../../src/models/diffusion/reference/plan-runner';
import type { DiffusionModelSpec } from '../../../src/models/diffusion/spec';
import { trainingBatchTwin } from '../../../src/models/diffusion/training';
import { testGpu } from '../../support/gpu';
import { readFloats } from '../../support/gpu-helpers';

const TINY: DiffusionModelSpec = {
  family: 'diffusion',
  kind: 'flow-matching',
  hidden: 16,
  layers: 2,
  timeEmbedding: 8,
  seed: 2,
};
const NORMALIZATION = {
  shift: [0.5, -1] as [number, number],
  scale: [2, 0.75] as [number, number],
};

/** A random-weight teacher with a non-trivial data ↔ model map. */
async function teacher() {
  const gpu = await testGpu();
  const model = await DiffusionModel.create(gpu, TINY);
  model.normalization = NORMALIZATION;
  return { gpu, model };
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).to.equal(b.length);
  return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
}

describe('reflow pairs', () => {
  it("the bank's x is the teacher's sample for the same seed, z its initial noise", async () => {
    const { gpu, model } = await teacher();
    const count = 300;
    const options = { sampler: 'rk4', steps: 4, seed: 5 } as const;
    const pairs = await ReflowPairs.create(gpu, model, { count, ...options });
    const [{ x, z }, samples] = await Promise.all([pairs.read(), model.sample(count, options)]);
    expect(pairs.source).to.deep.equal({ ...options, nfe: 16 });
    expect(pairs.normalization).to.deep.equal(NORMALIZATION);
    pairs.dispose();
    model.dispose();
    // Model → data coordinates on the CPU (the sampler maps on the GPU in f32).
    const xData = Array.from(
      x,
      (v, i) => v * NORMALIZATION.scale[i % 2]! + NORMALIZATION.shift[i % 2]!,
    );
    expect(maxAbs(xData, samples)).to.be.below(1e-5);
    // z: the float64 twin's noise (WGSL's f32 log/cos: ~2⁻¹¹ absolute).
    expect(maxAbs(z, initialNoise(5, count))).to.be.below(2e-3);
  });

  it('banks beyond one sampler chunk keep x and z paired (the noise index runs on)', async () => {
    const { gpu, model } = await teacher();
    const count = MAX_CHUNK + 100;
    const options = { sampler: 'euler', steps: 1, seed: 3 } as const;
    const pairs = await ReflowPairs.create(gpu, model, { count, ...options });
    const [{ x, z }, samples] = await Promise.all([pairs.read(), model.sample(count, options)]);
    pairs.dispose();
    model.dispose();
    const xData = Array.from(
      x,
      (v, i) => v * NORMALIZATION.scale[i % 2]! + NORMALIZATION.shift[i % 2]!,
    );
    expect(maxAbs(xData, samples)).to.be.below(1e-5);
    // The second chunk's noise continues the first's indices.
    const tail = 2 * (MAX_CHUNK - 10);
    expect(maxAbs(z.subarray(tail), initialNoise(3, 110, MAX_CHUNK - 10))).to.be.below(2e-3);
  });

  it('training batches gather pairs by the twin indices; the batch equals the twin', async () => {
    const { gpu, model: source } = await teacher();
    const pairs = await ReflowPairs.create(gpu, source, { count: 50, sampler: 'euler', steps: 3 });
    const student = await DiffusionModel.create(gpu, { ...TINY, pairing: 'reflow' });
    const batch = 24;
    const trainer = await Trainer.create(
      gpu,
      (state) => student.createTrainingTask(state, pairs, { batch, seed: 8, maxStepsPerSubmit: 4 }),
      { optimizer: { kind: 'adam', lr: 1e-3 } },
    );
    trainer.submit(3);
    const { bank, noiseBank, noised, targets, netTime } = trainer.task.buffers;
    const [xBank, zBank, xt, target, time, { x, z }] = await Promise.all([
      readFloats(gpu, bank, 3 * 2 * batch),
      readFloats(gpu, noiseBank, 3 * 2 * batch),
      readFloats(gpu, noised, 2 * batch),
      readFloats(gpu, targets, 2 * batch),
      readFloats(gpu, netTime, batch),
      pairs.read(),
    ]);
    trainer.dispose();
    student.dispose();
    source.dispose();
    pairs.dispose();
    for (let step = 0; step < 3; step++) {
      const indices = reflowBatchIndices(8, step, batch, 50);
      const pick = (bank: Float32Array) =>
        Array.from(indices).flatMap((k) => [bank[2 * k]!, bank[2 * k + 1]!]);
      const at = 2 * batch * step;
      expect(Array.from(xBank.subarray(at, at + 2 * batch)), `x of step ${step}`).to.deep.equal(
        pick(x),
      );
      expect(Array.from(zBank.subarray(at, at + 2 * batch)), `z of step ${step}`).to.deep.equal(
        pick(z),
      );
    }
    // Several batches use more than one distinct pair (drawn with replacement from all 50).
    expect(new Set(reflowBatchIndices(8, 2, batch, 50)).size).to.be.above(10);
    const x0 = xBank.subarray(4 * batch);
    const twin = trainingBatchTwin('flow', undefined, x0, 8, 2, batch, {
      noise: zBank.subarray(4 * batch),
    });
    expect(Array.from(time)).to.deep.equal(Array.from(twin.netTime, Math.fround));
    expect(maxAbs(xt, twin.noised)).to.be.below(1e-5);
    expect(maxAbs(target, twin.targets)).to.be.below(1e-5);
  });

  it('leaves the buffer pool as it was after pairs, OT and reflow training, and dispose', async () => {
    const gpu = await testGpu();
    const dataset = new Dataset(gpu, { name: 'moons', seed: 1 });
    const sampler = await dataset.sampler();
    const cycle = async () => {
      const source = await DiffusionModel.create(gpu, TINY);
      const pairs = await ReflowPairs.create(gpu, source, { count: 64, sampler: 'heun', steps: 2 });
      for (const [pairing, data] of [
        ['minibatch-ot', sampler],
        ['reflow', pairs],
      ] as const) {
        const model = await DiffusionModel.create(gpu, { ...TINY, pairing });
        const trainer = await Trainer.create(
          gpu,
          (state) =>
            model.createTrainingTask(state, data, { batch: 16, seed: 1, maxStepsPerSubmit: 4 }),
          { optimizer: { kind: 'adam', lr: 1e-3 }, maxStepsPerSubmit: 4 },
        );
        await trainer.train(6);
        trainer.dispose();
        model.dispose();
      }
      pairs.dispose();
      source.dispose();
    };
    await cycle();
    const before = gpu.pool.stats();
    for (let i = 0; i < 2; i++) await cycle();
    const after = gpu.pool.stats();
    dataset.dispose();
    expect(after).to.deep.equal(before);
  });

  it('refuses mismatched data and teachers with messages that say what to do', async () => {
    const gpu = await testGpu();
    const { model: source } = await teacher();
    const pairs = await ReflowPairs.create(gpu, source, { count: 8, steps: 1, sampler: 'euler' });
    const dataset = new Dataset(gpu, { name: 'moons', seed: 1 });
    const sampler = await dataset.sampler();
    const student = await DiffusionModel.create(gpu, { ...TINY, pairing: 'reflow' });
    const plain = await DiffusionModel.create(gpu, TINY);
    const ddpm = await DiffusionModel.create(gpu, { family: 'diffusion', kind: 'ddpm', hidden: 8 });
    const messageOf = async (work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    const task = (model: DiffusionModel, data: typeof pairs | typeof sampler) => () =>
      Trainer.create(
        gpu,
        (state) =>
          model.createTrainingTask(state, data, { batch: 4, seed: 1, maxStepsPerSubmit: 2 }),
        { optimizer: { kind: 'adam', lr: 1e-3 } },
      );
    const messages = [
      await messageOf(task(student, sampler)),
      await messageOf(task(plain, pairs)),
      await messageOf(() => ReflowPairs.create(gpu, ddpm, { count: 8 })),
      await messageOf(() => ReflowPairs.create(gpu, source, { count: MAX_REFLOW_PAIRS + 1 })),
      await messageOf(() =>
        ReflowPairs.create(gpu, source, { count: 8, sampler: 'ddim' as 'rk4' }),
      ),
    ];
    for (const m of [student, plain, ddpm, source]) m.dispose();
    pairs.dispose();
    dataset.dispose();
    expect(messages[0]).to.contain('pass lab.reflowPairs(teacher, …) as the training data');
    expect(messages[1]).to.contain("this model's pairing is 'independent'");
    expect(messages[2]).to.contain('needs a flow-matching teacher');
    expect(messages[3]).to.contain(`[1, ${MAX_REFLOW_PAIRS}], got ${MAX_REFLOW_PAIRS + 1}`);
    expect(messages[4]).to.contain('reflow sampler must be one of euler, midpoint, heun, rk4');
  });
});

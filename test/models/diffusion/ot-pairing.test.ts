import { expect } from '@esm-bundle/chai';
import { Dataset } from '../../../src/data/dataset';
import { Trainer } from '../../../src/nn/trainer';
import { MAX_OT_BATCH, otAssignment, pairingCost } from '../../../src/models/diffusion/assignment';
import { otPairingKernel } from '../../../src/models/diffusion/kernels';
import { DiffusionModel } from '../../../src/models/diffusion/model';
import { resolveDiffusionSpec, type Pairing } from '../../../src/models/diffusion/spec';
import { otTuning, trainingBatchTwin } from '../../../src/models/diffusion/training';
import { testGpu } from '../../support/gpu';
import { readFloats, runPass, testValues, uploadFloats } from '../../support/gpu-helpers';

/** The cheapest pairing by trying all n! permutations (Heap's algorithm). */
function bruteForceCost(data: ArrayLike<number>, noise: ArrayLike<number>): number {
  const n = data.length / 2;
  const perm = Array.from({ length: n }, (_, i) => i);
  let best = pairingCost(data, noise, perm);
  const c = new Array<number>(n).fill(0);
  let i = 0;
  while (i < n) {
    if (c[i]! < i) {
      const k = i % 2 === 0 ? 0 : c[i]!;
      [perm[k], perm[i]] = [perm[i]!, perm[k]!];
      best = Math.min(best, pairingCost(data, noise, perm));
      c[i]! += 1;
      i = 0;
    } else {
      c[i] = 0;
      i++;
    }
  }
  return best;
}

function isPermutation(assignment: ArrayLike<number>): boolean {
  const seen = new Set(Array.from(assignment));
  return seen.size === assignment.length && [...seen].every((j) => j >= 0 && j < seen.size);
}

/** Which noise point each GPU output is: outputs are bit-exact copies of the inputs. */
function recoverAssignment(paired: Float32Array, noise: Float32Array): Int32Array {
  const index = new Map<string, number>();
  for (let j = 0; j < noise.length / 2; j++) index.set(`${noise[2 * j]},${noise[2 * j + 1]}`, j);
  return Int32Array.from({ length: paired.length / 2 }, (_, i) => {
    return index.get(`${paired[2 * i]},${paired[2 * i + 1]}`) ?? -1;
  });
}

describe('exact minibatch OT pairing', () => {
  it('the float64 twin finds the brute-force optimum for n ≤ 7 (random instances)', () => {
    let checked = 0;
    for (let n = 1; n <= 7; n++) {
      for (let seed = 1; seed <= 6; seed++) {
        const data = testValues(2 * n, 100 * n + seed, 2);
        // Noise from a different law (shifted, wider), so the optimum is not the identity.
        const noise = testValues(2 * n, 7000 + 100 * n + seed, 3).map((v) => v + 0.5);
        const assignment = otAssignment(data, noise);
        expect(isPermutation(assignment), `n=${n} seed=${seed}`).to.equal(true);
        const cost = pairingCost(data, noise, assignment);
        expect(cost, `n=${n} seed=${seed}`).to.be.closeTo(bruteForceCost(data, noise), 1e-9);
        checked++;
      }
    }
    expect(checked).to.equal(42);
  });

  it('the twin beats the identity pairing by a wide margin on a batch of 64', () => {
    // Independent truth: any permutation costs at least the optimum, and on shifted clouds the
    // identity is far from it.
    const data = testValues(128, 5, 1);
    const noise = testValues(128, 6, 1).map((v) => 2 * v);
    const identity = pairingCost(
      data,
      noise,
      Array.from({ length: 64 }, (_, i) => i),
    );
    const optimal = pairingCost(data, noise, otAssignment(data, noise));
    expect(optimal).to.be.below(0.6 * identity);
  });

  /** Runs the kernel on one batch (step 0) and returns the paired noise. */
  async function pairOnGpu(
    data: Float32Array,
    noise: Float32Array,
    workgroupSize?: number,
  ): Promise<Float32Array> {
    const gpu = await testGpu();
    const n = data.length / 2;
    const tuning = workgroupSize
      ? { workgroupSize, columns: Math.ceil(n / workgroupSize) }
      : otTuning(gpu.context.adapterInfo, n);
    const kernel = await gpu.pipelines.get(otPairingKernel, {
      WORKGROUP_SIZE: tuning.workgroupSize,
      COLUMNS: tuning.columns,
    });
    const buffers = {
      uniforms: gpu.pool.upload(new Uint32Array([n, 0, 0, 0]), GPUBufferUsage.UNIFORM, 'u'),
      state: gpu.pool.upload(new Uint32Array(8), GPUBufferUsage.STORAGE, 'state (step 0)'),
      data: uploadFloats(gpu, data, 'x0'),
      noise: uploadFloats(gpu, noise, 'eps'),
    };
    runPass(gpu, (pass) =>
      kernel.encode(
        pass,
        kernel.bind(gpu.device, [
          buffers.uniforms.binding,
          buffers.state.binding,
          buffers.data.binding,
          buffers.noise.binding,
        ]),
        n,
      ),
    );
    const paired = await readFloats(gpu, buffers.noise, 2 * n);
    Object.values(buffers).forEach((b) => b.dispose());
    return paired;
  }

  it('GPU kernel with every pairing optimal (identical data points): still a permutation, the same on a rerun', async () => {
    const n = 40;
    const data = new Float32Array(2 * n).fill(0.25);
    const noise = Float32Array.from(testValues(2 * n, 3, 1));
    const first = recoverAssignment(await pairOnGpu(data, noise), noise);
    const second = recoverAssignment(await pairOnGpu(data, noise), noise);
    expect(isPermutation(first)).to.equal(true);
    expect(Array.from(second)).to.deep.equal(Array.from(first));
    // Ties are broken as the twin breaks them (lowest row, then lowest column).
    expect(Array.from(first)).to.deep.equal(Array.from(otAssignment(data, noise)));
  });

  it('GPU kernel with the GPU-adapter workgroups (32, 64) and several columns each: the optimum', async () => {
    const n = 100;
    const data = Float32Array.from(testValues(2 * n, 8, 2));
    const noise = Float32Array.from(testValues(2 * n, 9, 1.5));
    const optimal = pairingCost(data, noise, otAssignment(data, noise));
    for (const workgroupSize of [32, 64]) {
      const assignment = recoverAssignment(await pairOnGpu(data, noise, workgroupSize), noise);
      expect(isPermutation(assignment), `${workgroupSize}`).to.equal(true);
      expect(pairingCost(data, noise, assignment)).to.be.closeTo(optimal, 1e-5 * optimal);
    }
  });

  for (const n of [16, 61, 64, 128, MAX_OT_BATCH]) {
    it(`GPU kernel (n = ${n}): a permutation whose cost equals the twin's optimum (f32)`, async () => {
      const data = Float32Array.from(testValues(2 * n, 31 + n, 2));
      const noise = Float32Array.from(testValues(2 * n, 57 + n, 1.5));
      const paired = await pairOnGpu(data, noise);
      const assignment = recoverAssignment(paired, noise);
      expect(isPermutation(assignment)).to.equal(true);
      const optimal = pairingCost(data, noise, otAssignment(data, noise));
      // f32 reduced costs: relative 1e-5 of the total (the f64 optimum is the reference).
      expect(pairingCost(data, noise, assignment)).to.be.closeTo(optimal, 1e-5 * optimal);
    });
  }
});

async function trainFlow(pairing: Pairing, batch: number) {
  const gpu = await testGpu();
  const dataset = new Dataset(gpu, { name: 'moons', seed: 4 });
  const model = await DiffusionModel.create(gpu, {
    family: 'diffusion',
    kind: 'flow-matching',
    pairing,
    hidden: 16,
    layers: 2,
    timeEmbedding: 8,
  });
  const sampler = await dataset.sampler();
  const trainer = await Trainer.create(
    gpu,
    (state) => model.createTrainingTask(state, sampler, { batch, seed: 4, maxStepsPerSubmit: 16 }),
    { optimizer: { kind: 'adam', lr: 1e-2 }, maxStepsPerSubmit: 16 },
  );
  return { gpu, dataset, model, trainer };
}

describe('flow-matching training with minibatch-OT pairing', () => {
  it('the spec validates the pairing like its other fields', () => {
    const base = { family: 'diffusion', kind: 'flow-matching' } as const;
    expect(resolveDiffusionSpec(base).pairing).to.equal('independent');
    expect(resolveDiffusionSpec({ ...base, pairing: 'minibatch-ot' }).pairing).to.equal(
      'minibatch-ot',
    );
    expect(() => resolveDiffusionSpec({ ...base, pairing: 'sinkhorn' as Pairing })).to.throw(
      "model.pairing must be one of 'independent', 'minibatch-ot', 'reflow', got \"sinkhorn\".",
    );
    expect(() =>
      resolveDiffusionSpec({ family: 'diffusion', kind: 'ddpm', pairing: 'minibatch-ot' }),
    ).to.throw(/applies to kind 'flow-matching' only/);
  });

  it("reads the 0.2 name 'coupling' as pairing, and refuses both names disagreeing", () => {
    const base = { family: 'diffusion', kind: 'flow-matching' } as const;
    for (const pairing of ['independent', 'minibatch-ot', 'reflow'] as const) {
      const old = resolveDiffusionSpec({ ...base, coupling: pairing });
      expect(old).to.deep.equal(resolveDiffusionSpec({ ...base, pairing }));
      expect(old).to.not.have.property('coupling');
    }
    expect(() =>
      resolveDiffusionSpec({ ...base, pairing: 'reflow', coupling: 'minibatch-ot' }),
    ).to.throw(
      "model.coupling is the old name of model.pairing; got both ('minibatch-ot' and 'reflow'). Keep only pairing.",
    );
    expect(() =>
      resolveDiffusionSpec({ family: 'diffusion', kind: 'ddpm', coupling: 'reflow' }),
    ).to.throw(/applies to kind 'flow-matching' only/);
  });

  it(`refuses batches above ${MAX_OT_BATCH}, naming the limit`, async () => {
    const { model, trainer, dataset } = await trainFlow('minibatch-ot', 8);
    trainer.dispose();
    const gpu = await testGpu();
    const sampler = await dataset.sampler();
    const big = MAX_OT_BATCH + 1;
    let message = '';
    try {
      await Trainer.create(
        gpu,
        (state) =>
          model.createTrainingTask(state, sampler, { batch: big, seed: 1, maxStepsPerSubmit: 2 }),
        { optimizer: { kind: 'adam', lr: 1e-3 } },
      );
    } catch (error) {
      message = (error as Error).message;
    }
    model.dispose();
    dataset.dispose();
    expect(message).to.contain(`at most ${MAX_OT_BATCH}, got ${big}`);
  });

  it('the training batch equals the twin: the same ε, paired to the exact optimum', async () => {
    const batch = 40;
    const { gpu, dataset, model, trainer } = await trainFlow('minibatch-ot', batch);
    trainer.submit(3); // steps 0, 1, 2: the buffers hold step 2's batch
    const { noised, netTime, targets, bank, noiseBank } = trainer.task.buffers;
    const [xt, time, target, banked, paired] = await Promise.all([
      readFloats(gpu, noised, 2 * batch),
      readFloats(gpu, netTime, batch),
      readFloats(gpu, targets, 2 * batch),
      readFloats(gpu, bank, 3 * 2 * batch),
      readFloats(gpu, noiseBank, 3 * 2 * batch),
    ]);
    trainer.dispose();
    model.dispose();
    dataset.dispose();
    const x0 = banked.subarray(2 * 2 * batch);
    const twin = trainingBatchTwin('flow', undefined, x0, 4, 2, batch, 'minibatch-ot');
    const independent = trainingBatchTwin('flow', undefined, x0, 4, 2, batch);
    expect(Array.from(time)).to.deep.equal(Array.from(twin.netTime, Math.fround));
    // ε through WGSL's f32 log/cos (~2⁻¹¹ absolute), paired by the same permutation.
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
    expect(maxDiff(paired.subarray(4 * batch), twin.noise)).to.be.below(2e-3);
    expect(maxDiff(xt, twin.noised)).to.be.below(2e-3);
    expect(maxDiff(target, twin.targets)).to.be.below(2e-3);
    // Straighter pairs: the OT cost is strictly below the independent pairs' on the same batch.
    const identity = Array.from({ length: batch }, (_, i) => i);
    const otCost = pairingCost(x0, paired.subarray(4 * batch), identity) / batch;
    const independentCost = pairingCost(x0, independent.noise, identity) / batch;
    expect(otCost).to.be.below(0.8 * independentCost);
    // And it is the optimum of that batch (the twin's cost, f32 tolerance).
    const optimal = pairingCost(x0, twin.noise, identity) / batch;
    expect(otCost).to.be.closeTo(optimal, 5e-3 * optimal);
  });

  it('gives straighter paths than independent pairs at an equal budget (1-step Euler gap)', async () => {
    // Straightness truth: a straight flow's 1-step Euler image of z equals its ODE image of z.
    const gapOf = async (pairing: Pairing) => {
      const { dataset, model, trainer } = await trainFlow(pairing, 64);
      await trainer.train(160);
      await model.useEma(trainer);
      trainer.dispose();
      const z = { seed: 21 };
      const [ode, oneStep] = await Promise.all([
        model.sample(400, { sampler: 'rk4', steps: 8, ...z }),
        model.sample(400, { sampler: 'euler', steps: 1, ...z }),
      ]);
      model.dispose();
      dataset.dispose();
      let gap = 0;
      for (let i = 0; i < ode.length; i++) gap += (ode[i]! - oneStep[i]!) ** 2;
      return gap / 400;
    };
    const independent = await gapOf('independent');
    const ot = await gapOf('minibatch-ot');
    expect(ot, `gap: OT ${ot}, independent ${independent}`).to.be.below(0.2 * independent);
  });

  it('lowers the loss and reruns bit for bit', async () => {
    const run = async () => {
      const { dataset, model, trainer } = await trainFlow('minibatch-ot', 64);
      const losses = (await trainer.train(48)).flatMap((c) => Array.from(c.losses));
      const params = await model.exportParams();
      trainer.dispose();
      model.dispose();
      dataset.dispose();
      return { losses, params };
    };
    const a = await run();
    const b = await run();
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    expect(mean(a.losses.slice(-8))).to.be.below(0.7 * mean(a.losses.slice(0, 8)));
    expect(a.losses).to.deep.equal(b.losses);
    expect(Array.from(a.params)).to.deep.equal(Array.from(b.params));
  });
});

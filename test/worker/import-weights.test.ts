/**
 * Weights imported into a run (importRunWeights): the worker owns what the run is afterwards —
 * 'done' at the weights' step, the parameters exactly those given (round trip), the recovery
 * checkpoint at that step, and training on continues from it. A run created without data holds
 * weights only and refuses to train, saying why.
 */
import { expect } from '@esm-bundle/chai';
import { transfer, type Remote } from 'comlink';
import type { DatasetId, LabApi, ModelId } from '../../src/worker/api';
import type { WorkerHandle } from '../../src/worker/client';
import { rejection, startLabWorker } from './helpers';

const SPEC = { family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 4 } as const;
const OPTIONS = { steps: 10, batch: 64, optimizer: { kind: 'adam', lr: 1e-3 } } as const;
const NORMALIZATION = {
  shift: [0.25, -0.5] as [number, number],
  scale: [2, 0.5] as [number, number],
};

/** The model's parameters, shifted so they differ from anything it held before. */
async function otherParams(api: Remote<LabApi>, model: ModelId): Promise<Float32Array> {
  const params = new Float32Array(await api.exportParams(model));
  return params.map((v, i) => v * 0.5 + ((i % 5) - 2) * 1e-2);
}

function sent(values: Float32Array): ArrayBuffer {
  const bytes = values.slice().buffer;
  return transfer(bytes, [bytes]);
}

describe('importing weights into a run: the worker reports what the run is', () => {
  let worker: WorkerHandle;
  let api: Remote<LabApi>;
  let data: DatasetId;
  before(async () => {
    worker = startLabWorker();
    api = worker.api;
    data = (await api.createDataset({ name: '8gaussians', seed: 3 })).id;
  });
  after(() => worker.terminate());

  it("is 'done' at the weights' step, holds them exactly and trains on from that step", async () => {
    const model = (await api.createModel(SPEC)).id;
    const run = await api.createRun(model, data, OPTIONS);
    expect((await api.runStatus(run)).state).to.equal('idle');
    const wanted = await otherParams(api, model);

    const report = await api.importRunWeights(run, sent(wanted), {
      step: 250,
      normalization: NORMALIZATION,
    });
    expect([report.state, report.step, report.totalSteps]).to.deep.equal(['done', 250, 250]);
    expect(report.losses.length).to.equal(0);
    const status = await api.runStatus(run);
    expect([status.state, status.step, status.totalSteps]).to.deep.equal(['done', 250, 250]);
    expect(Array.from(new Float32Array(await api.exportParams(model)))).to.deep.equal(
      Array.from(wanted),
    );
    // A lost device would rebuild the model from this checkpoint: the imported step and values.
    const checkpoint = (await api.checkpoint(model))!;
    expect(checkpoint.step).to.equal(250);
    expect(checkpoint.normalization).to.deep.equal(NORMALIZATION);

    const after = await api.step(run, 3);
    // Past its end a step(n) extends the run: 'done' again, three steps further.
    expect([after.state, after.step, after.totalSteps]).to.deep.equal(['done', 253, 253]);
    await api.disposeRun(run);
    await api.disposeModel(model);
  });

  it('refuses a step count that is not a whole number ≥ 0 or values that are not finite, and keeps the run', async () => {
    const model = (await api.createModel(SPEC)).id;
    const run = await api.createRun(model, data, OPTIONS);
    const wanted = await otherParams(api, model);
    const negative = await rejection(api.importRunWeights(run, sent(wanted), { step: -1 }));
    expect(negative.message).to.match(/integer ≥ 0, got -1/);
    const broken = wanted.slice();
    broken[3] = Number.NaN;
    const nan = await rejection(api.importRunWeights(run, sent(broken), { step: 7 }));
    expect(nan.message).to.match(/NaN or infinite/);
    const status = await api.runStatus(run);
    expect([status.state, status.step]).to.deep.equal(['idle', 0]);
    await api.disposeRun(run);
    await api.disposeModel(model);
  });

  it('a run created without data takes weights and reports them, but refuses to train', async () => {
    const model = (await api.createModel(SPEC)).id;
    const run = await api.createRun(model, null, OPTIONS);
    const wanted = await otherParams(api, model);
    const report = await api.importRunWeights(run, sent(wanted), { step: 40 });
    expect([report.state, report.step]).to.deep.equal(['done', 40]);
    expect((await rejection(api.start(run))).message).to.match(/created without data/);
    expect((await rejection(api.step(run, 1))).message).to.match(/created without data/);
    expect((await api.runStatus(run)).step).to.equal(40);
    const samples = await api.sample(model, 16, { seed: 1 });
    expect(samples.length).to.equal(32);
    expect(samples.every(Number.isFinite)).to.equal(true);
    await api.disposeRun(run);
    await api.disposeModel(model);
  });
});

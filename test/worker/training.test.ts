import { expect } from '@esm-bundle/chai';
import { proxy, type Remote } from 'comlink';
import type { DatasetId, LabApi, ModelId, RunId, RunProgress } from '../../src/worker/api';
import type { WorkerHandle } from '../../src/worker/client';
import { sleep, startLabWorker, waitUntil } from './helpers';

const SPEC = { family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 5 } as const;
const ADAM = { kind: 'adam', lr: 2e-3 } as const;

describe('training in the worker: reproducibility, fairness, measurements, NaN guardrail', () => {
  let worker: WorkerHandle;
  let api: Remote<LabApi>;
  let data: DatasetId;
  before(async () => {
    worker = startLabWorker();
    api = worker.api;
    data = (await api.createDataset({ name: '8gaussians', seed: 3 })).id;
  });
  after(() => worker.terminate());

  it('pause, resume and step(n) give exactly the parameters of an uninterrupted run', async () => {
    const options = { steps: 80, batch: 128, optimizer: ADAM };
    const a = (await api.createModel(SPEC)).id;
    const b = (await api.createModel(SPEC)).id;
    const runA = await api.createRun(a, data, options);
    const runB = await api.createRun(b, data, options);
    await api.start(runA);
    // B: a few single steps, then run, pause mid-way, resume, to the end.
    await api.step(runB, 1);
    await api.step(runB, 6);
    await api.start(runB);
    await sleep(150);
    const paused = await api.pause(runB);
    expect(paused.state).to.equal('paused');
    await sleep(200);
    expect((await api.runStatus(runB)).step, 'nothing moves while paused').to.equal(paused.step);
    await api.resume(runB);
    const [doneA, doneB] = await Promise.all([api.waitForRun(runA), api.waitForRun(runB)]);
    expect([doneA.state, doneA.step, doneB.state, doneB.step]).to.deep.equal([
      'done',
      80,
      'done',
      80,
    ]);
    const [pa, pb] = await Promise.all([api.exportParams(a), api.exportParams(b)]);
    expect(new Uint32Array(pb)).to.deep.equal(new Uint32Array(pa));
    await Promise.all([api.disposeModel(a), api.disposeModel(b)]);
  });

  it('two models train interleaved fairly, with steps/s, samples/s, dispatches/step and GPU time', async () => {
    const latest: Record<string, RunProgress> = {};
    const ids: { model: ModelId; run: RunId }[] = [];
    for (const seed of [1, 2]) {
      const model = (await api.createModel({ ...SPEC, seed })).id;
      const run = await api.createRun(
        model,
        data,
        { steps: 1_000_000, batch: 256, optimizer: ADAM },
        proxy((p: RunProgress) => void (latest[p.run] = p)),
      );
      ids.push({ model, run });
    }
    await Promise.all(ids.map(({ run }) => api.start(run)));
    await waitUntil(
      () => ids.every(({ run }) => (latest[run]?.step ?? 0) > 100),
      30_000,
      'both runs to train',
    );
    await sleep(1500);
    const [p, q] = await Promise.all(ids.map(({ run }) => api.pause(run)));
    const ratio = p!.step / q!.step;
    expect(ratio, `steps ${p!.step} vs ${q!.step}`).to.be.within(0.6, 1.6);
    for (const r of [p!, q!]) {
      expect(r.stepsPerSecond).to.be.greaterThan(10);
      expect(r.samplesPerSecond).to.be.closeTo(r.stepsPerSecond * 256, r.samplesPerSecond * 0.01);
      expect(r.dispatchesPerStep).to.be.greaterThan(10);
      expect(r.gpuMsPerStep, 'timestamp-query measured the GPU time').to.be.a('number');
      expect(r.gpuMsPerStep!).to.be.within(0.01, 1000 / r.stepsPerSecond);
    }
    console.log(
      `[measured] 2 interleaved realnvp-2x8 runs, batch 256: ${p!.stepsPerSecond.toFixed(0)} and ` +
        `${q!.stepsPerSecond.toFixed(0)} steps/s, GPU ${p!.gpuMsPerStep!.toFixed(2)} ms/step, ` +
        `${p!.dispatchesPerStep} dispatches/step`,
    );
    for (const { model } of ids) await api.disposeModel(model);
  });

  it('a NaN loss stops the run and rolls the parameters back to the last checkpoint', async () => {
    const model = (await api.createModel(SPEC)).id;
    const seen: RunProgress[] = [];
    const run = await api.createRun(
      model,
      data,
      { steps: 1_000_000, batch: 128, optimizer: ADAM, checkpointIntervalMs: 150 },
      proxy((p: RunProgress) => void seen.push(p)),
    );
    await api.start(run);
    await waitUntil(
      () => seen.some((p) => (p.checkpointStep ?? 0) > 0),
      20_000,
      'a periodic checkpoint',
    );
    await api.debugInjectNaN(model);
    const failed = await api.waitForRun(run);
    expect(failed.state).to.equal('failed');
    expect(failed.notice!.kind).to.equal('non-finite-loss');
    expect(failed.notice!.message).to.match(
      /NaN or infinite at step \d+.*rolled back.*smaller learning rate/,
    );
    const checkpoint = (await api.checkpoint(model))!;
    expect(checkpoint.step).to.be.greaterThan(0);
    expect(failed.step).to.equal(checkpoint.step);
    const params = await api.exportParams(model);
    expect(new Uint32Array(params)).to.deep.equal(new Uint32Array(checkpoint.params));
    // Training can go on from the checkpoint.
    const more = await api.step(run, 5);
    expect([more.state, more.step]).to.deep.equal(['paused', checkpoint.step + 5]);
    expect(Number.isFinite(more.loss)).to.equal(true);
    await api.disposeModel(model);
  });
});

import { expect } from '@esm-bundle/chai';
import { proxy, type Remote } from 'comlink';
import type { DatasetId, LabApi, LabEvent, RunProgress } from '../../src/worker/api';
import type { WorkerHandle } from '../../src/worker/client';
import { startLabWorker, waitUntil } from './helpers';

const FLOW = { family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 4 } as const;
// A schedule, so a trainer that restarted its step counter would use other learning rates.
const ADAM = {
  kind: 'adam',
  lr: 3e-3,
  emaDecay: 0.9,
  schedule: { kind: 'cosine', warmup: 4, totalSteps: 60, lrMin: 1e-4 },
} as const;

describe('the optimizer survives trainer rebuilds (batch size, stop/continue, rollback, device loss)', () => {
  let worker: WorkerHandle;
  let api: Remote<LabApi>;
  let data: DatasetId;
  before(async () => {
    worker = startLabWorker();
    api = worker.api;
    data = (await api.createDataset({ name: '8gaussians', seed: 3 })).id;
  });
  after(() => worker.terminate());

  it('setBatchSize (same size) and stop-then-continue give the parameters of an uninterrupted run', async () => {
    const options = { steps: 40, batch: 128, optimizer: ADAM };
    const a = (await api.createModel(FLOW)).id;
    const b = (await api.createModel(FLOW)).id;
    const runA = await api.createRun(a, data, options);
    const runB = await api.createRun(b, data, options);
    await api.step(runA, 15);
    expect((await api.setBatchSize(runA, 128)).batch).to.equal(128);
    await api.step(runA, 10);
    await api.stop(runA);
    const doneA = await api.step(runA, 15);
    expect(doneA.step).to.equal(40);
    expect((await api.step(runB, 40)).step).to.equal(40);
    const [pa, pb] = await Promise.all([api.exportParams(a), api.exportParams(b)]);
    expect(new Uint32Array(pa)).to.deep.equal(new Uint32Array(pb));

    // Control: a real change of batch size does change the numbers (the test can fail).
    const c = (await api.createModel(FLOW)).id;
    const runC = await api.createRun(c, data, options);
    await api.step(runC, 15);
    await api.setBatchSize(runC, 64);
    await api.step(runC, 25);
    const pc = await api.exportParams(c);
    expect(new Uint32Array(pc)).to.not.deep.equal(new Uint32Array(pb));
    await Promise.all([a, b, c].map((id) => api.disposeModel(id)));
  });

  it('a diffusion checkpoint keeps the EMA weights; a rollback samples with them', async () => {
    const spec = {
      family: 'diffusion',
      kind: 'flow-matching',
      hidden: 16,
      layers: 2,
      seed: 6,
    } as const;
    const model = (await api.createModel(spec)).id;
    const run = await api.createRun(model, data, {
      steps: 1000,
      batch: 64,
      optimizer: { kind: 'adam', lr: 1e-2, emaDecay: 0.8 },
      // A checkpoint before every chunk.
      checkpointIntervalMs: 0,
    });
    await api.step(run, 12);
    const checkpoint = (await api.checkpoint(model))!;
    expect(checkpoint.step).to.be.within(1, 12);
    const ema = new Float32Array(checkpoint.ema!);
    expect(ema.length).to.equal(new Float32Array(checkpoint.params).length);
    expect([...ema], 'the EMA lags the weights').to.not.deep.equal([
      ...new Float32Array(checkpoint.params),
    ]);
    await api.debugInjectNaN(model);
    const failed = await api.step(run, 1).catch(() => api.runStatus(run));
    expect(failed.state).to.equal('failed');
    expect(failed.step).to.equal(checkpoint.step);
    // The rolled-back model samples with the checkpoint's EMA: the same samples as a fresh
    // model of the spec given those weights as its parameters.
    const twin = (await api.createModel(spec)).id;
    await api.importParams(twin, checkpoint.ema!.slice(0), checkpoint.normalization);
    const [rolled, reference] = await Promise.all([
      api.sample(model, 64, { seed: 9 }),
      api.sample(twin, 64, { seed: 9 }),
    ]);
    expect([...rolled]).to.deep.equal([...reference]);
    await Promise.all([model, twin].map((id) => api.disposeModel(id)));
  });

  it('a run that lost its device ends with the parameters of an uninterrupted run', async () => {
    const events: LabEvent[] = [];
    await api.subscribe(proxy((e: LabEvent) => void events.push(e)));
    const options = { steps: 400, batch: 128, optimizer: ADAM, checkpointIntervalMs: 100 };
    const a = (await api.createModel(FLOW)).id;
    const seen: RunProgress[] = [];
    const runA = await api.createRun(
      a,
      data,
      options,
      proxy((p: RunProgress) => void seen.push(p)),
    );
    await api.start(runA);
    await waitUntil(() => seen.some((p) => (p.checkpointStep ?? 0) > 0), 20_000, 'a checkpoint');
    await api.debugLoseDevice();
    await waitUntil(() => events.some((e) => e.kind === 'device-recovered'), 30_000, 'recovery');
    const doneA = await api.waitForRun(runA);
    expect([doneA.state, doneA.step]).to.deep.equal(['done', 400]);
    const b = (await api.createModel(FLOW)).id;
    const runB = await api.createRun(b, data, options);
    await api.start(runB);
    expect((await api.waitForRun(runB)).step).to.equal(400);
    const [pa, pb] = await Promise.all([api.exportParams(a), api.exportParams(b)]);
    expect(new Uint32Array(pa)).to.deep.equal(new Uint32Array(pb));
  });
});

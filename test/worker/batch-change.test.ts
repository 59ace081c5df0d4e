import { expect } from '@esm-bundle/chai';
import { proxy, type Remote } from 'comlink';
import type { DatasetId, LabApi, RunId, RunProgress } from '../../src/worker/api';
import type { WorkerHandle } from '../../src/worker/client';
import { startLabWorker, waitUntil } from './helpers';

const FLOW = { family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 7 } as const;
// A schedule, so a trainer that restarted its step counter would use other learning rates.
const ADAM = {
  kind: 'adam',
  lr: 3e-3,
  emaDecay: 0.9,
  schedule: { kind: 'cosine', warmup: 4, totalSteps: 300, lrMin: 1e-4 },
} as const;

/**
 * The loss history a page builds from a run's progress: every report's losses appended as they
 * come. `misaligned` lists the reports whose losses did not end at their `step` (a loss lost or
 * repeated before them).
 */
function lossRecorder() {
  const history: number[] = [];
  const misaligned: string[] = [];
  const seen: RunProgress[] = [];
  const listener = proxy((p: RunProgress) => {
    history.push(...p.losses);
    seen.push(p);
    if (history.length !== p.step) {
      misaligned.push(`${p.state} at step ${p.step} with ${history.length} losses`);
    }
  });
  return { history, misaligned, seen, listener };
}

const bits = (values: number[]) => [...new Uint32Array(Float32Array.from(values).buffer)];

describe('a batch-size change keeps every loss and the step(n) target', () => {
  let worker: WorkerHandle;
  let api: Remote<LabApi>;
  let data: DatasetId;
  before(async () => {
    worker = startLabWorker();
    api = worker.api;
    data = (await api.createDataset({ name: '8gaussians', seed: 3 })).id;
  });
  after(() => worker.terminate());

  it('two batch changes while training: one loss per step, those of the same schedule in segments', async () => {
    const steps = 300;
    const a = (await api.createModel(FLOW)).id;
    const recA = lossRecorder();
    // Capped at 100 steps/s (chunks of 10 steps): uncapped, one chunk can take the run to its end
    // before the second change lands on a loaded machine. The cap changes no loss (the chunks'
    // cuts do not change the schedule), so run B below still trains at full speed.
    const runA = await api.createRun(
      a,
      data,
      { steps, batch: 64, optimizer: ADAM, maxStepsPerSecond: 100 },
      recA.listener,
    );
    const latest = () => recA.seen[recA.seen.length - 1]?.step ?? 0;
    await api.start(runA);
    await waitUntil(() => latest() >= 20, 30_000, 'run A to train 20 steps');
    const first = await api.setBatchSize(runA, 32);
    await waitUntil(() => latest() >= first.step + 20, 30_000, '20 more steps');
    const second = await api.setBatchSize(runA, 96);
    expect([first.state, second.state]).to.deep.equal(['running', 'running']);
    expect(second.step, 'both changes happened before the end').to.be.below(steps);
    const doneA = await api.waitForRun(runA);
    expect([doneA.state, doneA.step]).to.deep.equal(['done', steps]);
    // Progress and the waitForRun answer travel on different message ports: the last losses
    // can arrive just after it (as the page's client also allows for).
    await waitUntil(() => recA.history.length >= steps, 5_000, "run A's last losses");
    expect(recA.misaligned, 'every report ends at its step').to.deep.equal([]);
    expect(recA.history.length).to.equal(steps);

    // Reference: the same schedule of batch sizes, each segment run to its step with step(n).
    const b = (await api.createModel(FLOW)).id;
    const recB = lossRecorder();
    const runB = await api.createRun(b, data, { steps, batch: 64, optimizer: ADAM }, recB.listener);
    expect((await api.step(runB, first.step)).step).to.equal(first.step);
    await api.setBatchSize(runB, 32);
    expect((await api.step(runB, second.step - first.step)).step).to.equal(second.step);
    await api.setBatchSize(runB, 96);
    await api.start(runB);
    expect((await api.waitForRun(runB)).step).to.equal(steps);
    await waitUntil(() => recB.history.length >= steps, 5_000, "run B's last losses");
    expect(recB.misaligned).to.deep.equal([]);
    expect(bits(recA.history)).to.deep.equal(bits(recB.history));
    const [pa, pb] = await Promise.all([api.exportParams(a), api.exportParams(b)]);
    expect(new Uint32Array(pa)).to.deep.equal(new Uint32Array(pb));

    // The first segment's losses are those of an uninterrupted run at batch 64, bit for bit.
    const c = (await api.createModel(FLOW)).id;
    const recC = lossRecorder();
    const runC = await api.createRun(c, data, { steps, batch: 64, optimizer: ADAM }, recC.listener);
    await api.step(runC, first.step + 5);
    expect(bits(recC.history.slice(0, first.step))).to.deep.equal(
      bits(recA.history.slice(0, first.step)),
    );
    // Control: the losses after the change differ (the batch size really changed).
    expect(bits(recC.history.slice(first.step))).to.not.deep.equal(
      bits(recA.history.slice(first.step, first.step + 5)),
    );
    await Promise.all([a, b, c].map((id) => api.disposeModel(id)));
  });

  it('step(50) with a batch change after ~10 steps ends paused at exactly step 50', async () => {
    const model = (await api.createModel(FLOW)).id;
    const rec = lossRecorder();
    // Large batches make steps slow, so the change lands while step(50) is running.
    const run: RunId = await api.createRun(
      model,
      data,
      { steps: 1000, batch: 2048, optimizer: ADAM, progressIntervalMs: 0 },
      rec.listener,
    );
    const stepping = api.step(run, 50);
    await waitUntil(() => (rec.seen[rec.seen.length - 1]?.step ?? 0) >= 10, 60_000, '10 steps');
    const changed = await api.setBatchSize(run, 1024);
    console.log(`[measured] step(50): batch change at step ${changed.step}`);
    expect(changed.step, 'the change came before step 50').to.be.below(50);
    expect(changed.state).to.equal('running');
    const done = await stepping;
    expect([done.state, done.step, done.batch]).to.deep.equal(['paused', 50, 1024]);
    // Nothing runs on unpaced.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const later = await api.runStatus(run);
    expect([later.state, later.step]).to.deep.equal(['paused', 50]);
    expect(rec.misaligned).to.deep.equal([]);
    expect(rec.history.length).to.equal(50);

    // The same steps at the same sizes, cut by step(n): the same parameters and losses.
    const twin = (await api.createModel(FLOW)).id;
    const recTwin = lossRecorder();
    const twinRun = await api.createRun(
      twin,
      data,
      { steps: 1000, batch: 2048, optimizer: ADAM },
      recTwin.listener,
    );
    await api.step(twinRun, changed.step);
    await api.setBatchSize(twinRun, 1024);
    expect((await api.step(twinRun, 50 - changed.step)).step).to.equal(50);
    expect(bits(recTwin.history)).to.deep.equal(bits(rec.history));
    const [p, q] = await Promise.all([api.exportParams(model), api.exportParams(twin)]);
    expect(new Uint32Array(p)).to.deep.equal(new Uint32Array(q));
    await Promise.all([model, twin].map((id) => api.disposeModel(id)));
  });

  it('batch changes mixed with pauses, step(n), stop and continue: one loss per step', async () => {
    const model = (await api.createModel(FLOW)).id;
    const rec = lossRecorder();
    const run = await api.createRun(
      model,
      data,
      { steps: 100_000, batch: 64, optimizer: ADAM },
      rec.listener,
    );
    await api.step(run, 7);
    await api.setBatchSize(run, 48); // while paused
    await api.start(run);
    await waitUntil(() => (rec.seen[rec.seen.length - 1]?.step ?? 0) >= 20, 30_000, '20 steps');
    await api.setBatchSize(run, 80); // while running
    const paused = await api.pause(run);
    expect(paused.state).to.equal('paused');
    const stepping = api.step(run, 9);
    await api.setBatchSize(run, 32); // during step(n)
    expect((await stepping).step).to.equal(paused.step + 9);
    await api.start(run);
    const stopped = await api.stop(run);
    expect(stopped.state).to.equal('stopped');
    await api.setBatchSize(run, 64); // after stop
    await api.start(run); // continue after stop
    await waitUntil(
      () => (rec.seen[rec.seen.length - 1]?.step ?? 0) >= stopped.step + 10,
      30_000,
      '10 steps after the continue',
    );
    const end = await api.stop(run);
    expect(end.step).to.be.at.least(stopped.step + 10);
    expect(rec.misaligned).to.deep.equal([]);
    expect(rec.history.length).to.equal(end.step);
    expect(rec.history.every(Number.isFinite)).to.equal(true);
    await api.disposeModel(model);
  });
});

import { expect } from '@esm-bundle/chai';
import { proxy, type Remote } from 'comlink';
import type { DatasetId, LabApi, RunProgress } from '../../src/worker/api';
import type { WorkerHandle } from '../../src/worker/client';
import {
  PACE_TICK_MS,
  checkSpeedCap,
  pacedChunkSteps,
  paceDelayMs,
} from '../../src/worker/scheduler';
import { rejection, startLabWorker, waitUntil } from './helpers';

describe('speed-cap pacing: the decision', () => {
  it('a paced chunk is PACE_TICK_MS worth of steps at the cap, at least one', () => {
    expect(PACE_TICK_MS).to.equal(100);
    expect(pacedChunkSteps(20)).to.equal(2);
    expect(pacedChunkSteps(100)).to.equal(10);
    expect(pacedChunkSteps(1000)).to.equal(100);
    // Slower than one step per tick: one step per chunk, spaced by the wait.
    expect(pacedChunkSteps(1)).to.equal(1);
    expect(pacedChunkSteps(0.5)).to.equal(1);
  });

  it('waits until the steps done have had their time at the cap, never a negative wait', () => {
    // 10 steps at 20 steps/s take 500 ms: 300 ms in, 200 ms are left.
    expect(paceDelayMs(10, 300, 20)).to.be.closeTo(200, 1e-9);
    expect(paceDelayMs(10, 500, 20)).to.equal(0);
    // Behind the cap (a slow GPU): no wait.
    expect(paceDelayMs(10, 900, 20)).to.equal(0);
    // The first chunk of a pace starts at once.
    expect(paceDelayMs(0, 0, 5)).to.equal(0);
    // One step at 2 steps/s: half a second, less the 100 ms already spent.
    expect(paceDelayMs(1, 100, 2)).to.be.closeTo(400, 1e-9);
  });

  it('a cap is a positive number of steps per second, or null for full speed', () => {
    expect(checkSpeedCap(null)).to.equal(null);
    expect(checkSpeedCap(undefined)).to.equal(null);
    expect(checkSpeedCap(12.5)).to.equal(12.5);
    for (const bad of [0, -3, NaN, Infinity]) {
      expect(() => checkSpeedCap(bad)).to.throw(RangeError, /positive number of steps per second/);
    }
  });
});

describe('speed-cap pacing: a run through the worker API', () => {
  let worker: WorkerHandle;
  let api: Remote<LabApi>;
  let data: DatasetId;
  before(async () => {
    worker = startLabWorker();
    api = worker.api;
    data = (await api.createDataset({ name: '8gaussians', seed: 3 })).id;
  });
  after(() => worker.terminate());

  it('reports its cap, keeps to it, and a cap change mid-run takes effect', async () => {
    const model = (
      await api.createModel({ family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 1 })
    ).id;
    const seen: RunProgress[] = [];
    const steps = 40;
    const run = await api.createRun(
      model,
      data,
      { steps, batch: 32, optimizer: { kind: 'adam', lr: 1e-3 }, maxStepsPerSecond: 4 },
      proxy((p: RunProgress) => void seen.push(p)),
    );
    expect((await api.runStatus(run)).speedCap).to.equal(4);
    const started = performance.now();
    await api.start(run);
    await waitUntil(() => seen.some((p) => p.step >= 2), 60_000, 'two paced steps');
    const status = await api.runStatus(run);
    const elapsedS = (performance.now() - started) / 1000;
    expect(status).to.include({ state: 'running', speedCap: 4 });
    // Paced: at 4 steps/s (one step per chunk) no more steps than the time allowed, plus the
    // chunk that starts at once. (A bound that only broken pacing can exceed.)
    expect(status.step).to.be.at.most(1 + Math.ceil(4 * elapsedS));
    expect(status.step).to.be.below(steps);

    // Lifted mid-run: the rest trains at full speed (at 4 steps/s it would take 10 s).
    const lifted = await api.setSpeedCap(run, null);
    expect(lifted.speedCap).to.equal(null);
    const end = await api.waitForRun(run);
    expect(end).to.include({ state: 'done', step: steps, speedCap: null });
    expect(seen.at(-1)!.speedCap).to.equal(null);

    // A bad cap is refused with what to pass instead; the run keeps its own.
    const error = await rejection(api.setSpeedCap(run, -1));
    expect(error.message).to.match(/positive number of steps per second \(or null/);
    expect((await api.runStatus(run)).speedCap).to.equal(null);
    await api.disposeRun(run);
    await api.disposeModel(model);
  });

  it('a cap set on a running uncapped run slows it to the cap', async () => {
    const model = (
      await api.createModel({ family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 2 })
    ).id;
    const run = await api.createRun(model, data, {
      steps: 100_000,
      batch: 32,
      optimizer: { kind: 'adam', lr: 1e-3 },
    });
    await api.start(run);
    const capped = await api.setSpeedCap(run, 2);
    expect(capped.speedCap).to.equal(2);
    const from = capped.step;
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const later = await api.runStatus(run);
    const elapsedS = (performance.now() - started) / 1000;
    // At most the chunk in flight when the cap came (≤ 256 steps), then 2 steps/s.
    expect(later.step - from).to.be.at.most(256 + 1 + Math.ceil(2 * elapsedS));
    const stepAfterCap = later.step;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const last = await api.runStatus(run);
    const moreS = (performance.now() - started) / 1000 - elapsedS;
    expect(last.step - stepAfterCap).to.be.at.most(2 + Math.ceil(2 * moreS));
    await api.stop(run);
    await api.disposeRun(run);
    await api.disposeModel(model);
  });

  it('a capped run pauses, takes a batch change and resumes at full speed to its end', async () => {
    const model = (
      await api.createModel({ family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 3 })
    ).id;
    const losses: number[] = [];
    const steps = 30;
    const run = await api.createRun(
      model,
      data,
      { steps, batch: 32, optimizer: { kind: 'adam', lr: 1e-3 }, maxStepsPerSecond: 20 },
      proxy((p: RunProgress) => void losses.push(...p.losses)),
    );
    await api.start(run);
    await waitUntil(() => losses.length >= 2, 60_000, 'two paced steps');
    const paused = await api.pause(run);
    expect(paused).to.include({ state: 'paused', speedCap: 20 });
    expect(paused.step).to.be.below(steps);
    // A batch change keeps the cap (the new segment is paced too).
    const changed = await api.setBatchSize(run, 16);
    expect(changed).to.include({ state: 'paused', batch: 16, speedCap: 20 });
    await api.setSpeedCap(run, null);
    await api.resume(run);
    const end = await api.waitForRun(run);
    expect(end).to.include({ state: 'done', step: steps, batch: 16, speedCap: null });
    // One loss per step: the pacing neither drops nor repeats steps (progress comes through
    // its own port, so the last report may land after waitForRun's answer).
    await waitUntil(() => losses.length >= steps, 10_000, 'every loss');
    expect(losses.length).to.equal(steps);
    await api.disposeRun(run);
    await api.disposeModel(model);
  });
});

import { expect } from '@esm-bundle/chai';
import { proxy, type Remote } from 'comlink';
import type { DatasetId, LabApi, RunProgress } from '../../src/worker/api';
import type { WorkerHandle } from '../../src/worker/client';
import { PACE_TICK_MS, Pacer, checkSpeedCap, pacedChunkSteps } from '../../src/worker/scheduler';
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

  it('each chunk is due its steps at the cap after the one before it', () => {
    const pacer = new Pacer();
    // The first chunk starts at once: 10 steps at 100 steps/s, so the next is due 100 ms later.
    expect(pacer.delayMs(1000)).to.equal(0);
    expect(pacer.admit(1000, 100)).to.equal(10);
    expect(pacer.delayMs(1000)).to.equal(100);
    expect(pacer.delayMs(1060)).to.be.closeTo(40, 1e-9);
    // On time: the schedule, not the clock, sets the next slot (no drift from a late timer).
    expect(pacer.admit(1103, 100)).to.equal(10);
    expect(pacer.delayMs(1103)).to.be.closeTo(97, 1e-9);
    // Slower than one step per tick: one step per chunk, 500 ms apart at 2 steps/s.
    const slow = new Pacer();
    expect(slow.admit(0, 2)).to.equal(1);
    expect(slow.delayMs(100)).to.equal(400);
  });

  it('a late chunk catches up at most one tick: no burst after a compile or a pause', () => {
    const pacer = new Pacer();
    pacer.admit(0, 100);
    // The first chunk took 2 s (a compile): the run is 1.9 s behind its schedule.
    expect(pacer.delayMs(2000)).to.equal(0);
    pacer.admit(2000, 100);
    // One tick of lag kept (the chunk counts from 1900), so one more chunk may start now ...
    expect(pacer.delayMs(2000)).to.equal(0);
    pacer.admit(2000, 100);
    // ... and then the cap holds: 20 steps in the 200 ms after 2000 ms, not 190.
    expect(pacer.delayMs(2000)).to.be.closeTo(100, 1e-9);
    // A new cap starts afresh: a raised cap need not wait out the old one's slot.
    const capped = new Pacer();
    capped.admit(0, 0.5);
    expect(capped.delayMs(10)).to.equal(1990);
    capped.restart();
    expect(capped.delayMs(10)).to.equal(0);
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

  it('batch changes mid-run keep the cap on every new segment', async () => {
    const model = (
      await api.createModel({ family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 4 })
    ).id;
    const seen: { ms: number; step: number }[] = [];
    const steps = 120;
    const cap = 100;
    const run = await api.createRun(
      model,
      data,
      { steps, batch: 32, optimizer: { kind: 'adam', lr: 1e-3 }, maxStepsPerSecond: cap },
      proxy((p: RunProgress) => void seen.push({ ms: performance.now(), step: p.step })),
    );
    const finished = api.step(run, steps);
    await waitUntil(() => seen.some((p) => p.step >= 1), 60_000, 'the first step');
    const first = seen.find((p) => p.step >= 1)!;
    let batch = 32;
    for (const at of [30, 60, 90]) {
      await waitUntil(() => seen.some((p) => p.step >= at), 60_000, `step ${at}`);
      batch = batch === 32 ? 16 : 32;
      expect(await api.setBatchSize(run, batch)).to.include({ batch, speedCap: cap });
    }
    const end = await finished;
    const elapsedMs = performance.now() - first.ms;
    expect(end).to.include({ state: 'done', step: steps, batch });
    // After the first report the rest is due at the cap, less the one chunk a late start may
    // catch up and one of rounding: an unpaced segment (about 4x the cap here) ends far
    // sooner. (50 ms of slack for message latency.)
    const chunk = pacedChunkSteps(cap);
    const dueMs = ((steps - first.step - 2 * chunk) * 1000) / cap;
    expect(elapsedMs).to.be.at.least(dueMs - 50);
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

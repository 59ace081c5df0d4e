import { expect } from '@esm-bundle/chai';
import { proxy } from 'comlink';
import type { LabEvent, ModelId, RunProgress } from '../../src/worker/api';
import { rejection, startLabWorker, waitUntil } from './helpers';

const FM = {
  family: 'diffusion',
  kind: 'flow-matching',
  hidden: 16,
  layers: 2,
  seed: 3,
} as const;
const ADAM = { kind: 'adam', lr: 1e-2, emaDecay: 0.9 } as const;

const mean = (values: ArrayLike<number>) =>
  Array.from(values).reduce((s, x) => s + x, 0) / values.length;

describe('worker: reflow pairs and pairing guardrails', () => {
  it('makes pairs only from a trained flow-matching teacher, and remakes them exactly after a device loss', async () => {
    const worker = startLabWorker();
    const api = worker.api;
    try {
      const events: LabEvent[] = [];
      await api.subscribe(proxy((e: LabEvent) => void events.push(e)));
      const data = (await api.createDataset({ name: 'moons', seed: 1 })).id;
      const teacher: ModelId = (await api.createModel(FM)).id;
      const pairOptions = { count: 256, sampler: 'rk4', steps: 3, seed: 5 } as const;

      // Untrained: the message says what to do.
      const untrained = await rejection(api.createReflowPairs(teacher, pairOptions));
      expect(untrained.message).to.match(/has not been trained: train the teacher cell first/);
      const flow = (
        await api.createModel({ family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 1 })
      ).id;
      expect((await rejection(api.createReflowPairs(flow, pairOptions))).message).to.match(
        /is a realnvp model; reflow pairs come from a flow-matching teacher/,
      );

      const teacherRun = await api.createRun(teacher, data, {
        steps: 40,
        batch: 64,
        optimizer: ADAM,
      });
      await api.step(teacherRun, 40);
      const pairs = await api.createReflowPairs(teacher, pairOptions);
      expect(pairs.count).to.equal(256);
      expect(pairs.nfe).to.equal(12); // RK4: 4 evaluations per step
      expect(pairs.teacherStep).to.equal(40);
      const before = await api.readReflowPairs(pairs.id);
      // z is the sampler's own noise and x the teacher's ODE image of it: the teacher's samples
      // with the same seed (model coordinates there, data coordinates here).
      // (The worker passes sampler options through to diffusion models.)
      const samples = await api.sample(teacher, 256, { ...pairOptions } as { seed: number });
      const { shift, scale } = pairs.normalization;
      let worst = 0;
      for (let i = 0; i < 256; i++) {
        for (let d = 0; d < 2; d++) {
          const inData = before.x[2 * i + d]! * scale[d]! + shift[d]!;
          worst = Math.max(worst, Math.abs(inData - samples[2 * i + d]!));
        }
      }
      expect(worst, 'pairs x vs teacher.sample').to.be.below(1e-4);

      // A reflow student refuses plain data; an independent model refuses the pairs.
      const student = (await api.createModel({ ...FM, pairing: 'reflow' })).id;
      expect(
        (await rejection(api.createRun(student, data, { steps: 5, batch: 32, optimizer: ADAM })))
          .message,
      ).to.match(/pairing 'reflow': it trains on a teacher's pairs/);
      expect(
        (await rejection(api.createRun(flow, pairs.id, { steps: 5, batch: 32, optimizer: ADAM })))
          .message,
      ).to.match(/are reflow pairs/);

      // The teacher trains on after the pairs were made: the bank is what it was.
      const seen: RunProgress[] = [];
      const studentRun = await api.createRun(
        student,
        pairs.id,
        { steps: 60, batch: 64, optimizer: ADAM, checkpointIntervalMs: 0 },
        proxy((p: RunProgress) => void seen.push(p)),
      );
      await api.step(studentRun, 20);
      await api.disposeRun(teacherRun);
      await api.disposeModel(teacher);

      await api.debugLoseDevice();
      await waitUntil(() => events.some((e) => e.kind === 'device-recovered'), 60_000, 'recovery');
      const after = await api.readReflowPairs(pairs.id);
      expect(Array.from(after.z)).to.deep.equal(Array.from(before.z));
      let drift = 0;
      for (let i = 0; i < after.x.length; i++) {
        drift = Math.max(drift, Math.abs(after.x[i]! - before.x[i]!));
      }
      expect(drift, 'remade pairs x').to.be.below(1e-5);

      await api.start(studentRun);
      const end = await api.waitForRun(studentRun);
      expect(end.state).to.equal('done');
      expect(end.step).to.equal(60);
      const losses = seen.flatMap((p) => Array.from(p.losses));
      expect(losses.every(Number.isFinite)).to.equal(true);
      expect(mean(losses.slice(-15)), 'late loss below early loss').to.be.below(
        mean(losses.slice(0, 15)),
      );
      await api.disposeReflowPairs(pairs.id);
      expect((await rejection(api.readReflowPairs(pairs.id))).message).to.match(/No pairs/);
    } finally {
      worker.terminate();
    }
  });

  it('minibatch OT refuses a batch over 512 before the GPU, and trains a small batch', async () => {
    const worker = startLabWorker();
    const api = worker.api;
    try {
      const data = (await api.createDataset({ name: 'moons', seed: 1 })).id;
      const ot = (await api.createModel({ ...FM, pairing: 'minibatch-ot' })).id;
      const big = await rejection(
        api.createRun(ot, data, { steps: 5, batch: 513, optimizer: ADAM }),
      );
      expect(big.message).to.match(/batch size must be at most 512, got 513/);
      const seen: RunProgress[] = [];
      const run = await api.createRun(
        ot,
        data,
        { steps: 40, batch: 32, optimizer: ADAM },
        proxy((p: RunProgress) => void seen.push(p)),
      );
      expect((await rejection(api.setBatchSize(run, 1024))).message).to.match(/at most 512/);
      const end = await api.step(run, 40);
      expect(end.step).to.equal(40);
      const losses = seen.flatMap((p) => Array.from(p.losses));
      expect(losses).to.have.length(40);
      expect(losses.every(Number.isFinite)).to.equal(true);
      expect(mean(losses.slice(-10))).to.be.below(mean(losses.slice(0, 10)));
    } finally {
      worker.terminate();
    }
  });
});

import { expect } from '@esm-bundle/chai';
import { startLabWorker } from './helpers';

const FM = { family: 'diffusion', kind: 'flow-matching', hidden: 16, layers: 2, seed: 6 } as const;
const OPTIONS = { batch: 32, optimizer: { kind: 'adam', lr: 5e-3, emaDecay: 0.9 } } as const;

describe('worker: training on after a run finished', () => {
  it('step(n) past the end continues exactly: 10 steps, done, 5 more equals 15 straight', async () => {
    const worker = startLabWorker();
    const api = worker.api;
    try {
      const data = (await api.createDataset({ name: 'moons', seed: 2 })).id;
      const straight = (await api.createModel(FM)).id;
      const a = await api.createRun(straight, data, { steps: 15, ...OPTIONS });
      expect((await api.step(a, 15)).state).to.equal('done');

      const resumed = (await api.createModel(FM)).id;
      const b = await api.createRun(resumed, data, { steps: 10, ...OPTIONS });
      const first = await api.step(b, 10);
      expect(first).to.include({ state: 'done', step: 10, totalSteps: 10 });
      // Before, a finished run refused: "This run already did all 10 steps".
      const more = await api.step(b, 5);
      expect(more).to.include({ state: 'done', step: 15, totalSteps: 15 });
      expect(more.notice).to.equal(undefined);

      const [pa, pb] = await Promise.all([api.exportParams(straight), api.exportParams(resumed)]);
      expect(Array.from(new Float32Array(pb))).to.deep.equal(Array.from(new Float32Array(pa)));
      // Sampling uses the EMA the continued optimizer kept: the same samples too.
      const [sa, sb] = await Promise.all([
        api.sample(straight, 256, { seed: 1 }),
        api.sample(resumed, 256, { seed: 1 }),
      ]);
      expect(Array.from(sb)).to.deep.equal(Array.from(sa));
    } finally {
      worker.terminate();
    }
  });
});

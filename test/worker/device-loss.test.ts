import { expect } from '@esm-bundle/chai';
import { proxy } from 'comlink';
import type { LabEvent, RunProgress } from '../../src/worker/api';
import { pixelsDifferentFrom } from '../render/pixels';
import { MAX_LOSSES_IN_WINDOW } from '../../src/worker/session';
import { createTestView, startLabWorker, waitUntil } from './helpers';

describe('device loss in the middle of training', () => {
  it('rebuilds the model from its checkpoint on a new device, keeps training, and tells the page', async () => {
    const worker = startLabWorker();
    const api = worker.api;
    try {
      const events: LabEvent[] = [];
      await api.subscribe(proxy((e: LabEvent) => void events.push(e)));
      const data = (await api.createDataset({ name: 'moons', seed: 1 })).id;
      const model = (
        await api.createModel({ family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 2 })
      ).id;
      const seen: RunProgress[] = [];
      const run = await api.createRun(
        model,
        data,
        {
          steps: 1_000_000,
          batch: 128,
          optimizer: { kind: 'adam', lr: 1e-3 },
          checkpointIntervalMs: 200,
        },
        proxy((p: RunProgress) => void seen.push(p)),
      );
      const view = await createTestView(api);
      await api.setViewLayers(view, [
        { kind: 'points', source: { model }, count: 2000, color: [1, 1, 1], alpha: 1 },
      ]);
      await api.start(run);
      await waitUntil(() => seen.some((p) => (p.checkpointStep ?? 0) > 0), 20_000, 'a checkpoint');
      const before = await api.runStatus(run);

      await api.debugLoseDevice();
      await waitUntil(() => events.some((e) => e.kind === 'device-recovered'), 30_000, 'recovery');
      expect(events.map((e) => e.kind)).to.deep.equal(['device-lost', 'device-recovered']);
      expect(events[1]!.message).to.match(/1 model\(s\) rebuilt from their checkpoints/);

      await waitUntil(
        () => seen.some((p) => p.notice?.kind === 'device-recovered'),
        10_000,
        "the run's recovery notice",
      );
      const recovered = seen.find((p) => p.notice?.kind === 'device-recovered')!;
      expect(recovered.notice!.message).to.match(
        /rebuilt on a new device from its checkpoint at step \d+/,
      );
      const checkpoint = recovered.checkpointStep!;
      expect(checkpoint).to.be.within(1, before.step + 1000);
      // It resumes from the checkpoint and keeps training past where it was.
      expect(recovered.step).to.equal(checkpoint);
      await waitUntil(
        () => seen.at(-1)!.state === 'running' && seen.at(-1)!.step > before.step + 20,
        30_000,
        'training to go on',
      );
      const status = await api.pause(run);
      expect(Number.isFinite(status.loss)).to.equal(true);

      // Views rebind to the new device too.
      await api.render(view);
      const image = await api.readPixels(view);
      expect(pixelsDifferentFrom(image, [0, 0, 0])).to.be.greaterThan(50);
    } finally {
      worker.terminate();
    }
  });

  it('stops recovering after repeated losses in a short time, with a clear message, instead of looping', async () => {
    const worker = startLabWorker();
    const api = worker.api;
    try {
      const events: LabEvent[] = [];
      await api.subscribe(proxy((e: LabEvent) => void events.push(e)));
      const data = (await api.createDataset({ name: 'moons', seed: 1 })).id;
      const model = (
        await api.createModel({ family: 'flow', kind: 'nice', layers: 2, hidden: 8, seed: 2 })
      ).id;
      const run = await api.createRun(model, data, {
        steps: 1_000_000,
        batch: 64,
        optimizer: { kind: 'adam', lr: 1e-3 },
      });
      await api.start(run);
      const recoveries = () => events.filter((e) => e.kind === 'device-recovered').length;
      for (let loss = 1; loss <= MAX_LOSSES_IN_WINDOW; loss++) {
        await api.debugLoseDevice();
        await waitUntil(() => recoveries() === loss, 30_000, `recovery ${loss}`);
      }
      expect((await api.runStatus(run)).state).to.be.oneOf(['running', 'recovering']);
      await api.debugLoseDevice();
      await waitUntil(() => events.some((e) => e.kind === 'gpu-stopped'), 30_000, 'giving up');
      const gaveUp = events.find((e) => e.kind === 'gpu-stopped')!;
      expect(gaveUp.message).to.match(
        new RegExp(`lost ${MAX_LOSSES_IN_WINDOW + 1} times in \\d+ s .*stopped recovering`),
      );
      expect(gaveUp.message).to.contain('Reload the page');
      expect(recoveries()).to.equal(MAX_LOSSES_IN_WINDOW);
      const status = await api.runStatus(run);
      expect(status.state).to.equal('failed');
      expect(status.notice).to.deep.equal({
        kind: 'error',
        message: `Training stopped: ${gaveUp.message}`,
      });
      // Nothing more is tried on its own: later calls say why.
      const refused = await api.createDataset({ name: 'moons', seed: 2 }).catch((e: Error) => e);
      expect((refused as Error).message).to.equal(gaveUp.message);
    } finally {
      worker.terminate();
    }
  });
});

import { expect } from '@esm-bundle/chai';
import { proxy } from 'comlink';
import type { LabEvent, RunProgress } from '../../src/worker/api';
import { pixelsDifferentFrom } from '../render/pixels';
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
});

import { expect } from '@esm-bundle/chai';
import { pixelsDifferentFrom } from '../render/pixels';
import { createTestView, rejection, startLabWorker } from './helpers';

describe('a diffusion model through the same LabApi', () => {
  it('trains, draws samples and a heatmap; an inverse warp is refused readably', async () => {
    const worker = startLabWorker();
    const api = worker.api;
    try {
      const data = (await api.createDataset({ name: '8gaussians', seed: 1 })).id;
      const model = await api.createModel({
        family: 'diffusion',
        kind: 'flow-matching',
        hidden: 16,
        layers: 2,
        seed: 3,
      });
      expect(model.capabilities.trace).to.equal(false);
      const run = await api.createRun(model.id, data, {
        steps: 60,
        batch: 128,
        optimizer: { kind: 'adam', lr: 1e-2, emaDecay: 0.9 },
      });
      const paused = await api.step(run, 20);
      expect([paused.state, paused.step]).to.deep.equal(['paused', 20]);
      expect(paused.gpuMsPerStep).to.be.greaterThan(0);
      const view = await createTestView(api);
      await api.setViewLayers(view, [
        { kind: 'heatmap', source: { model: model.id }, resolution: 16 },
        { kind: 'points', source: { model: model.id }, count: 1000, color: [1, 1, 1], alpha: 1 },
      ]);
      const report = await api.render(view);
      expect(report.legend!.max).to.be.greaterThan(report.legend!.min);
      expect(pixelsDifferentFrom(await api.readPixels(view), [0, 0, 0])).to.be.greaterThan(1000);
      // Its warp view follows the ODE forward in time; pulling a latent grid back is refused.
      const refused = await rejection(
        api.setViewLayers(view, [
          { kind: 'warp', model: model.id, direction: 'inverse', stage: 0 },
        ]),
      );
      expect(refused.message).to.match(/warp view of a flow-matching model.*direction 'forward'/);
      await api.start(run);
      expect((await api.waitForRun(run)).state).to.equal('done');
    } finally {
      worker.terminate();
    }
  });
});

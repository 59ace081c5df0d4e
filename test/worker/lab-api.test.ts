import { expect } from '@esm-bundle/chai';
import { proxy, transfer, type Remote } from 'comlink';
import { resolveDataset } from '../../src/data/source';
import { resolveFlowSpec } from '../../src/models/flows/flow-spec';
import type {
  DatasetId,
  LabApi,
  LabEvent,
  ModelId,
  RunProgress,
  ViewId,
} from '../../src/worker/api';
import type { WorkerHandle } from '../../src/worker/client';
import { createTestView, rejection, startLabWorker, waitUntil } from './helpers';

/** The message a call made on the page would throw, to compare with what crosses comlink. */
function localMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the local call to throw');
}

const SPEC = { family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 3 } as const;

describe('LabApi through comlink: every call round-trips, errors keep their message', () => {
  let worker: WorkerHandle;
  let api: Remote<LabApi>;
  let data: DatasetId;
  let model: ModelId;
  before(() => {
    worker = startLabWorker();
    api = worker.api;
  });
  after(() => worker.terminate());

  it('probe, datasetNames, datasets (sample, logProb, dispose) and their errors', async () => {
    const report = await api.probe();
    expect(report.features).to.include('timestamp-query');
    expect((await api.gpuStatus()).deviceGeneration).to.equal(1);
    expect(await api.datasetNames()).to.include.members(['moons', 'gaussian', 'checkerboard']);
    const info = await api.createDataset({ name: 'gaussian', params: { mean: [1, 0] }, seed: 2 });
    data = info.id;
    expect(info).to.include({ name: 'gaussian', hasLogProb: true });
    expect(info.bounds).to.have.length(4);
    const points = await api.sampleDataset(data, 100, { seed: 4 });
    expect(points).to.be.instanceOf(Float32Array).with.length(200);
    const lp = await api.datasetLogProb(data, points);
    expect(lp).to.have.length(100);
    expect(lp.every(Number.isFinite)).to.equal(true);

    const bad = { name: 'nope' } as never;
    expect((await rejection(api.createDataset(bad))).message).to.equal(
      localMessage(() => resolveDataset(bad)),
    );
    const moons = await api.createDataset({ name: 'moons' });
    expect((await rejection(api.datasetLogProb(moons.id, points))).message).to.match(
      /closed-form|density/i,
    );
    await api.disposeDataset(moons.id);
    expect((await rejection(api.sampleDataset(moons.id, 4))).message).to.match(
      /No dataset "dataset:\d+".*createDataset/,
    );
  });

  it('models: sample, logProb, trace, export/import params, checkpoint, dispose, and errors', async () => {
    const info = await api.createModel(SPEC);
    model = info.id;
    expect(info.capabilities.trace).to.equal(true);
    expect(info.parameterCount).to.be.greaterThan(10);
    const samples = await api.sample(model, 64, { seed: 1 });
    expect(samples).to.have.length(128);
    expect((await api.logProb(model, samples)).every(Number.isFinite)).to.equal(true);
    const stages = await api.trace(model, Float32Array.of(0, 0, 1, 1), 'forward');
    expect(stages).to.have.length(SPEC.layers + 2);
    expect(await api.checkpoint(model)).to.equal(null);

    const params = new Float32Array(await api.exportParams(model));
    expect(params).to.have.length(info.parameterCount);
    const changed = params.map((v, i) => (i === 0 ? v + 0.5 : v));
    const copy = changed.slice();
    await api.importParams(model, transfer(copy.buffer, [copy.buffer]));
    expect(copy.byteLength, 'the buffer was transferred, not copied').to.equal(0);
    expect(new Float32Array(await api.exportParams(model))).to.deep.equal(changed);
    const checkpoint = await api.checkpoint(model);
    expect(checkpoint!.step).to.equal(0);
    expect(new Float32Array(checkpoint!.params)).to.deep.equal(changed);

    const badSpec = { ...SPEC, layers: 99 } as never;
    expect((await rejection(api.createModel(badSpec))).message).to.equal(
      localMessage(() => resolveFlowSpec(badSpec)),
    );
    expect((await rejection(api.importParams(model, new ArrayBuffer(8)))).message).to.match(
      /parameters; got 2/,
    );
    const other = await api.createModel(SPEC);
    await api.disposeModel(other.id);
    expect((await rejection(api.sample(other.id, 4))).message).to.match(/No model "model:\d+"/);
  });

  it('runs: every control and live change, progress through a proxy, and errors', async () => {
    const progress: RunProgress[] = [];
    const run = await api.createRun(
      model,
      data,
      { steps: 400, batch: 64, optimizer: { kind: 'adam', lr: 1e-3 } },
      proxy((p: RunProgress) => void progress.push(p)),
    );
    expect((await api.runStatus(run)).state).to.equal('idle');
    let p = await api.step(run, 7);
    expect([p.state, p.step]).to.deep.equal(['paused', 7]);
    await api.start(run);
    await waitUntil(
      () => progress.some((q) => q.step > 20 && q.state === 'running'),
      20_000,
      'steps',
    );
    p = await api.pause(run);
    expect(p.state).to.equal('paused');
    const pausedAt = p.step;
    expect((await api.runStatus(run)).step).to.equal(pausedAt);
    expect((await api.setLearningRate(run, 5e-4)).learningRate).to.equal(5e-4);
    expect((await api.setBatchSize(run, 32)).batch).to.equal(32);
    await api.resume(run);
    p = await api.step(run, 3);
    expect(p.state).to.equal('paused');
    p = await api.stop(run);
    expect(p.state).to.equal('stopped');
    expect((await api.waitForRun(run)).state).to.equal('stopped');
    p = await api.reset(run);
    expect([p.state, p.step]).to.deep.equal(['idle', 0]);
    expect(progress.length).to.be.greaterThan(3);
    expect(progress.some((q) => q.losses.length > 0)).to.equal(true);

    expect((await rejection(api.setLearningRate(run, -1))).message).to.equal(
      'optimizer.lr must be a number in [0, 10], got -1.',
    );
    expect((await rejection(api.setBatchSize(run, 0))).message).to.match(/train\.batch must be/);
    expect(
      (
        await rejection(
          api.createRun(model, data, { steps: 1, batch: 1, optimizer: { kind: 'adam', lr: 1 } }),
        )
      ).message,
    ).to.match(/already has run:\d+/);
    await api.disposeRun(run);
    expect((await rejection(api.runStatus(run))).message).to.match(/No run "run:\d+"/);
  });

  it('views: create, layers, bounds, resize, render, scrub, live, read pixels, dispose, errors', async () => {
    const view: ViewId = await createTestView(api);
    await api.setViewLayers(view, [
      { kind: 'heatmap', source: { dataset: data }, resolution: 32 },
      { kind: 'warp', model, direction: 'forward', stage: 0, lines: 5, pointsPerLine: 16 },
      { kind: 'points', source: { model }, count: 500, color: [1, 0.4, 0.2], alpha: 0.8 },
    ]);
    await api.setViewBounds(view, [-4, -3, 4, 3]);
    await api.resizeView(view, 120, 80, 2);
    const report = await api.render(view);
    expect([report.width, report.height]).to.deep.equal([240, 160]);
    expect(report.warpStages).to.equal(SPEC.layers + 2);
    expect(report.legend!.unit).to.equal('nats');
    expect(report.ticks.x.length).to.be.greaterThan(1);
    const scrubbed = await api.setWarpStage(view, 1.5);
    expect(scrubbed.ms).to.be.lessThan(report.ms + 1000);
    const image = await api.readPixels(view);
    expect([image.width, image.height]).to.deep.equal([240, 160]);
    expect((await api.viewStatus(view)).frames).to.equal(2);
    expect((await api.gpuStatus()).compiledRenderPipelines).to.be.at.least(3);
    await api.setViewLive(view, { live: true, visible: true });
    await api.setViewLive(view, { live: false, visible: false });

    expect(
      (
        await rejection(
          api.setViewLayers(view, [
            { kind: 'points', source: { model }, count: 5, color: [2, 0, 0], alpha: 1 },
          ]),
        )
      ).message,
    ).to.equal('points.color must be 3 or 4 numbers in [0, 1], got [2, 0, 0].');
    expect(
      (
        await rejection(
          api.createView({} as OffscreenCanvas, { cssWidth: 1, cssHeight: 1, pixelRatio: 1 }),
        )
      ).message,
    ).to.match(/transferControlToOffscreen/);
    await api.disposeView(view);
    expect((await rejection(api.render(view))).message).to.match(/No view "view:\d+"/);
  });

  it('worker errors reach the page as readable messages; the page can restart the worker', async () => {
    const events: LabEvent[] = [];
    await api.subscribe(proxy((e: LabEvent) => void events.push(e)));
    const pageErrors: string[] = [];
    worker.onError((message) => pageErrors.push(message));
    await api.debugThrowUncaught('a deliberate test failure');
    await waitUntil(() => pageErrors.length > 0 && events.length > 0, 5000, 'the error');
    expect(pageErrors[0]).to.contain('a deliberate test failure');
    expect(events[0]).to.deep.include({ kind: 'worker-error' });
    expect(events[0]!.message).to.contain('a deliberate test failure');

    api = worker.restart();
    expect((await rejection(api.sample(model, 4))).message).to.match(/No model/);
    expect(await api.datasetNames()).to.include('moons');
  });
});

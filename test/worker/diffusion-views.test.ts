import { expect } from '@esm-bundle/chai';
import type { Remote } from 'comlink';
import type { GpuRuntime } from '../../src/gpu';
import { LabDiffusion } from '../../src/lab/diffusion';
import type { DatasetId, LabApi, ModelId, TrajectoriesLayer } from '../../src/worker/api';
import type { WorkerHandle } from '../../src/worker/client';
import { createLabService } from '../../src/worker/service';
import { LabSession, type DeviceScope } from '../../src/worker/session';
import {
  ODE_WARP_STEPS,
  prepareField,
  preparePoints,
  prepareTrajectories,
} from '../../src/worker/view-sources';
import { arrowGrid } from '../../src/render';
import { pixelsDifferentFrom } from '../render/pixels';
import { createTestView, rejection, startLabWorker } from './helpers';

const BLACK = [0, 0, 0] as const;

/**
 * The data behind the new layers, made in this page by the same code the worker runs (so the
 * GPU buffers can be read back and compared with the model's own answers).
 */
describe('trajectories and field data: paths end at the samples, arrows are the field', () => {
  let session: LabSession;
  let scope: DeviceScope;
  let runtime: GpuRuntime;
  let api: LabApi;
  let data: DatasetId;
  const models: Record<'fm' | 'ddpm' | 'flow', ModelId> = {} as never;
  before(async () => {
    session = new LabSession();
    api = createLabService(session);
    scope = await session.ready();
    runtime = scope.lab.runtime;
    data = (await api.createDataset({ name: '8gaussians', seed: 1 })).id;
    const small = { hidden: 16, layers: 2, seed: 3 };
    models.fm = (
      await api.createModel({ family: 'diffusion', kind: 'flow-matching', ...small })
    ).id;
    models.ddpm = (
      await api.createModel({ family: 'diffusion', kind: 'ddpm', timesteps: 100, ...small })
    ).id;
    models.flow = (await api.createModel({ family: 'flow', kind: 'realnvp', ...small })).id;
    // A few steps each, so the networks are not at their initial (near-zero) outputs.
    for (const id of Object.values(models)) {
      const run = await api.createRun(id, data, {
        steps: 10,
        batch: 64,
        optimizer: { kind: 'adam', lr: 1e-2 },
      });
      await api.step(run, 10);
      await api.disposeRun(run);
    }
  });
  after(() => scope.lab.dispose());

  const read = (buffer: GPUBuffer, offset: number, count: number) =>
    runtime.readback.readFloat32(buffer, offset * 4, count);

  for (const [key, sample, nfe] of [
    ['fm', { sampler: 'euler', steps: 8 }, 8],
    ['fm', { sampler: 'rk4', steps: 3 }, 12],
    ['ddpm', { sampler: 'ddim', steps: 10, eta: 0 }, 10],
    ['ddpm', { sampler: 'ddpm' }, 100],
    ['flow', undefined, null],
  ] as const) {
    it(`${key} ${sample?.sampler ?? ''}: trajectories end at the points layer's samples; nfe ${nfe}`, async () => {
      const count = 50;
      const seed = 7;
      const model = models[key];
      const points = await preparePoints(session, scope, {
        kind: 'points',
        source: { model },
        count,
        seed,
        sample,
        color: [1, 1, 1],
        alpha: 1,
      });
      const paths = await prepareTrajectories(session, scope, {
        kind: 'trajectories',
        model,
        count,
        seed,
        sample,
        color: [1, 1, 1],
        alpha: 1,
      });
      try {
        expect(points.nfe).to.equal(nfe);
        expect(paths.nfe).to.equal(nfe);
        const record = session.models.get(model).model;
        if (record instanceof LabDiffusion) {
          expect(record.diffusion.samplePlan(sample).nfe, 'the plan').to.equal(nfe);
        }
        const frames = paths.times.length;
        expect(frames).to.be.at.least(3);
        // From the noise end (DDIM's first step may sit below t = 1) down to the data.
        expect(paths.times[0]).to.be.within(0.5, 1);
        expect(paths.times.at(-1)).to.equal(0);
        paths.times.slice(1).forEach((t, i) => expect(t).to.be.lessThan(paths.times[i]!));
        const samples = await read(points.buffer.buffer, 0, 2 * count);
        const ends = await read(paths.frames.buffer, (frames - 1) * 2 * count, 2 * count);
        // The same noise and sampler; a run that records frames rounds differently in the
        // last float32 bit, no more.
        ends.forEach((v, i) =>
          expect(v, `coordinate ${i}`).to.be.closeTo(
            samples[i]!,
            1e-6 * (1 + Math.abs(samples[i]!)),
          ),
        );
        const starts = await read(paths.frames.buffer, 0, 2 * count);
        const moved = starts.reduce((s, v, i) => s + Math.abs(v - ends[i]!), 0) / count;
        expect(moved, 'paths go somewhere').to.be.greaterThan(0.05);
      } finally {
        points.buffer.dispose();
        paths.frames.dispose();
      }
    });
  }

  for (const [key, t, quantity] of [
    ['fm', 0.5, 'velocity'],
    ['ddpm', 0.3, 'pf-drift'],
  ] as const) {
    it(`${key}: field arrows are −dx/dt of model.field() on the grid (${quantity})`, async () => {
      const visible = [-2, -3, 2, 3] as const;
      const field = await prepareField(
        session,
        scope,
        { kind: 'field', model: models[key], t, resolution: 5, color: [1, 1, 1], alpha: 1 },
        [...visible],
      );
      try {
        const grid = arrowGrid([...visible], 5);
        const model = session.models.get(models[key]).model as LabDiffusion;
        const { velocity } = await model.field(grid.points, t);
        const arrows = await read(field.arrows.buffer, 0, 4 * 25);
        let max = 0;
        for (let i = 0; i < 25; i++) {
          expect(arrows[4 * i]).to.equal(grid.points[2 * i]);
          expect(arrows[4 * i + 1]).to.equal(grid.points[2 * i + 1]);
          expect(arrows[4 * i + 2]).to.equal(-velocity[2 * i]!);
          expect(arrows[4 * i + 3]).to.equal(-velocity[2 * i + 1]!);
          max = Math.max(max, Math.hypot(velocity[2 * i]!, velocity[2 * i + 1]!));
        }
        expect(field.legend.quantity).to.equal(quantity);
        expect(field.legend.maxMagnitude).to.be.closeTo(max, 1e-6 * max);
        // The longest arrow spans 0.9 of the grid spacing (0.8 data units here).
        expect(field.lengthScale * max).to.be.closeTo(0.9 * 0.8, 1e-6);
      } finally {
        field.arrows.dispose();
      }
    });
  }
});

describe('trajectories, field and ODE warp layers through the worker', () => {
  let worker: WorkerHandle;
  let api: Remote<LabApi>;
  let fm: ModelId;
  let flow: ModelId;
  before(async () => {
    worker = startLabWorker();
    api = worker.api;
    const data = (await api.createDataset({ name: '8gaussians', seed: 1 })).id;
    fm = (
      await api.createModel({
        family: 'diffusion',
        kind: 'flow-matching',
        hidden: 16,
        layers: 2,
        seed: 3,
      })
    ).id;
    flow = (
      await api.createModel({ family: 'flow', kind: 'realnvp', hidden: 8, layers: 2, seed: 1 })
    ).id;
    for (const id of [fm, flow]) {
      const run = await api.createRun(id, data, {
        steps: 20,
        batch: 128,
        optimizer: { kind: 'adam', lr: 1e-2 },
      });
      await api.step(run, 20);
    }
  });
  after(() => worker.terminate());

  it('draws paths and arrows; reports nfe and the field scale; scrubbing recomputes nothing', async () => {
    const view = await createTestView(api, { bounds: [-4, -4, 4, 4] });
    const paths: TrajectoriesLayer = {
      kind: 'trajectories',
      model: fm,
      count: 200,
      seed: 2,
      sample: { sampler: 'heun', steps: 6 },
      color: [1, 0.6, 0.2],
      alpha: 0.8,
    };
    await api.setViewLayers(view, [paths]);
    const report = await api.render(view);
    // Heun: two network evaluations per step.
    expect(report.nfe).to.equal(2 * 6);
    expect(report.field).to.equal(null);
    const whole = await api.readPixels(view);
    expect(pixelsDifferentFrom(whole, BLACK)).to.be.greaterThan(300);
    const before = (await api.viewStatus(view)).refreshes;
    await api.setViewLayers(view, [{ ...paths, upTo: 0.7 }]);
    await api.render(view);
    const part = await api.readPixels(view);
    expect((await api.viewStatus(view)).refreshes, 'same paths, new end').to.equal(before);
    const drawn = pixelsDifferentFrom(part, BLACK);
    expect(drawn).to.be.greaterThan(50);
    expect(drawn, 'a shorter stretch of each path').to.be.lessThan(
      pixelsDifferentFrom(whole, BLACK),
    );

    await api.setViewLayers(view, [
      { kind: 'field', model: fm, t: 0.5, resolution: 8, color: [1, 1, 1], alpha: 1 },
    ]);
    const fieldReport = await api.render(view);
    expect(fieldReport.nfe).to.equal(null);
    expect(fieldReport.field!.quantity).to.equal('velocity');
    expect(fieldReport.field!.maxMagnitude).to.be.greaterThan(0);
    // 0.9 of the spacing: 8 data units / 8 arrows on 96 CSS pixels.
    expect(fieldReport.field!.maxArrowPx).to.be.closeTo(0.9 * 12, 1e-6);
    expect(pixelsDifferentFrom(await api.readPixels(view), BLACK)).to.be.greaterThan(100);
  });

  it('a flow draws paths through its layers; a field of a flow and bad samplers are refused readably', async () => {
    const view = await createTestView(api);
    await api.setViewLayers(view, [
      { kind: 'trajectories', model: flow, count: 100, color: [1, 1, 1], alpha: 1 },
    ]);
    const report = await api.render(view);
    expect(report.nfe).to.equal(null);
    expect(pixelsDifferentFrom(await api.readPixels(view), BLACK)).to.be.greaterThan(100);
    const field = await rejection(
      api.setViewLayers(view, [
        { kind: 'field', model: flow, t: 0.5, resolution: 8, color: [1, 1, 1], alpha: 1 },
      ]),
    );
    expect(field.message).to.match(/field view shows the velocity of a diffusion.*flow model/);
    const sampler = await rejection(
      api.setViewLayers(view, [
        {
          kind: 'points',
          source: { model: fm },
          count: 10,
          sample: { sampler: 'ddim' },
          color: [1, 1, 1],
          alpha: 1,
        },
      ]),
    );
    expect(sampler.message).to.match(/points.sample: sampler for a flow-matching model must be/);
  });

  it('the warp layer of a flow-matching model scrubs through ODE time steps', async () => {
    const view = await createTestView(api);
    await api.setViewLayers(view, [
      { kind: 'warp', model: fm, direction: 'forward', stage: 0, lines: 7, pointsPerLine: 16 },
    ]);
    const report = await api.render(view);
    expect(report.warpStages).to.equal(ODE_WARP_STEPS + 1);
    const first = await api.readPixels(view);
    expect(pixelsDifferentFrom(first, BLACK)).to.be.greaterThan(200);
    await api.setWarpStage(view, ODE_WARP_STEPS);
    const last = await api.readPixels(view);
    let changed = 0;
    for (let i = 0; i < first.data.length; i++) if (first.data[i] !== last.data[i]) changed++;
    expect(changed, 'the grid moves towards the noise').to.be.greaterThan(100);
    const inverse = await rejection(
      api.setViewLayers(view, [{ kind: 'warp', model: fm, direction: 'inverse', stage: 0 }]),
    );
    expect(inverse.message).to.match(/use direction 'forward'/);
  });

  it('measures: 2048 paths × 50 steps and a 32×32 field on a 256² canvas', async () => {
    const view = await createTestView(api, { cssWidth: 256, cssHeight: 256 });
    await api.setViewLayers(view, [
      {
        kind: 'trajectories',
        model: fm,
        count: 2048,
        sample: { sampler: 'euler', steps: 50 },
        color: [1, 1, 1],
        alpha: 0.2,
      },
    ]);
    const paths = await api.render(view);
    expect(paths.nfe).to.equal(50);
    let started = performance.now();
    const image = await api.readPixels(view);
    const pathsDraw = performance.now() - started;
    expect(pixelsDifferentFrom(image, BLACK)).to.be.greaterThan(2000);
    await api.setViewLayers(view, [
      { kind: 'field', model: fm, t: 0.5, resolution: 32, color: [1, 1, 1], alpha: 1 },
    ]);
    const field = await api.render(view);
    started = performance.now();
    expect(pixelsDifferentFrom(await api.readPixels(view), BLACK)).to.be.greaterThan(1000);
    const fieldDraw = performance.now() - started;
    console.log(
      `[measured] SwiftShader, 256×256 px: trajectories 2048 paths × 50 Euler steps (51 frames) ` +
        `render ${paths.ms.toFixed(0)} ms (sampling + upload + draw), one frame drawn and read ` +
        `back ${pathsDraw.toFixed(0)} ms; field 32×32 arrows render ${field.ms.toFixed(0)} ms, ` +
        `drawn and read back ${fieldDraw.toFixed(0)} ms`,
    );
  });
});

/**
 * GPU views in a real worker: <ff-gpu-view> on its own (a dataset's exact density, ticks,
 * legend, resizing, visibility, disposal), and the View cell driven by the LabController after
 * training tiny models (flows and flow matching) on SwiftShader.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import type { ReactiveController } from 'lit';
import { defaultNotebook, NotebookStore, type ViewCell } from '../../../src/notebook';
import type { DataSource, ModelSettings, TrainSettings } from '../../../src/notebook';
import type { PixelImage, ViewClient } from '../../../src/ui/controllers/lab-client';
import { LabController } from '../../../src/ui/controllers/lab-controller';
import { workerLabClient } from '../../../src/ui/controllers/worker-lab-client';
import '../../../src/ui/gpu-view/gpu-view';
import { pngFromPixels } from '../../../src/ui/gpu-view/png';
import '../../../src/ui/view-cell/view-cell';
import type { FfViewCell } from '../../../src/ui/view-cell/view-cell';
import type { WorkerHandle } from '../../../src/worker/client';
import { brightestSpot, pixelsDifferentFrom } from '../../render/pixels';
import { rejection, startLabWorker, waitUntil } from '../../worker/helpers';
import { $, patches, setValue } from '../support/helpers';

const GAUSSIAN: DataSource = { kind: 'builtin', name: 'gaussian', seed: 1 };
/** log N(0; 0, I) in 2-D: the standard normal's peak, in nats. */
const GAUSSIAN_PEAK = -Math.log(2 * Math.PI);

/** Pixels that differ between two frames of the same size. */
function changedPixels(a: PixelImage, b: PixelImage): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    const d =
      Math.abs(a.data[i]! - b.data[i]!) +
      Math.abs(a.data[i + 1]! - b.data[i + 1]!) +
      Math.abs(a.data[i + 2]! - b.data[i + 2]!);
    if (d > 24) n++;
  }
  return n;
}

/** Pixels in the samples' vermilion (Okabe–Ito #D55E00) over the dark background. */
function vermilion(image: PixelImage): number {
  let n = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    const [r, g, b] = [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
    if (r > 90 && r > g + 30 && r > b + 50) n++;
  }
  return n;
}

describe('<ff-gpu-view> in a real worker', () => {
  let worker: WorkerHandle;
  let views: ViewClient;
  before(() => {
    worker = startLabWorker();
    views = workerLabClient(worker.api).views!;
  });
  after(() => worker.terminate());

  async function mountView(bounds: [number, number, number, number], width = 160) {
    const box = await fixture<HTMLDivElement>(
      html`<div style="width:${width}px">
        <ff-gpu-view
          label="Density of a standard normal"
          .client=${views}
          .bounds=${bounds}
          .layers=${[{ kind: 'heatmap', source: { data: GAUSSIAN }, resolution: 96 }]}
        ></ff-gpu-view>
      </div>`,
    );
    const el = box.querySelector('ff-gpu-view')!;
    await waitUntil(() => el.report !== undefined, 120_000, 'the first render');
    return { box, el };
  }

  it("a dataset's density peaks where the data's does; the ticks and the legend agree", async () => {
    // Off-centre bounds: the peak at (0, 0) must land at 1/6 across and 2/3 down.
    const { el } = await mountView([-1, -2, 5, 4]);
    const image = await el.readPixels();
    const report = el.report!;
    const [x0, y0, x1, y1] = report.visible;
    const spot = brightestSpot(image);
    const x = x0 + (spot.x / image.width) * (x1 - x0);
    const y = y1 - (spot.y / image.height) * (y1 - y0);
    expect(Math.hypot(x, y), `peak drawn at (${x}, ${y})`).to.be.lessThan(0.25);
    // The legend's top is log p at the grid cell nearest the mode (cells are 6/96 wide).
    expect(report.legend!.unit).to.equal('nats');
    expect(report.legend!.max).to.be.closeTo(GAUSSIAN_PEAK, 0.01);
    const legend = el.shadowRoot!.querySelector('.legend')!.textContent!;
    expect(legend).to.contain('nats').and.contain(report.legend!.max.toFixed(1));
    // The overlay's "0" tick sits over the peak (CSS pixels; the image is in device pixels).
    const ratio = image.width / el.shadowRoot!.querySelector('canvas')!.clientWidth;
    const labels = [...el.shadowRoot!.querySelectorAll('svg.ticks text')];
    const zero = labels.find(
      (t) => t.textContent === '0' && t.getAttribute('text-anchor') === 'middle',
    );
    expect(zero, 'an x tick labelled 0').to.not.equal(undefined);
    expect(Number(zero!.getAttribute('x')) * ratio).to.be.closeTo(spot.x, 3 * ratio);
    await expect(el).to.be.accessible();
  });

  it('resizes with its box at the device pixel ratio, is live only on screen, and disposes its view', async () => {
    const { box, el } = await mountView([-3, -3, 3, 3], 160);
    const ratio = window.devicePixelRatio || 1;
    // The canvas fills the box less the room for the y tick labels.
    const canvasWidth = () => el.shadowRoot!.querySelector('.stage')!.getBoundingClientRect().width;
    const wide = canvasWidth();
    expect(wide).to.be.within(100, 160);
    expect(el.report!.width).to.equal(Math.round(Math.round(wide) * ratio));
    const id = el.viewId! as `view:${number}`;
    await el.settled();
    expect((await worker.api.viewStatus(id)).live).to.deep.include({ live: true, visible: true });

    box.style.width = '120px';
    const narrow = Math.round(Math.round(canvasWidth()) * ratio);
    expect(narrow).to.be.lessThan(wide * ratio - 30);
    await waitUntil(() => el.report?.width === narrow, 60_000, 'the resize');
    expect((await el.readPixels()).width).to.equal(narrow);

    // Off screen: the worker stops drawing it.
    box.style.cssText = 'position: fixed; top: 10000px; width: 120px';
    let visible = true;
    for (let i = 0; i < 100 && visible; i++) {
      await new Promise((r) => setTimeout(r, 50));
      visible = (await worker.api.viewStatus(id)).live.visible;
    }
    expect(visible, 'live while off screen').to.equal(false);

    // Moved in the page (as reordering cells does): a fresh canvas and view; the old one is gone.
    box.style.cssText = 'width: 120px';
    const parent = box.parentElement!;
    box.remove();
    parent.append(box);
    await waitUntil(
      () => el.viewId !== undefined && el.viewId !== id,
      60_000,
      'a new view after the move',
    );
    await el.settled();
    expect(pixelsDifferentFrom(await el.readPixels(), [0, 0, 0])).to.be.greaterThan(1000);
    expect(el.shadowRoot!.querySelectorAll('canvas')).to.have.length(1);
    const moved = el.viewId! as `view:${number}`;

    box.remove();
    await waitUntil(() => el.viewId === undefined, 30_000, 'the view to be disposed');
    expect((await rejection(worker.api.viewStatus(moved))).message).to.contain(moved);
    const error = await rejection(worker.api.viewStatus(id));
    expect(error.message).to.contain(id);
  });

  it('refreshes live frames less often when the user prefers reduced motion', async () => {
    await emulateMedia({ reducedMotion: 'reduce' });
    try {
      const { el } = await mountView([-3, -3, 3, 3], 64);
      await el.settled();
      const status = await worker.api.viewStatus(el.viewId! as `view:${number}`);
      expect(status.live).to.deep.include({ live: true, visible: true, refreshIntervalMs: 1000 });
    } finally {
      await emulateMedia({ reducedMotion: 'no-preference' });
    }
  });

  it('exports the frame as a PNG that decodes to the same pixels', async () => {
    const { el } = await mountView([-3, -3, 3, 3], 64);
    const image = await el.readPixels();
    const bitmap = await createImageBitmap(await pngFromPixels(image));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d')!;
    context.drawImage(bitmap, 0, 0);
    const back = context.getImageData(0, 0, bitmap.width, bitmap.height);
    expect([back.width, back.height]).to.deep.equal([image.width, image.height]);
    expect(
      changedPixels(image, { width: back.width, height: back.height, data: back.data }),
    ).to.equal(0);
    expect(pixelsDifferentFrom(image, [0, 0, 0])).to.be.greaterThan(
      0.9 * image.width * image.height,
    );
  });
});

/** A LabController over the real worker, with a View cell showing its only Train cell. */
async function playground(model: Partial<ModelSettings>, train: Partial<TrainSettings>) {
  const worker = startLabWorker();
  const store = new NotebookStore(defaultNotebook());
  const client = workerLabClient(worker.api);
  const host = {
    addController: (_: ReactiveController) => undefined,
    removeController: () => undefined,
    requestUpdate: () => undefined,
    updateComplete: Promise.resolve(true),
  };
  const lab = new LabController(host, store, client);
  lab.hostConnected();
  const modelCell = store.notebook.cells.find((c) => c.kind === 'model')!;
  if (modelCell.kind !== 'model') throw new Error('no model cell');
  store.dispatch({
    type: 'update',
    id: modelCell.id,
    patch: {
      model: { ...modelCell.model, ...model },
      train: { ...modelCell.train, ...train },
    },
  });
  const view = () => store.notebook.cells.find((c) => c.kind === 'view') as ViewCell;
  const el = await fixture<FfViewCell>(
    html`<ff-view-cell style="width: 480px" .cell=${view()}></ff-view-cell>`,
  );
  // Patches from the cell's controls go to the store, as <ff-app> does.
  el.addEventListener('ff-cell-change', (e) =>
    store.dispatch({ type: 'update', id: e.detail.id, patch: e.detail.patch }),
  );
  /** Re-renders the cell from the store and the controller, and waits for the GPU side. */
  const sync = async () => {
    el.cell = view();
    el.run = lab.runForView(view().id);
    el.data = lab.dataForView(view().id)?.points;
    await el.updateComplete;
    await el.gpuView!.settled();
    await el.updateComplete;
  };
  await waitUntil(() => lab.gpu.state !== 'checking', 60_000, 'the worker probe');
  expect(lab.gpu.state).to.equal('ready');
  await sync();
  const trainId = store.notebook.cells.find((c) => c.kind === 'train')!.id;
  return { worker, store, lab, el, sync, trainId, view };
}

describe('<ff-view-cell> on GPU views after training (real worker)', () => {
  let worker: WorkerHandle | undefined;
  afterEach(() => worker?.terminate());

  it('a tiny RealNVP: samples drawn (not blank), and the scrubber moves the warp stage', async () => {
    const p = await playground(
      { kind: 'realnvp', family: 'flow', layers: 2, hidden: 16, hiddenLayers: 1 },
      { steps: 40, batch: 128, learningRate: 1e-2 },
    );
    worker = p.worker;
    await p.lab.play(p.trainId);
    expect(p.lab.run(p.trainId).state, p.lab.run(p.trainId).error).to.equal('done');
    await p.sync();
    const withSamples = await p.el.gpuView!.readPixels();
    expect(vermilion(withSamples), 'sample-coloured pixels').to.be.greaterThan(200);

    // Warp overlay, through the controls.
    setValue($(p.el, '#overlay'), 'warp');
    $(p.el, '#showData').click();
    $(p.el, '#showSamples').click();
    await p.sync();
    const stages = p.el.gpuView!.report!.warpStages!;
    expect(stages).to.be.greaterThan(1);
    const first = await p.el.gpuView!.readPixels();
    expect(pixelsDifferentFrom(first, [0, 0, 0]), 'warp lines').to.be.greaterThan(300);
    const seen = patches(p.el);
    setValue($(p.el, '#position'), '1');
    expect(seen.at(-1)).to.deep.equal({ position: 1 });
    await p.sync();
    expect(p.view().position).to.equal(1);
    const last = await p.el.gpuView!.readPixels();
    expect(changedPixels(first, last), 'pixels moved by the scrubber').to.be.greaterThan(100);
    expect($(p.el, 'label[for=position]').textContent).to.contain(
      `stage ${stages - 1} of ${stages - 1}`,
    );
    // Back to the start: the same frame as before (scrubbing needs no recomputation).
    setValue($(p.el, '#position'), '0');
    await p.sync();
    expect(changedPixels(first, await p.el.gpuView!.readPixels())).to.equal(0);
  });

  it('flow matching trains and samples with RK4; the NFE shown is 4 × steps', async () => {
    const p = await playground(
      { kind: 'flow-matching', family: 'diffusion', hidden: 16, hiddenLayers: 2 },
      { steps: 30, batch: 128, learningRate: 5e-3 },
    );
    worker = p.worker;
    p.store.dispatch({ type: 'update', id: p.view().id, patch: { sampleCount: 512 } });
    await p.sync();
    setValue($(p.el, '#sampler'), 'rk4');
    setValue($(p.el, '#samplerSteps'), '3');
    await p.lab.play(p.trainId);
    const run = p.lab.run(p.trainId);
    expect(run.state, run.error).to.equal('done');
    await p.sync();
    expect(p.view()).to.deep.include({ sampler: 'rk4', samplerSteps: 3 });
    expect($(p.el, '#nfe').textContent!.trim()).to.equal('12');
    expect(p.el.gpuView!.report!.nfe).to.equal(12);
    expect(vermilion(await p.el.gpuView!.readPixels())).to.be.greaterThan(50);
    // The samples for CSV export were drawn with the same sampler: finite, 512 of them.
    await waitUntil(() => p.lab.run(p.trainId).samples?.length === 1024, 60_000, 'samples');
    expect(p.lab.run(p.trainId).samples!.every(Number.isFinite)).to.equal(true);
  });

  it('DDPM: DDIM NFE, the field at time t with its legend, and trajectories scrubbed in time', async () => {
    const p = await playground(
      { kind: 'ddpm', family: 'diffusion', hidden: 16, hiddenLayers: 2, timesteps: 20 },
      { steps: 30, batch: 128, learningRate: 5e-3 },
    );
    worker = p.worker;
    p.store.dispatch({ type: 'update', id: p.view().id, patch: { sampleCount: 256 } });
    await p.sync();
    setValue($(p.el, '#sampler'), 'ddim');
    setValue($(p.el, '#samplerSteps'), '4');
    await p.lab.play(p.trainId);
    expect(p.lab.run(p.trainId).state, p.lab.run(p.trainId).error).to.equal('done');
    await p.sync();
    // DDIM evaluates the network once per step.
    expect($(p.el, '#nfe').textContent!.trim()).to.equal('4');

    $(p.el, '#showData').click();
    $(p.el, '#showSamples').click();
    setValue($(p.el, '#overlay'), 'field');
    await p.sync();
    setValue($(p.el, '#position'), '0.2');
    await p.sync();
    const gpu = p.el.gpuView!;
    expect(gpu.report!.field!.quantity).to.equal('pf-drift');
    expect(gpu.shadowRoot!.textContent).to.contain('probability-flow drift');
    const early = await gpu.readPixels();
    expect(pixelsDifferentFrom(early, [15, 15, 20], 30), 'arrows').to.be.greaterThan(100);
    setValue($(p.el, '#position'), '0.9');
    await p.sync();
    expect(
      changedPixels(early, await gpu.readPixels()),
      'the field at another t',
    ).to.be.greaterThan(50);

    setValue($(p.el, '#overlay'), 'trajectories');
    setValue($(p.el, '#position'), '0');
    await p.sync();
    const whole = await gpu.readPixels();
    expect(pixelsDifferentFrom(whole, [15, 15, 20], 30), 'paths').to.be.greaterThan(100);
    setValue($(p.el, '#position'), '0.7');
    await p.sync();
    expect(changedPixels(whole, await gpu.readPixels()), 'paths cut at t = 0.7').to.be.greaterThan(
      50,
    );
    await expect(p.el).to.be.accessible();
  });
});

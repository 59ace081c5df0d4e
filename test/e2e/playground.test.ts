/**
 * End to end, as a user would: the built site (dist/, from `npm run build`) in an iframe, driven
 * through its UI: open the app → pick moons → RealNVP → train 200 steps → the samples canvas
 * shows points (pixel check) and the loss went down → flow matching on the same data → train →
 * sample with RK4 → a Compare cell shows numbers for both → draw a density with the mouse in a
 * new Data cell → train a model on it → its samples land on the drawing.
 */
import { expect } from '@esm-bundle/chai';
import { until, shadow, change } from './dom';
import { forgetAutosave } from './autosave';
import { sendMouse, setViewport } from '@web/test-runner-commands';
import { defaultNotebook, type Cell, type DataSource } from '../../src/notebook';
import type { FfApp } from '../../src/ui/app/app';
import type { FfGpuView } from '../../src/ui/gpu-view/gpu-view';
import { axeViolations } from './axe';

let frame: HTMLIFrameElement | undefined;

/** The button in `el`'s shadow root whose visible text is `text`. */
function button(el: Element, text: string): HTMLButtonElement {
  const found = [...el.shadowRoot!.querySelectorAll('button')].find(
    (b) => b.textContent!.trim() === text,
  );
  if (!found) throw new Error(`no "${text}" button in <${el.localName}>`);
  return found;
}

/** Pixels of a GPU view's frame in the samples' vermilion (#D55E00), not the data's blue. */
function sampleColoured(pixels: Uint8Array | Uint8ClampedArray): number {
  let count = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i]! > 120 && pixels[i]! > pixels[i + 1]! + 30 && pixels[i]! > pixels[i + 2]! + 50)
      count++;
  }
  return count;
}

/** No axe violations on the whole page in `state` (a list of what to fix otherwise). */
async function expectAccessible(state: string): Promise<void> {
  const violations = await axeViolations(frame!);
  expect(violations, `axe violations ${state}:\n${violations.join('\n')}`).to.deep.equal([]);
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe('playground end to end (built site)', () => {
  // Each test opens the site fresh, whatever an earlier test file left in its autosave.
  beforeEach(() => forgetAutosave());
  afterEach(async () => {
    frame?.remove();
    await forgetAutosave();
  });

  it('moons → RealNVP → flow matching → RK4 → Compare → a drawn density', async function () {
    this.timeout(600_000);
    // Room for the whole frame on screen: the drawing is done with the real mouse.
    await setViewport({ width: 1200, height: 960 });
    const response = await fetch('/dist/index.html');
    expect(
      response.ok,
      'dist/index.html missing: run `npm run build` first (npm test does)',
    ).to.equal(true);
    frame = document.createElement('iframe');
    frame.style.width = '1100px';
    frame.style.height = '900px';
    frame.style.border = '0';
    frame.style.display = 'block';
    document.body.style.margin = '0';
    frame.src = '/dist/index.html';
    document.body.append(frame);
    const app = await until(
      'the app',
      () => frame!.contentDocument?.querySelector('ff-app') as FfApp | null,
      30_000,
    );
    const status = await until(
      'WebGPU status',
      () => {
        const text = shadow(app, 'ff-gpu-status')?.shadowRoot?.textContent ?? '';
        return text.includes('ready') || text.includes('not available') ? text : '';
      },
      60_000,
    );
    expect(status).to.contain('WebGPU is ready');
    await expectAccessible('on opening');

    const notebook = shadow(app, 'ff-notebook-view')!;
    const dataCell = shadow(notebook, 'ff-data-cell')!;
    change(shadow(dataCell, '#dataset') as HTMLSelectElement, 'moons');
    const modelCell = shadow(notebook, 'ff-model-cell')!;
    change(shadow(modelCell, '#kind') as HTMLSelectElement, 'realnvp');
    await app.updateComplete;
    // Small enough for SwiftShader on two cores.
    change(shadow(modelCell, '#layers') as HTMLInputElement, '4');
    change(shadow(modelCell, '#hidden') as HTMLInputElement, '16');
    change(shadow(modelCell, '#batch') as HTMLInputElement, '256');
    change(shadow(modelCell, '#steps') as HTMLInputElement, '200');
    await app.updateComplete;

    const trainCell = shadow(notebook, 'ff-train-cell')!;
    const play = [...trainCell.shadowRoot!.querySelectorAll('button')].find(
      (b) => b.textContent!.trim() === 'Train',
    )!;
    play.click();
    const run = await until(
      'training to finish',
      () => {
        const r = app.lab!.run('train-1');
        if (r.state === 'failed') throw new Error(`training failed: ${r.error}`);
        return r.state === 'done' && r.samples ? r : undefined;
      },
      120_000,
    );
    expect(run.step).to.equal(200);
    expect(run.losses.length).to.equal(200);
    expect(mean(run.losses.exact().slice(-20))).to.be.lessThan(
      mean(run.losses.exact().slice(0, 20)) - 0.2,
    );
    expect(trainCell.shadowRoot!.querySelector('.loss')!.textContent).to.not.equal('—');

    await app.updateComplete;
    const viewCell = shadow(notebook, 'ff-view-cell')!;
    // The View cell draws in the worker (a transferred canvas): read its frame back.
    const gpuView = shadow(viewCell, 'ff-gpu-view') as FfGpuView;
    await until('the GPU view to draw', () => gpuView.report, 60_000);
    const pixels = (await gpuView.readPixels()).data;
    // Samples are drawn in vermilion over the blue data on a dark background.
    expect(sampleColoured(pixels), 'sample-coloured pixels on the View canvas').to.be.greaterThan(
      500,
    );
    await expectAccessible('after the first training (samples shown)');

    // ── The same data, flow matching: add Model, Train, View and Compare cells at the end. ──
    const cellsOf = () => app.store.notebook.cells;
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        await app.updateComplete;
        await (notebook as unknown as { updateComplete: Promise<unknown> }).updateComplete;
        await new Promise((r) => setTimeout(r, 0));
      }
    };
    const lastOf = <K extends keyof HTMLElementTagNameMap>(tag: K) =>
      [...notebook.shadowRoot!.querySelectorAll(tag)].at(-1)!;
    for (const kind of ['Model', 'Train', 'View', 'Compare']) {
      button(notebook, `+ ${kind}`).click();
      await settle();
    }
    const fmModel = lastOf('ff-model-cell');
    change(shadow(fmModel, '#kind') as HTMLSelectElement, 'flow-matching');
    await settle();
    change(shadow(fmModel, '#hidden') as HTMLInputElement, '32');
    change(shadow(fmModel, '#hiddenLayers') as HTMLInputElement, '2');
    change(shadow(fmModel, '#batch') as HTMLInputElement, '256');
    change(shadow(fmModel, '#steps') as HTMLInputElement, '300');
    await settle();
    const fmTrainId = cellsOf()
      .filter((c) => c.kind === 'train')
      .at(-1)!.id;
    const fmTrainCell = lastOf('ff-train-cell');
    // Capped at 200 steps/s (the worker paces chunks of 20 steps), so that a batch-size change
    // lands while most of the training is still ahead.
    const speed = shadow(fmTrainCell, '#speed') as HTMLSelectElement;
    change(speed, '200');
    expect(speed.value, 'the speed select offers 200 steps/s').to.equal('200');
    await settle();
    button(fmTrainCell, 'Train').click();
    const firstStep = await until(
      'flow matching to start',
      () => {
        const r = app.lab!.run(fmTrainId);
        return r.state === 'running' && r.step > 0
          ? { step: r.step, ms: performance.now() }
          : undefined;
      },
      120_000,
    );
    change(shadow(fmTrainCell, '#batch') as HTMLInputElement, '128');
    const changedAt = await until(
      'the new batch size in use',
      () => app.lab!.run(fmTrainId).batch === 128 && app.lab!.run(fmTrainId).step,
      60_000,
    );
    expect(changedAt, 'the change landed mid-training').to.be.lessThan(200);
    const fmRun = await until(
      'flow matching to finish training',
      () => {
        const r = app.lab!.run(fmTrainId);
        if (r.state === 'failed') throw new Error(`flow matching failed: ${r.error}`);
        return r.state === 'done' ? r : undefined;
      },
      240_000,
    );
    expect(fmRun.step).to.equal(300);
    // One loss per step across the batch change (the segment it ends reports its last losses).
    expect(fmRun.losses.length, 'losses in the curve').to.equal(300);
    // The steps after the first are due at 200 steps/s, less two chunks of 20 (a late start's
    // catch-up and rounding), 100 ms for polling and 100 ms of steps the throttled report may
    // not show yet; unpaced they take about a third of that.
    const dueMs = ((300 - firstStep.step - 40) * 1000) / 200 - 200;
    expect(performance.now() - firstStep.ms, 'no faster than the cap').to.be.greaterThan(dueMs);
    expect(fmRun.batch, 'batch size in use after the live change').to.equal(128);
    expect(Number(shadow(fmTrainCell, '.dispatches')!.textContent)).to.be.greaterThan(0);
    const fmLosses = fmRun.losses.exact().filter(Number.isFinite);
    expect(mean(fmLosses.slice(-30))).to.be.lessThan(mean(fmLosses.slice(0, 30)));

    // Sample with RK4: 8 steps of 4 evaluations.
    await settle();
    const fmView = lastOf('ff-view-cell');
    change(shadow(fmView, '#sampler') as HTMLSelectElement, 'rk4');
    change(shadow(fmView, '#samplerSteps') as HTMLInputElement, '8');
    await settle();
    // The NFE is that of the frame drawn (the worker reports it): wait for the RK4 redraw.
    await until(
      'the RK4 frame (NFE 32)',
      () => shadow(fmView, '#nfe')?.textContent?.trim() === '32',
      60_000,
    );
    const fmGpuView = shadow(fmView, 'ff-gpu-view') as FfGpuView;
    await until('the flow-matching view to draw', () => fmGpuView.report, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const fmPixels = (await fmGpuView.readPixels()).data;
    expect(sampleColoured(fmPixels), 'RK4 samples on the canvas').to.be.greaterThan(300);

    // ── Compare the two: numbers for both. ──
    const compare = lastOf('ff-compare-cell');
    change(shadow(compare, '#sample-count') as HTMLInputElement, '256');
    await settle();
    button(compare, 'Compute').click();
    const compareId = cellsOf()
      .filter((c) => c.kind === 'compare')
      .at(-1)!.id;
    const result = await until(
      'the comparison',
      () => {
        const c = app.lab!.comparison(compareId);
        if (c?.state === 'failed') throw new Error(`compare failed: ${c.error}`);
        return c?.state === 'done' ? c : undefined;
      },
      180_000,
    );
    expect(result.rows.map((r) => r.trainId)).to.deep.equal(['train-1', fmTrainId]);
    for (const r of result.rows) {
      console.log(
        `compare ${r.label}: NLL ${r.nll.value.toFixed(3)} ± ${r.nll.stderr.toFixed(3)} nats, ` +
          `energy ${r.energy.toExponential(2)}, ${r.stepsPerSecond.toFixed(1)} steps/s, NFE ${r.nfe}, ${r.parameters} parameters`,
      );
    }
    await settle();
    const rows = [...compare.shadowRoot!.querySelectorAll('tbody tr')];
    expect(rows.length).to.equal(2);
    for (const row of rows) {
      for (const metric of ['.nll', '.bits', '.energy']) {
        const text = row.querySelector(metric)!.textContent!;
        expect(Number.isFinite(Number.parseFloat(text)), `${metric}: "${text}"`).to.equal(true);
      }
    }
    expect(rows.map((r) => r.querySelector('.nfe')!.textContent)).to.deep.equal(['1', '32']);
    // Moons has no closed-form density: KL is not made up, and the cell says why.
    expect(compare.shadowRoot!.textContent).to.contain('KL needs the exact data density');
    await expectAccessible('with two models, a speed cap and a Compare table');

    // ── Draw a density with the mouse in a new Data cell, and train a model on it. ──
    for (const kind of ['Data', 'Model', 'Train', 'View']) {
      button(notebook, `+ ${kind}`).click();
      await settle();
    }
    const drawCell = lastOf('ff-data-cell');
    (drawCell.shadowRoot!.querySelector('input[value=grid]') as HTMLInputElement).click();
    await settle();
    const brush = shadow(drawCell, '#brush') as HTMLInputElement;
    brush.value = '1';
    brush.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    await settle();
    const pad = shadow(drawCell, 'img.draw') as HTMLImageElement;
    pad.scrollIntoView({ block: 'center' });
    await new Promise((r) => setTimeout(r, 100));
    const framed = frame.getBoundingClientRect();
    const box = pad.getBoundingClientRect();
    const at = (fx: number, fy: number): [number, number] => [
      Math.round(framed.left + box.left + fx * box.width),
      Math.round(framed.top + box.top + fy * box.height),
    ];
    // Two strokes: a diagonal and a short horizontal bar, as a person would draw them.
    for (const [from, to] of [
      [
        [0.2, 0.25],
        [0.75, 0.8],
      ],
      [
        [0.3, 0.75],
        [0.7, 0.75],
      ],
    ] as const) {
      await sendMouse({ type: 'move', position: at(from[0], from[1]) });
      await sendMouse({ type: 'down' });
      for (let k = 1; k <= 12; k++) {
        const t = k / 12;
        await sendMouse({
          type: 'move',
          position: at(from[0] + t * (to[0] - from[0]), from[1] + t * (to[1] - from[1])),
        });
      }
      await sendMouse({ type: 'up' });
    }
    await settle();
    const drawn = cellsOf()
      .filter((c) => c.kind === 'data')
      .at(-1)! as Cell & { kind: 'data' };
    const grid = drawn.source as Extract<DataSource, { kind: 'grid' }>;
    expect(grid.kind).to.equal('grid');
    const inked = grid.weights.filter((w) => w > 0).length;
    expect(inked, 'cells inked by the mouse').to.be.greaterThan(20);

    const drawModel = lastOf('ff-model-cell');
    change(shadow(drawModel, '#kind') as HTMLSelectElement, 'realnvp');
    await settle();
    change(shadow(drawModel, '#layers') as HTMLInputElement, '6');
    change(shadow(drawModel, '#hidden') as HTMLInputElement, '32');
    change(shadow(drawModel, '#batch') as HTMLInputElement, '256');
    change(shadow(drawModel, '#steps') as HTMLInputElement, '300');
    await settle();
    const drawTrainId = cellsOf()
      .filter((c) => c.kind === 'train')
      .at(-1)!.id;
    button(lastOf('ff-train-cell'), 'Train').click();
    const drawRun = await until(
      'training on the drawing',
      () => {
        const r = app.lab!.run(drawTrainId);
        if (r.state === 'failed') throw new Error(`training on the drawing failed: ${r.error}`);
        return r.state === 'done' ? r : undefined;
      },
      180_000,
    );
    const drawLosses = drawRun.losses.exact();
    expect(mean(drawLosses.slice(-30))).to.be.lessThan(mean(drawLosses.slice(0, 30)));
    expect([drawRun.step, drawRun.losses.length]).to.deep.equal([300, 300]);
    // Its samples land on the drawing: the grid covers [−4, 4]², row 0 at the top.
    const samples = await until(
      "the drawn model's samples",
      () => app.lab!.run(drawTrainId).samples,
      60_000,
    );
    const count = samples.length / 2;
    const side = grid.width;
    const near = (x: number, y: number) => {
      const col = Math.floor(((x + 4) / 8) * side);
      const row = Math.floor(((4 - y) / 8) * side);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const c = col + dx;
          const r = row + dy;
          if (c >= 0 && r >= 0 && c < side && r < side && grid.weights[r * side + c]! > 0)
            return true;
        }
      }
      return false;
    };
    let onDrawing = 0;
    for (let i = 0; i < samples.length; i += 2) if (near(samples[i]!, samples[i + 1]!)) onDrawing++;
    let area = 0;
    for (let i = 0; i < side * side; i++) {
      if (near(-4 + ((i % side) + 0.5) * (8 / side), 4 - (Math.floor(i / side) + 0.5) * (8 / side)))
        area++;
    }
    console.log(
      `drawn density: ${((100 * onDrawing) / count).toFixed(1)}% of samples within a cell of the ink, which covers ${((100 * area) / side / side).toFixed(1)}% of the pad`,
    );
    expect(onDrawing / count).to.be.greaterThan(0.6);
    await expectAccessible('after training on a drawn density');
  });

  it('Compare against the exact density: two untrained flows on a standard normal have KL ≈ 0', async function () {
    this.timeout(300_000);
    frame = document.createElement('iframe');
    frame.style.width = '1100px';
    frame.style.height = '900px';
    frame.src = '/dist/index.html';
    document.body.append(frame);
    const app = await until(
      'the app',
      () => frame!.contentDocument?.querySelector('ff-app') as FfApp | null,
      30_000,
    );
    await until('WebGPU', () => app.lab?.gpu.state === 'ready', 60_000);
    // The app restores the previous test's autosaved notebook, with its trained weights: let
    // the boot finish (a run whose weights are being imported ignores play), then start fresh.
    await app.session.booted;
    app.store.dispatch({ type: 'replace', notebook: defaultNotebook() });
    const notebook = shadow(app, 'ff-notebook-view')!;
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        await app.updateComplete;
        await (notebook as unknown as { updateComplete: Promise<unknown> }).updateComplete;
        await new Promise((r) => setTimeout(r, 0));
      }
    };
    change(shadow(shadow(notebook, 'ff-data-cell'), '#dataset') as HTMLSelectElement, 'gaussian');
    for (const kind of ['Model', 'Train', 'Compare']) {
      button(notebook, `+ ${kind}`).click();
      await settle();
    }
    // Flows start as the identity on the standardised data: at a tiny learning rate, one step
    // leaves each model equal to N(mean, std²) of the data, i.e. ≈ the data's own density.
    const models = [...notebook.shadowRoot!.querySelectorAll('ff-model-cell')];
    for (const [model, kind] of [
      [models[0]!, 'realnvp'],
      [models[1]!, 'nice'],
    ] as const) {
      change(shadow(model, '#kind') as HTMLSelectElement, kind);
      await settle();
      change(shadow(model, '#layers') as HTMLInputElement, '2');
      change(shadow(model, '#hidden') as HTMLInputElement, '8');
      change(shadow(model, '#learningRate') as HTMLInputElement, '0.000001');
      change(shadow(model, '#steps') as HTMLInputElement, '1');
      await settle();
    }
    const trainIds = app.store.notebook.cells.filter((c) => c.kind === 'train').map((c) => c.id);
    for (const id of trainIds) {
      await app.lab!.play(id);
      expect(app.lab!.run(id).state, app.lab!.run(id).error).to.equal('done');
    }
    await settle();
    const compare = [...notebook.shadowRoot!.querySelectorAll('ff-compare-cell')].at(-1)!;
    await (compare as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    const compute = button(compare, 'Compute');
    expect(
      compute.disabled,
      compare.shadowRoot!.querySelector('[role=status]')!.textContent!,
    ).to.equal(false);
    compute.click();
    const compareId = app.store.notebook.cells.filter((c) => c.kind === 'compare').at(-1)!.id;
    const result = await until(
      'the comparison',
      () => {
        const c = app.lab!.comparison(compareId);
        if (c?.state === 'failed') throw new Error(`compare failed: ${c.error}`);
        return c?.state === 'done' ? c : undefined;
      },
      120_000,
    );
    expect(result.rows.length).to.equal(2);
    const entropy = Math.log(2 * Math.PI * Math.E); // of N(0, I) in 2-D, nats
    for (const row of result.rows) {
      console.log(
        `${row.label}: KL ${row.kl!.value.toExponential(2)} ± ${row.kl!.stderr.toExponential(1)}, ` +
          `NLL ${row.nll.value.toFixed(4)} ± ${row.nll.stderr.toFixed(4)} (entropy ${entropy.toFixed(4)}), energy ${row.energy.toExponential(2)}`,
      );
      expect(Math.abs(row.kl!.value)).to.be.lessThan(4 * row.kl!.stderr + 0.02);
      expect(row.nll.value).to.be.closeTo(entropy, 4 * row.nll.stderr + 0.02);
      expect(Math.abs(row.energy)).to.be.lessThan(0.01);
      expect(row.nfe).to.equal(1);
    }
    await settle();
    expect(compare.shadowRoot!.querySelectorAll('tbody .kl')[0]!.textContent).to.match(/\d/);
  });
});

/**
 * End to end, as a user would: the built site (dist/, from `npm run build`) in an iframe, driven
 * through its UI: open the app → pick moons → RealNVP → train 200 steps → the samples canvas
 * shows points (pixel check) and the loss went down.
 */
import { expect } from '@esm-bundle/chai';
import type { FfApp } from '../../src/ui/app/app';
import type { FfGpuView } from '../../src/ui/gpu-view/gpu-view';

let frame: HTMLIFrameElement | undefined;

async function until<T>(
  what: string,
  probe: () => T | undefined | null | false,
  timeoutMs: number,
): Promise<T> {
  const start = performance.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function shadow(el: Element | null | undefined, selector: string): HTMLElement | null {
  return (el?.shadowRoot?.querySelector(selector) as HTMLElement | null) ?? null;
}

function change(control: HTMLInputElement | HTMLSelectElement, value: string): void {
  control.value = value;
  control.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe('playground end to end (built site)', () => {
  afterEach(() => frame?.remove());

  it('moons → RealNVP → train 200 steps → samples drawn, loss went down', async function () {
    this.timeout(150_000);
    const response = await fetch('/dist/index.html');
    expect(
      response.ok,
      'dist/index.html missing: run `npm run build` first (npm test does)',
    ).to.equal(true);
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
    const status = await until(
      'WebGPU status',
      () => {
        const text = shadow(app, 'ff-gpu-status')?.shadowRoot?.textContent ?? '';
        return text.includes('ready') || text.includes('not available') ? text : '';
      },
      60_000,
    );
    expect(status).to.contain('WebGPU is ready');

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
    expect(mean(run.losses.slice(-20))).to.be.lessThan(mean(run.losses.slice(0, 20)) - 0.2);
    expect(trainCell.shadowRoot!.querySelector('.loss')!.textContent).to.not.equal('—');

    await app.updateComplete;
    const viewCell = shadow(notebook, 'ff-view-cell')!;
    // The View cell draws in the worker (a transferred canvas): read its frame back.
    const gpuView = shadow(viewCell, 'ff-gpu-view') as FfGpuView;
    await until('the GPU view to draw', () => gpuView.report, 60_000);
    const pixels = (await gpuView.readPixels()).data;
    let sampleColoured = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      // Samples are drawn in vermilion (#D55E00) over the blue data on a dark background.
      if (pixels[i]! > 120 && pixels[i]! > pixels[i + 1]! + 30 && pixels[i]! > pixels[i + 2]! + 50)
        sampleColoured++;
    }
    expect(sampleColoured, 'sample-coloured pixels on the View canvas').to.be.greaterThan(500);
  });
});

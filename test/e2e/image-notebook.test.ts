/**
 * End to end on the built site (dist/, from `npm run build`): choose the MNIST image set in the
 * Data cell → NICE in the Model cell → train a few steps → the View cell's sample grid shows
 * the worker's samples (non-constant pixels, equal to the run's sampled intensities).
 */
import { expect } from '@esm-bundle/chai';
import type { FfApp } from '../../src/ui/app/app';
import { until, shadow, change, imgPixels } from './dom';
import { forgetAutosave } from './autosave';
import { intensityByte, sampleGrid } from '../../src/ui/view-cell/image-samples';

let frame: HTMLIFrameElement | undefined;

describe('image notebook end to end (built site)', () => {
  afterEach(async () => {
    frame?.remove();
    await forgetAutosave();
  });

  it('MNIST → NICE → train → the sample grid shows the model’s samples', async function () {
    this.timeout(300_000);
    const response = await fetch('/dist/index.html');
    expect(response.ok, 'dist/index.html missing: run `npm run build` first').to.equal(true);
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
    await until('the GPU', () => app.lab?.gpu.state === 'ready', 60_000);
    const notebook = shadow(app, 'ff-notebook-view')!;
    const dataCell = shadow(notebook, 'ff-data-cell')!;
    const imagesRadio = await until(
      'the image set choice',
      () => dataCell.shadowRoot!.querySelector<HTMLInputElement>('input[value=images]'),
      10_000,
    );
    imagesRadio.click();
    await app.updateComplete;
    const modelCell = shadow(notebook, 'ff-model-cell')!;
    const kind = await until(
      'the image kinds in the Model cell',
      () => {
        const select = shadow(modelCell, '#kind') as HTMLSelectElement | null;
        return select && [...select.options].some((o) => o.value === 'image:nice') && select;
      },
      30_000,
    );
    change(kind, 'image:nice');
    await until('the NICE options', () => shadow(modelCell, '#prior'), 10_000);
    // Small enough for SwiftShader on a shared machine.
    change(shadow(modelCell, '#layers') as HTMLInputElement, '2');
    change(shadow(modelCell, '#hidden') as HTMLInputElement, '32');
    change(shadow(modelCell, '#hiddenLayers') as HTMLInputElement, '1');
    change(shadow(modelCell, '#batch') as HTMLInputElement, '16');
    change(shadow(modelCell, '#steps') as HTMLInputElement, '60');
    await app.updateComplete;
    expect(app.store.cell('model-1')).to.deep.nested.include({
      'model.image.kind': 'nice',
      'model.image.options.hidden': 32,
    });

    const trainCell = shadow(notebook, 'ff-train-cell')!;
    const play = await until(
      'the Train button enabled',
      () =>
        [...trainCell.shadowRoot!.querySelectorAll('button')].find(
          (b) => b.textContent!.trim() === 'Train' && !b.disabled,
        ),
      10_000,
    );
    play.click();
    const run = await until(
      'training to finish with samples',
      () => {
        const r = app.lab!.run('train-1');
        if (r.state === 'failed') throw new Error(`training failed: ${r.error}`);
        return r.state === 'done' && r.images && r.step === 60 && r.heldOut?.at(-1)?.step === 60
          ? r
          : undefined;
      },
      180_000,
    );
    expect(run.losses.length).to.equal(60);
    // Held-out bits/dim on the test split, at the end (and every 50 steps while training).
    const heldOut = run.heldOut!.at(-1)!;
    expect(heldOut.bits).to.be.within(1, 11);
    await until(
      'the held-out dots',
      () => shadow(shadow(trainCell, 'ff-loss-plot'), 'circle.held-out'),
      10_000,
    );
    expect(shadow(trainCell, '#held-out')!.textContent).to.contain(heldOut.bits.toFixed(3));
    // NICE's loss is in bits/dim: an untrained identity NICE costs about 8–10 on MNIST pixels.
    expect(run.losses.exact()[0]).to.be.within(6, 11);

    const viewCell = shadow(notebook, 'ff-view-cell')!;
    const img = await until(
      'the sample grid',
      () => {
        const found = shadow(viewCell, '#sample-grid') as HTMLImageElement | null;
        return found?.complete && found.naturalWidth > 0 ? found : undefined;
      },
      60_000,
    );
    const images = app.lab!.runForView('view-1').images!;
    expect(images.shape).to.deep.equal([1, 14, 14]);
    const grid = sampleGrid(images);
    expect([img.naturalWidth, img.naturalHeight]).to.deep.equal([grid.width, grid.height]);
    const shown = await imgPixels(img);
    // The first image's pixels are the run's sampled intensities, as 8-bit values.
    const first: number[] = [];
    const expected: number[] = [];
    for (let y = 0; y < 14; y++) {
      for (let x = 0; x < 14; x++) {
        first.push(shown[((1 + y) * grid.width + 1 + x) * 4]!);
        expected.push(intensityByte(images.values[y * 14 + x]!));
      }
    }
    expect(first).to.deep.equal(expected);
    expect(new Set(first).size, 'a non-constant sample').to.be.above(5);
    // When training ended: the Fréchet distance of 100 samples to 100 test images, shown.
    const figure = await until('the Fréchet figure', () => app.lab!.run('train-1').frechet, 60_000);
    expect(figure).to.deep.include({ step: 60, count: 100, featureDims: 32, set: 'mnist' });
    expect(figure.distance).to.be.above(0);
    const text = await until('the Fréchet text', () => shadow(viewCell, '#frechet'), 10_000);
    expect(text.textContent).to.contain(figure.distance.toPrecision(4));
  });
});

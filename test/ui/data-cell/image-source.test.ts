/**
 * The image road from a Data cell, through the real worker and GPU: choosing MNIST shows a
 * progress bar, then a grid of sample digits with their labels; files dropped on the cell become
 * the user's set, and a bad file's message appears in the cell with the notebook unchanged.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import { workerLabClient } from '../../../src/ui/controllers/worker-lab-client';
import type { FfDataCell } from '../../../src/ui/data-cell/data-cell';
import { startWorker, type WorkerHandle } from '../../../src/worker/client';
import { imgPixels } from '../support/png';
import { freshDb } from '../support/share-support';

function inView<K extends keyof HTMLElementTagNameMap>(app: FfApp, tag: K) {
  const view = app.shadowRoot!.querySelector('ff-notebook-view')!;
  return view.shadowRoot!.querySelector(tag)!;
}

function imageSource(cell: FfDataCell) {
  return cell.shadowRoot!.querySelector('ff-image-source');
}

async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Drops `files` on the Data cell as a user would. */
function drop(cell: FfDataCell, files: File[]): void {
  const transfer = new DataTransfer();
  for (const file of files) transfer.items.add(file);
  const layout = cell.shadowRoot!.querySelector('.layout')!;
  layout.dispatchEvent(
    new DragEvent('drop', {
      dataTransfer: transfer,
      bubbles: true,
      composed: true,
      cancelable: true,
    }),
  );
}

/** A PNG of a side×side square filled with grey `value`. */
async function png(name: string, value: number, side = 8): Promise<File> {
  const canvas = new OffscreenCanvas(side, side);
  const context = canvas.getContext('2d')!;
  context.fillStyle = `rgb(${value},${value},${value})`;
  context.fillRect(0, 0, side, side);
  return new File([await canvas.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' });
}

describe('Data cell image sets (real worker)', function () {
  this.timeout(240_000);
  let worker: WorkerHandle;
  before(() => {
    worker = startWorker(new URL('../../../src/worker/worker.ts', import.meta.url));
  });
  after(() => worker.terminate());

  it('MNIST: progress bar, then the grid with labels; Train says why it cannot train; bad files change nothing', async () => {
    const app = await fixture<FfApp>(
      html`<ff-app .client=${workerLabClient(worker.api)}></ff-app>`,
    );
    await until(() => app.lab?.gpu.state === 'ready', 'the GPU');
    const cell = inView(app, 'ff-data-cell') as FfDataCell;
    await cell.updateComplete;
    const radio = cell.shadowRoot!.querySelector<HTMLInputElement>('input[value=images]')!;
    radio.click();
    expect(app.store.cell('data-1')).to.deep.include({
      source: { kind: 'images', name: 'mnist', size: 14, seed: 1 },
    });

    let sawProgress = false;
    await until(() => {
      const bar = imageSource(cell)?.shadowRoot?.querySelector('progress');
      if (bar) sawProgress = true;
      return (imageSource(cell)?.shadowRoot?.querySelectorAll('figure').length ?? 0) > 0;
    }, 'the sample grid');
    expect(sawProgress, 'a progress bar while the set loads').to.equal(true);
    const root = imageSource(cell)!.shadowRoot!;
    expect(root.querySelector('progress'), 'the bar is gone once loaded').to.equal(null);
    const captions = [...root.querySelectorAll('figcaption')].map((f) => f.textContent!.trim());
    expect(captions).to.have.length(16);
    for (const caption of captions) expect(caption).to.match(/^[0-9]$/);
    // The captions are the labels of the images drawn, and the pictures show their pixels.
    const state = app.lab!.imageStates.get('data-1')!;
    expect(captions).to.deep.equal([...state.preview!.labels].map(String));
    const first = root.querySelector<HTMLImageElement>('img[data-index]')!;
    const drawn = await imgPixels(first);
    const grey = [...drawn].filter((_, i) => i % 4 === 0);
    expect(grey).to.deep.equal([...state.preview!.pixels.subarray(0, 196)]);
    expect(root.textContent).to.match(/8,576 images/);
    await expect(cell).to.be.accessible();

    const train = inView(app, 'ff-train-cell')!;
    await until(
      () => /Choose an image model/.test(train.shadowRoot!.textContent ?? ''),
      'the Train cell note',
    );
    const model = inView(app, 'ff-model-cell')!;
    expect(model.shadowRoot!.querySelector('.data-problem')!.textContent).to.match(
      /holds an image set, MNIST 14×14.*Choose an image model in the Model cell/,
    );

    // A file that is no image: the message in the cell, the notebook as it was.
    const before = JSON.stringify(app.store.notebook);
    drop(cell, [new File(['hello, not a picture'], 'notes.txt', { type: 'text/plain' })]);
    await until(
      () => /notes\.txt/.test(imageSource(cell)?.shadowRoot?.textContent ?? ''),
      'the file message',
    );
    const alert = imageSource(cell)!.shadowRoot!.querySelector('#image-files-status')!;
    expect(alert.getAttribute('role')).to.equal('alert');
    expect(alert.textContent).to.contain(
      'No image could be read: give PNG or JPEG files, or a .zip of them.',
    );
    expect(alert.textContent).to.contain(
      "notes.txt: not a PNG or JPEG image (it starts with 'hell'); skipped.",
    );
    expect(JSON.stringify(app.store.notebook)).to.equal(before);
    await expect(cell).to.be.accessible();
  });

  it('dropped PNGs become the cell’s own set, referenced by hash, with a preview', async () => {
    const app = await fixture<FfApp>(
      html`<ff-app .client=${workerLabClient(worker.api)}></ff-app>`,
    );
    await until(() => app.lab?.gpu.state === 'ready', 'the GPU');
    const cell = inView(app, 'ff-data-cell') as FfDataCell;
    await cell.updateComplete;
    cell.shadowRoot!.querySelector<HTMLInputElement>('input[value=image-files]')!.click();
    await cell.updateComplete;
    expect(app.store.cell('data-1')).to.deep.include({
      source: { kind: 'builtin', name: 'moons', seed: 1 },
    });
    drop(cell, [await png('a.png', 0), await png('b.png', 255)]);
    await until(
      () =>
        app.store.cell('data-1')?.kind === 'data' &&
        (app.store.cell('data-1') as { source: { kind: string } }).source.kind === 'image-files',
      'the files source',
    );
    const source = (app.store.cell('data-1') as { source: Record<string, unknown> }).source;
    expect(source).to.deep.include({
      kind: 'image-files',
      label: '2 files',
      count: 2,
      channels: 1,
      size: 28,
      classNames: [],
    });
    expect(source['hash']).to.match(/^[0-9a-f]{64}$/);
    await until(
      () => (imageSource(cell)?.shadowRoot?.querySelectorAll('img[data-index]').length ?? 0) === 16,
      'the grid',
    );
    const preview = app.lab!.imageStates.get('data-1')!.preview!;
    // Every drawn image is all black (a.png) or all white (b.png).
    for (let i = 0; i < 16; i++) {
      const image = new Set(preview.pixels.subarray(i * 784, (i + 1) * 784));
      expect(image.size).to.equal(1);
      expect([0, 255]).to.include([...image][0]);
    }

    // Save file / Open file: the file carries the pixels, so the other page shows the set.
    await app.session.saveFile();
    const text = new TextDecoder().decode(app.session.lastDownload!.bytes);
    expect(JSON.parse(text).imageSets).to.have.length(1);
    const other = await fixture<FfApp>(
      html`<ff-app .client=${workerLabClient(worker.api)}></ff-app>`,
    );
    await other.session.boot({ hash: '', autosaveDb: freshDb() });
    await until(() => other.lab?.gpu.state === 'ready', 'the GPU');
    expect(await other.session.openFile(new Blob([text]))).to.equal(true);
    expect(other.store.cell('data-1')).to.deep.include({ source });
    const otherCell = inView(other, 'ff-data-cell') as FfDataCell;
    await until(
      () =>
        (imageSource(otherCell)?.shadowRoot?.querySelectorAll('img[data-index]').length ?? 0) ===
        16,
      'the grid of the opened file',
    );
    const opened = other.lab!.imageStates.get('data-1')!.preview!;
    expect(opened.setCount).to.equal(2);
    expect([...new Set(opened.pixels)].sort((a, b) => a - b)).to.deep.equal([0, 255]);
  });

  it('a link’s reference to files whose pixels are not here: the cell says so and how to fix it', async () => {
    const app = await fixture<FfApp>(
      html`<ff-app .client=${workerLabClient(worker.api)}></ff-app>`,
    );
    await until(() => app.lab?.gpu.state === 'ready', 'the GPU');
    const source = {
      kind: 'image-files' as const,
      label: 'digits.zip',
      count: 120,
      channels: 1 as const,
      size: 28,
      classNames: [],
      hash: 'ab'.repeat(32),
      seed: 1,
    };
    app.store.dispatch({ type: 'update', id: 'data-1', patch: { source } });
    const cell = inView(app, 'ff-data-cell') as FfDataCell;
    await until(
      () => /not in this browser/.test(imageSource(cell)?.shadowRoot?.textContent ?? ''),
      'the missing-pixels message',
    );
    const alert = imageSource(cell)!.shadowRoot!.querySelector('p.error[role=alert]')!;
    expect(alert.textContent).to.equal(
      'This Data cell uses your images “digits.zip” (120 of 28×28 grey), whose images are not in ' +
        'this browser: links do not carry them, and autosave keeps only the most recent image ' +
        'sets (64 MiB in all). Add the same files (or .zip) again with the picker above or by ' +
        'dropping them on this cell, or open the .flowfield.json file saved with them. The rest ' +
        'of the notebook is intact.',
    );
    expect(app.store.cell('data-1')).to.deep.include({ source });
  });
});

/**
 * The user's image set at a chosen size and colour, kept by autosave (#15, #17 item 4), through
 * the real worker and GPU: RGB 14×14 chosen before the files are added gives a colour preview;
 * a new size reads the same files again; a reload (a new app on the same IndexedDB) brings the
 * images back with the same hash; a set the browser does not hold is said to be missing, with
 * the way to add it again, and the notebook stays intact.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import { workerLabClient } from '../../../src/ui/controllers/worker-lab-client';
import type { FfDataCell } from '../../../src/ui/data-cell/data-cell';
import type { ImageFilesSource } from '../../../src/notebook';
import { startWorker, type WorkerHandle } from '../../../src/worker/client';
import { imgPixels } from '../support/png';
import { freshDb, until } from '../support/share-support';

function dataCell(app: FfApp): FfDataCell {
  const view = app.shadowRoot!.querySelector('ff-notebook-view')!;
  return view.shadowRoot!.querySelector('ff-data-cell')!;
}

function imageRoot(app: FfApp): ShadowRoot | undefined {
  return dataCell(app).shadowRoot?.querySelector('ff-image-source')?.shadowRoot ?? undefined;
}

function filesSource(app: FfApp): ImageFilesSource | undefined {
  const cell = app.store.cell('data-1');
  return cell?.kind === 'data' && cell.source.kind === 'image-files' ? cell.source : undefined;
}

function select(app: FfApp, id: string, value: string): void {
  const field = imageRoot(app)!.querySelector<HTMLSelectElement>(`#${id}`)!;
  field.value = value;
  field.dispatchEvent(new Event('change'));
}

/** Drops `files` on the Data cell as a user would. */
function drop(app: FfApp, files: File[]): void {
  const transfer = new DataTransfer();
  for (const file of files) transfer.items.add(file);
  dataCell(app)
    .shadowRoot!.querySelector('.layout')!
    .dispatchEvent(
      new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
    );
}

/** A 28×28 PNG filled with one colour. */
async function png(name: string, colour: string): Promise<File> {
  const canvas = new OffscreenCanvas(28, 28);
  const context = canvas.getContext('2d')!;
  context.fillStyle = colour;
  context.fillRect(0, 0, 28, 28);
  return new File([await canvas.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' });
}

/** The RGB of the centre pixel of each drawn sample picture. */
async function drawnColours(app: FfApp): Promise<string[]> {
  const images = [...imageRoot(app)!.querySelectorAll<HTMLImageElement>('img[data-index]')];
  return Promise.all(
    images.map(async (img) => {
      // The picture's own size (img.width is the size it is shown at).
      const side = Number(img.getAttribute('width'));
      const at = 4 * ((side >> 1) * side + (side >> 1));
      const [r, g, b] = (await imgPixels(img)).subarray(at, at + 3);
      return `${r},${g},${b}`;
    }),
  );
}

async function gridOf(app: FfApp, size: number): Promise<void> {
  await until(
    'the sample grid',
    () =>
      app.lab?.imageStates.get('data-1')?.preview?.shape[1] === size &&
      (imageRoot(app)?.querySelectorAll('img[data-index]').length ?? 0) === 16,
    120_000,
  );
  await app.updateComplete;
}

describe('your image set: size, RGB and autosave', function () {
  this.timeout(300_000);
  let worker: WorkerHandle;
  before(() => {
    worker = startWorker(new URL('../../../src/worker/worker.ts', import.meta.url));
  });
  after(() => worker.terminate());

  async function booted(db: string): Promise<FfApp> {
    const app = await fixture<FfApp>(
      html`<ff-app .client=${workerLabClient(worker.api)}></ff-app>`,
    );
    await app.session.boot({ hash: '', autosaveDb: db });
    await until('the GPU', () => app.lab?.gpu.state === 'ready', 120_000);
    return app;
  }

  it('RGB 14×14 files show in colour, a new size re-reads them, a reload brings them back', async () => {
    const db = freshDb();
    const app = await booted(db);
    dataCell(app).shadowRoot!.querySelector<HTMLInputElement>('input[value=image-files]')!.click();
    await dataCell(app).updateComplete;
    // Chosen before the files: the notebook is unchanged until they are added.
    select(app, 'image-files-size', '14');
    await until('the size shown', () => /made 14×14 grey/.test(imageRoot(app)?.textContent ?? ''));
    select(app, 'image-files-colour', '3');
    await until('the choice shown', () => /made 14×14 RGB/.test(imageRoot(app)?.textContent ?? ''));
    expect(app.store.cell('data-1')).to.deep.include({
      source: { kind: 'builtin', name: 'moons', seed: 1 },
    });
    drop(app, [await png('red.png', 'rgb(255, 0, 0)'), await png('blue.png', 'rgb(0, 0, 255)')]);
    await until('the files source', () => filesSource(app) !== undefined);
    expect(filesSource(app)).to.deep.include({ count: 2, size: 14, channels: 3 });
    await gridOf(app, 14);
    const preview = app.lab!.imageStates.get('data-1')!.preview!;
    expect(preview.shape).to.deep.equal([3, 14, 14]);
    const colours = await drawnColours(app);
    expect(new Set(colours)).to.deep.equal(new Set(['255,0,0', '0,0,255']));
    // Each picture shows its image's three planes.
    colours.forEach((colour, i) => {
      const at = i * 3 * 196;
      const planes = [0, 1, 2].map((c) => preview.pixels[at + c * 196 + 7 * 14 + 7]);
      expect(planes.join(',')).to.equal(colour);
    });

    // A new size after the files: the same files are read again, a new set (new hash).
    const first = filesSource(app)!.hash;
    select(app, 'image-files-size', '8');
    await until('the 8×8 set', () => filesSource(app)?.size === 8);
    expect(filesSource(app)).to.deep.include({ count: 2, channels: 3, label: '2 files' });
    expect(filesSource(app)!.hash).to.not.equal(first);
    await gridOf(app, 8);
    const hash = filesSource(app)!.hash;
    await app.session.flushAutosave();
    app.remove();

    // A reload: a new app on the same database opens the notebook with its images.
    const next = await booted(db);
    expect(filesSource(next)?.hash).to.equal(hash);
    await gridOf(next, 8);
    expect(next.lab!.imageStates.get('data-1')!.error).to.equal(undefined);
    expect(new Set(await drawnColours(next))).to.deep.equal(new Set(['255,0,0', '0,0,255']));
    // Its files did not come back, only the pixels: a new size asks for the files again.
    select(next, 'image-files-size', '28');
    await until('the note', () => /Add the same files again/.test(imageRoot(next)!.textContent!));
    expect(imageRoot(next)!.textContent).to.contain('holds the 8×8 RGB pixels of “2 files”');
    expect(filesSource(next)?.hash).to.equal(hash);
    await expect(dataCell(next)).to.be.accessible();
    next.remove();
  });

  it('a set that is not in this browser: the cell says so and offers to add it again', async () => {
    const app = await booted(freshDb());
    const source: ImageFilesSource = {
      kind: 'image-files',
      label: 'digits.zip',
      count: 120,
      channels: 3,
      size: 14,
      classNames: [],
      hash: 'ab'.repeat(32),
      seed: 1,
    };
    app.store.dispatch({ type: 'update', id: 'data-1', patch: { source } });
    await until('the missing message', () =>
      /not in this browser/.test(imageRoot(app)?.textContent ?? ''),
    );
    const root = imageRoot(app)!;
    expect(root.querySelector('p.error[role=alert]')!.textContent).to.contain(
      'your images “digits.zip” (120 of 14×14 RGB), whose images are not in this browser',
    );
    expect(root.querySelector('label[for=image-files]')!.textContent).to.match(
      /^\s*Add the images again/,
    );
    expect(app.store.cell('data-1')).to.deep.include({ source });
    expect(app.store.notebook.cells.map((c) => c.kind)).to.include.members(['model', 'train']);
    app.remove();
  });
});

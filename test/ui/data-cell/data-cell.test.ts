import { expect, fixture, html } from '@open-wc/testing';
import { createCell, type DataCell, type DataSource } from '../../../src/notebook';
import '../../../src/ui/data-cell/data-cell';
import type { FfDataCell } from '../../../src/ui/data-cell/data-cell';
import { finishGrid, rgbaToMass } from '../../../src/ui/data-cell/image-grid';
import { $, patches, setValue } from '../support/helpers';

async function mount(source?: DataSource): Promise<FfDataCell> {
  const cell = createCell('data', 'd') as DataCell;
  return fixture<FfDataCell>(
    html`<ff-data-cell .cell=${source ? { ...cell, source } : cell}></ff-data-cell>`,
  );
}

describe('<ff-data-cell>', () => {
  it('picks a built-in dataset and seed', async () => {
    const el = await mount();
    const seen = patches(el);
    setValue($(el, '#dataset'), 'circles');
    setValue($(el, '#seed'), '5');
    expect(seen[0]).to.deep.equal({ source: { kind: 'builtin', name: 'circles', seed: 1 } });
    expect((seen[1] as { source: DataSource }).source.seed).to.equal(5);
  });

  it('switches the source kind with the radio buttons', async () => {
    const el = await mount();
    const seen = patches(el);
    const radios = el.shadowRoot!.querySelectorAll<HTMLInputElement>('input[type=radio]');
    radios[1]!.click();
    radios[2]!.click();
    expect((seen[0] as { source: DataSource }).source.kind).to.equal('points');
    expect((seen[1] as { source: DataSource }).source.kind).to.equal('grid');
  });

  it('shows line-numbered errors for pasted points', async () => {
    const el = await mount({ kind: 'points', text: 'x,y\n1,2\n3,oops\n', jitter: 0, seed: 1 });
    const status = $(el, '#points-status');
    expect(status.getAttribute('role')).to.equal('alert');
    expect(status.textContent).to.contain('line 3');
    const seen = patches(el);
    setValue($(el, '#points'), '1,2\n3,4');
    expect((seen[0] as { source: { text: string } }).source.text).to.equal('1,2\n3,4');
    setValue($(el, '#jitter'), '0.1');
    expect((seen[1] as { source: { jitter: number } }).source.jitter).to.equal(0.1);
  });

  it('loads points from a CSV file; line-numbered errors as for pasted text; binary refused', async () => {
    const el = await mount({ kind: 'points', text: '0,0\n1,1', jitter: 0, seed: 1 });
    const seen = patches(el);
    const load = (file: File) => {
      const input = $(el, '#csv-file');
      const transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    };
    const csv = 'x,y\n0.5,-1\n2,3\n';
    load(new File([csv], 'points.csv', { type: 'text/csv' }));
    await nextPatch(seen, 1);
    expect((seen[0] as { source: { text: string } }).source).to.deep.equal({
      kind: 'points',
      text: csv,
      jitter: 0,
      seed: 1,
    });
    load(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0])], 'photo.csv'));
    for (let i = 0; i < 100 && !el.shadowRoot!.querySelector('#csv-file-status'); i++) {
      await new Promise((r) => setTimeout(r, 10));
      await el.updateComplete;
    }
    expect($(el, '#csv-file-status').textContent).to.contain('photo.csv is not a text file');
    expect(seen.length, 'the points stay').to.equal(1);
  });

  it('draws a density with the pointer; undo and clear', async () => {
    const side = 32;
    const el = await mount({
      kind: 'grid',
      width: side,
      height: side,
      weights: new Array(side * side).fill(0),
      seed: 1,
    });
    const seen = patches(el);
    const canvas = $(el, 'img.draw');
    const rect = canvas.getBoundingClientRect();
    const at = (type: string, fx: number, fy: number) =>
      canvas.dispatchEvent(
        new PointerEvent(type, {
          clientX: rect.left + fx * rect.width,
          clientY: rect.top + fy * rect.height,
          pressure: 1,
          pointerId: 1,
          bubbles: true,
        }),
      );
    at('pointerdown', 0.5, 0.5);
    at('pointermove', 0.6, 0.5);
    at('pointerup', 0.6, 0.5);
    const drawn = (seen[0] as { source: { weights: number[] } }).source.weights;
    expect(drawn.reduce((a, b) => a + b, 0)).to.be.greaterThan(0);
    el.cell = {
      ...el.cell,
      source: { ...(el.cell.source as object), weights: drawn } as DataSource,
    };
    await el.updateComplete;
    ($(el, 'button:not([disabled])') as HTMLButtonElement).click(); // Undo
    expect(
      (seen[1] as { source: { weights: number[] } }).source.weights.every((w) => w === 0),
    ).to.equal(true);
  });

  it('is accessible in every source kind', async () => {
    await expect(await mount()).to.be.accessible();
    await expect(
      await mount({ kind: 'points', text: '1,2', jitter: 0, seed: 1 }),
    ).to.be.accessible();
    await expect(
      await mount({
        kind: 'grid',
        width: 32,
        height: 32,
        weights: new Array(1024).fill(0),
        seed: 1,
      }),
    ).to.be.accessible();
  });

  it('turns pixels into mass: dark is dense, Invert makes light dense, transparent is empty', () => {
    const pixels = [0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128];
    const mass = rgbaToMass(pixels, false);
    const expected = [1, 0, 1 - 0.2126, 0, 128 / 255];
    mass.forEach((m, i) => expect(m).to.be.closeTo(expected[i]!, 1e-12));
    const inverted = rgbaToMass(pixels, true);
    [0, 1, 0.2126, 0, 0].forEach((m, i) => expect(inverted[i]).to.be.closeTo(m, 1e-12));
    expect(() => finishGrid(1, 2, [0, 0])).to.throw(/no mass/);
  });
});

/** A PNG of `width` × `height`: the left half black, the right half white. */
async function halfBlackPng(width: number, height: number, name = 'half.png'): Promise<File> {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, width, height);
  context.fillStyle = '#000';
  context.fillRect(0, 0, width / 2, height);
  const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'));
  return new File([blob], name, { type: 'image/png' });
}

function upload(el: FfDataCell, file: File): void {
  const input = $(el, '#image');
  const transfer = new DataTransfer();
  transfer.items.add(file);
  input.files = transfer.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

async function nextPatch(seen: unknown[], count: number): Promise<void> {
  for (let i = 0; i < 100 && seen.length < count; i++) await new Promise((r) => setTimeout(r, 10));
}

type Grid = { kind: string; width: number; height: number; weights: number[] };

describe('<ff-data-cell> images', () => {
  /** Expected mass at (x, y) of the 64 × 64 grid of a 2:1 half-black image, or undefined at edges. */
  function expectedHalf(x: number, y: number, invert: boolean): number | undefined {
    // Letterboxed: the 64 × 32 picture sits in rows 16 … 47; the border has no mass.
    if (y < 16 || y >= 48) return 0;
    if (y === 16 || y === 47 || (x >= 30 && x <= 33)) return undefined; // resampling edges
    const dark = x < 32;
    return dark !== invert ? 1 : 0;
  }

  it('an uploaded PNG becomes a letterboxed density grid; Invert redoes it', async () => {
    const el = await mount();
    const seen = patches(el);
    upload(el, await halfBlackPng(32, 16));
    await nextPatch(seen, 1);
    const grid = (seen[0] as { source: Grid }).source;
    expect([grid.kind, grid.width, grid.height]).to.deep.equal(['grid', 64, 64]);
    const check = (weights: number[], invert: boolean) => {
      for (let y = 0; y < 64; y++) {
        for (let x = 0; x < 64; x++) {
          const want = expectedHalf(x, y, invert);
          if (want !== undefined)
            expect(weights[y * 64 + x], `(${x}, ${y})`).to.be.closeTo(want, 0.02);
        }
      }
    };
    check(grid.weights, false);
    $(el, '#invert').click();
    await nextPatch(seen, 2);
    check((seen[1] as { source: Grid }).source.weights, true);
  });

  it('takes an image dropped on the cell', async () => {
    const el = await mount();
    const seen = patches(el);
    const transfer = new DataTransfer();
    transfer.items.add(await halfBlackPng(8, 8, 'drop.png'));
    const layout = $(el, '.layout');
    const over = new DragEvent('dragover', { dataTransfer: transfer, cancelable: true });
    layout.dispatchEvent(over);
    expect(over.defaultPrevented, 'dragover accepts files').to.equal(true);
    layout.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, cancelable: true }));
    await nextPatch(seen, 1);
    const grid = (seen[0] as { source: Grid }).source;
    expect(grid.kind).to.equal('grid');
    // Square image: no letterbox; the left half is dense.
    expect(grid.weights[10 * 64 + 5]).to.be.closeTo(1, 0.02);
    expect(grid.weights[10 * 64 + 60]).to.be.closeTo(0, 0.02);
  });

  it('says why an image cannot be read and keeps the data', async () => {
    const el = await mount();
    const seen = patches(el);
    upload(el, new File(['not a picture'], 'broken.png', { type: 'image/png' }));
    await nextPatch(seen, 1);
    await el.updateComplete;
    await new Promise((r) => setTimeout(r, 50));
    await el.updateComplete;
    expect($(el, '#image-status').getAttribute('role')).to.equal('alert');
    expect($(el, '#image-status').textContent).to.contain(
      '“broken.png” could not be decoded as a PNG',
    );
    upload(el, new File(['x,y'], 'points.csv', { type: 'text/csv' }));
    await new Promise((r) => setTimeout(r, 50));
    await el.updateComplete;
    expect($(el, '#image-status').textContent).to.contain(
      'a text/csv file; expected a PNG or JPEG',
    );
    const white = document.createElement('canvas');
    white.width = white.height = 4;
    const ctx = white.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 4, 4);
    const blob = await new Promise<Blob>((resolve) =>
      white.toBlob((b) => resolve(b!), 'image/png'),
    );
    upload(el, new File([blob], 'white.png', { type: 'image/png' }));
    await new Promise((r) => setTimeout(r, 100));
    await el.updateComplete;
    expect($(el, '#image-status').textContent).to.contain('no mass');
    expect(seen, 'no change reached the notebook').to.deep.equal([]);
    await expect(el).to.be.accessible();
  });
});

import { expect, fixture, html } from '@open-wc/testing';
import { createCell, type DataCell, type DataSource } from '../../src/notebook';
import '../../src/ui/data-cell/data-cell';
import type { FfDataCell } from '../../src/ui/data-cell/data-cell';
import { $, patches, setValue } from './support/helpers';

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
    const canvas = $(el, 'canvas.draw');
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
});

import { expect, fixture, html } from '@open-wc/testing';
import { createCell, type ViewCell } from '../../src/notebook';
import { IDLE_RUN } from '../../src/ui/controllers/lab-controller';
import '../../src/ui/view-cell/view-cell';
import type { FfViewCell } from '../../src/ui/view-cell/view-cell';
import { $, patches, setValue } from './support/helpers';

const cell = createCell('view', 'v') as ViewCell;
const samples = new Float32Array([0, 0, 0.5, 0.5, -0.5, 0.2]);

describe('<ff-view-cell>', () => {
  it('every control changes the cell', async () => {
    const el = await fixture<FfViewCell>(html`<ff-view-cell .cell=${cell}></ff-view-cell>`);
    const seen = patches(el);
    const boxes = el.shadowRoot!.querySelectorAll<HTMLInputElement>('input[type=checkbox]');
    boxes[0]!.click();
    boxes[1]!.click();
    setValue($(el, '#sampleCount'), '512');
    setValue($(el, '#sampleSeed'), '9');
    expect(seen).to.deep.equal([
      { showData: false },
      { showSamples: false },
      { sampleCount: 512 },
      { sampleSeed: 9 },
    ]);
  });

  it('draws samples over the data', async () => {
    const el = await fixture<FfViewCell>(
      html`<ff-view-cell
        .cell=${cell}
        .data=${new Float32Array([1, 1, -1, -1])}
        .run=${{ ...IDLE_RUN, samples }}
      ></ff-view-cell>`,
    );
    expect(el.shadowRoot!.textContent).to.contain('3 samples shown');
    const scatter = $(el, 'ff-scatter') as unknown as { layers: unknown[] };
    expect(scatter.layers).to.have.length(2);
  });

  it('is accessible', async () => {
    const el = await fixture<FfViewCell>(
      html`<ff-view-cell .cell=${cell} .run=${{ ...IDLE_RUN, samples }}></ff-view-cell>`,
    );
    await expect(el).to.be.accessible();
  });
});

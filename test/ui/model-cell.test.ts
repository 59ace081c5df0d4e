import { expect, fixture, html } from '@open-wc/testing';
import { createCell, type ModelCell } from '../../src/notebook';
import '../../src/ui/model-cell/model-cell';
import type { FfModelCell } from '../../src/ui/model-cell/model-cell';
import { $, patches, setValue } from './support/helpers';

async function mount(cell = createCell('model', 'm') as ModelCell): Promise<FfModelCell> {
  return fixture<FfModelCell>(html`<ff-model-cell .cell=${cell}></ff-model-cell>`);
}

describe('<ff-model-cell>', () => {
  it('every control changes the setting it names', async () => {
    const el = await mount();
    const seen = patches(el);
    const cases: [string, string, string, string, unknown][] = [
      ['#kind', 'nice', 'model', 'kind', 'nice'],
      ['#layers', '4', 'model', 'layers', 4],
      ['#hidden', '16', 'model', 'hidden', 16],
      ['#hiddenLayers', '3', 'model', 'hiddenLayers', 3],
      ['#activation', 'relu', 'model', 'activation', 'relu'],
      ['#seed', '7', 'model', 'seed', 7],
      ['#optimizer', 'sgd', 'train', 'optimizer', 'sgd'],
      ['#learningRate', '0.01', 'train', 'learningRate', 0.01],
      ['#schedule', 'cosine', 'train', 'schedule', 'cosine'],
      ['#batch', '128', 'train', 'batch', 128],
      ['#steps', '200', 'train', 'steps', 200],
    ];
    for (const [selector, value, group, field, expected] of cases) {
      setValue($(el, selector), value);
      const last = seen[seen.length - 1] as Record<string, Record<string, unknown>>;
      expect(last[group]![field], selector).to.equal(expected);
    }
  });

  it('picking a diffusion kind sets the family and shows T', async () => {
    const el = await mount();
    const seen = patches(el);
    setValue($(el, '#kind'), 'flow-matching');
    const model = (seen[0] as { model: ModelCell['model'] }).model;
    expect(model.family).to.equal('diffusion');
    el.cell = { ...el.cell, model };
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('#timesteps')).to.not.equal(null);
  });

  it('shows a message for a value out of range instead of clamping it', async () => {
    const cell = createCell('model', 'm') as ModelCell;
    const el = await mount({ ...cell, model: { ...cell.model, hidden: 100000 } });
    const input = $(el, '#hidden');
    expect(input.value).to.equal('100000');
    expect(input.getAttribute('aria-invalid')).to.equal('true');
    expect(el.shadowRoot!.querySelector('#hidden-error')!.textContent).to.contain(
      'between 1 and 256',
    );
  });

  it('explains the chosen model with equations', async () => {
    const el = await mount();
    const learn = el.shadowRoot!.querySelector('details.learn')!;
    expect(learn.textContent).to.contain('RealNVP');
    expect(learn.querySelector('ff-markdown')!.shadowRoot!.querySelector('math')).to.not.equal(
      null,
    );
  });

  it('is accessible', async () => {
    const el = await mount();
    await expect(el).to.be.accessible();
  });
});

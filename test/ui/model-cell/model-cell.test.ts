import { expect, fixture, html } from '@open-wc/testing';
import { createCell, type ModelCell } from '../../../src/notebook';
import '../../../src/ui/model-cell/model-cell';
import type { FfModelCell } from '../../../src/ui/model-cell/model-cell';
import { modelSpec } from '../../../src/specs';
import { resolveDiffusionSpec, type DiffusionModelSpec } from '../../../src/models/diffusion/spec';
import { $, patches, setValue } from '../support/helpers';

async function mount(cell = createCell('model', 'm') as ModelCell): Promise<FfModelCell> {
  return fixture<FfModelCell>(html`<ff-model-cell .cell=${cell}></ff-model-cell>`);
}

function withKind(kind: ModelCell['model']['kind']): ModelCell {
  const cell = createCell('model', 'm') as ModelCell;
  const family = kind === 'ddpm' || kind === 'flow-matching' ? 'diffusion' : 'flow';
  return { ...cell, model: { ...cell.model, kind, family } };
}

const has = (el: FfModelCell, selector: string) => el.shadowRoot!.querySelector(selector) !== null;

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

  it('DDPM shows T, noise schedule and prediction, and each changes its setting', async () => {
    const el = await mount(withKind('ddpm'));
    const seen = patches(el);
    const cases: [string, string, keyof ModelCell['model'], unknown][] = [
      ['#timesteps', '50', 'timesteps', 50],
      ['#noiseSchedule', 'linear', 'noiseSchedule', 'linear'],
      ['#prediction', 'v', 'prediction', 'v'],
    ];
    for (const [selector, value, field, expected] of cases) {
      setValue($(el, selector), value);
      const last = seen[seen.length - 1] as { model: ModelCell['model'] };
      expect(last.model[field], selector).to.equal(expected);
      // The rest of the model is carried over unchanged.
      expect(last.model.kind).to.equal('ddpm');
    }
    // Couplings are a flow's: hidden for diffusion.
    expect(has(el, '#layers')).to.equal(false);
    expect(has(el, '#hiddenLayers')).to.equal(true);
  });

  it('flow matching hides the DDPM-only fields; flows hide every diffusion field', async () => {
    const fm = await mount(withKind('flow-matching'));
    for (const id of ['#timesteps', '#noiseSchedule', '#prediction', '#layers']) {
      expect(has(fm, id), id).to.equal(false);
    }
    const flow = await mount(withKind('realnvp'));
    expect(has(flow, '#layers')).to.equal(true);
    for (const id of ['#timesteps', '#noiseSchedule', '#prediction']) {
      expect(has(flow, id), id).to.equal(false);
    }
  });

  it('picking a diffusion kind sets the family; picking a flow sets it back', async () => {
    const el = await mount();
    const seen = patches(el);
    setValue($(el, '#kind'), 'ddpm');
    const model = (seen[0] as { model: ModelCell['model'] }).model;
    expect(model.family).to.equal('diffusion');
    el.cell = { ...el.cell, model };
    await el.updateComplete;
    expect(has(el, '#timesteps')).to.equal(true);
    setValue($(el, '#kind'), 'glow');
    expect((seen[1] as { model: ModelCell['model'] }).model.family).to.equal('flow');
  });

  it('tooltips of the diffusion fields carry their equations', async () => {
    const el = await mount(withKind('ddpm'));
    expect($(el, '#prediction').title).to.contain('v = √ᾱ_t·ε − √(1 − ᾱ_t)·x₀');
    expect($(el, '#noiseSchedule').title).to.contain('cos²');
    expect($(el, '#timesteps').title).to.contain('√ᾱ_t·x₀');
  });

  it('maps settings to a spec the library accepts (DDPM keeps T/schedule/target; FM drops them)', () => {
    const ddpm = { ...withKind('ddpm').model, timesteps: 40, noiseSchedule: 'linear' as const };
    const resolved = resolveDiffusionSpec(
      modelSpec({ ...ddpm, prediction: 'v' }) as DiffusionModelSpec,
    );
    expect(resolved).to.include({
      kind: 'ddpm',
      timesteps: 40,
      schedule: 'linear',
      prediction: 'v',
      hidden: ddpm.hidden,
      layers: ddpm.hiddenLayers,
      activation: ddpm.activation,
      seed: ddpm.seed,
    });
    // The library refuses DDPM-only fields on flow matching: the mapping must leave them out.
    const fm = resolveDiffusionSpec(
      modelSpec(withKind('flow-matching').model) as DiffusionModelSpec,
    );
    expect(fm.kind).to.equal('flow-matching');
    expect(modelSpec(withKind('flow-matching').model)).to.not.have.any.keys(
      'timesteps',
      'schedule',
      'prediction',
    );
    expect(modelSpec(withKind('spline').model)).to.include({ family: 'flow', kind: 'spline' });
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

  it('every kind’s explanation typesets without a math error', async () => {
    for (const kind of ['nice', 'realnvp', 'glow', 'spline', 'ddpm', 'flow-matching'] as const) {
      const el = await mount(withKind(kind));
      const markdown = el.shadowRoot!.querySelector('details.learn ff-markdown')!;
      await (markdown as unknown as { updateComplete: Promise<unknown> }).updateComplete;
      const root = markdown.shadowRoot!;
      expect(root.querySelectorAll('math').length, kind).to.be.greaterThan(0);
      // KaTeX (throwOnError: false) shows what it could not parse in its error colour.
      expect(root.querySelector('.katex-error, merror, [mathcolor="#cc0000"]'), kind).to.equal(
        null,
      );
    }
  });

  it('is accessible, for flows and for DDPM', async () => {
    await expect(await mount()).to.be.accessible();
    await expect(await mount(withKind('ddpm'))).to.be.accessible();
  });
});

import { expect, fixture, html } from '@open-wc/testing';
import {
  IMAGE_MODEL_KINDS,
  createCell,
  defaultImageModel,
  type ImageModelSettings,
  type ModelCell,
  type ViewCell,
} from '../../../src/notebook';
import { IDLE_RUN, type RunView } from '../../../src/ui/controllers/lab-controller';
import { imageSampleRequest } from '../../../src/ui/controllers/run-samples';
import '../../../src/ui/view-cell/view-cell';
import type { FfViewCell } from '../../../src/ui/view-cell/view-cell';
import { $, patches, setValue } from '../support/helpers';

const view = createCell('view', 'v') as ViewCell;

function runWith(image: ImageModelSettings): RunView {
  const model = (createCell('model', 'm') as ModelCell).model;
  return { ...IDLE_RUN, model: { ...model, image } };
}

async function mount(cell: ViewCell, run: RunView): Promise<FfViewCell> {
  return fixture<FfViewCell>(html`<ff-view-cell .cell=${cell} .run=${run}></ff-view-cell>`);
}

const choices = (el: FfViewCell) =>
  Array.from(($(el, '#sampler') as unknown as HTMLSelectElement).options, (o) => o.value);

describe('<ff-view-cell> over an image model: the sample controls of each kind', () => {
  it('image flows take a temperature; flow matching an ODE solver; a DDPM DDIM or DDPM', async () => {
    const expected: Record<string, string[] | 'temperature'> = {
      nice: 'temperature',
      realnvp: 'temperature',
      glow: 'temperature',
      'flow-matching': ['euler', 'rk4'],
      ddpm: ['ddim', 'ddpm'],
    };
    for (const kind of IMAGE_MODEL_KINDS) {
      const el = await mount(view, runWith(defaultImageModel(kind, [1, 14, 14])));
      const root = el.shadowRoot!;
      if (expected[kind] === 'temperature') {
        expect(root.querySelector('#temperature'), kind).to.not.equal(null);
        expect(root.querySelector('#sampler'), kind).to.equal(null);
      } else {
        expect(root.querySelector('#temperature'), kind).to.equal(null);
        expect(choices(el), kind).to.deep.equal(expected[kind]);
      }
    }
    // A DDPM shows DDIM unless the cell chose the ancestral sampler; choosing it patches the cell.
    const ddpm = await mount(view, runWith(defaultImageModel('ddpm', [1, 14, 14])));
    expect(($(ddpm, '#sampler') as unknown as HTMLSelectElement).value).to.equal('ddim');
    const seen = patches(ddpm);
    setValue($(ddpm, '#sampler'), 'ddpm');
    expect(seen[seen.length - 1]).to.deep.equal({ sampler: 'ddpm' });
    expect(ddpm.shadowRoot!.querySelector('#samplerSteps'), 'DDIM takes a step count').to.not.equal(
      null,
    );
    // The ancestral sampler runs all T steps of the schedule: no step count to offer.
    const ancestral = await mount(
      { ...view, sampler: 'ddpm' },
      runWith(defaultImageModel('ddpm', [1, 14, 14])),
    );
    expect(ancestral.shadowRoot!.querySelector('#samplerSteps')).to.equal(null);
  });

  it('asks the worker for what the library samples with: temperature, solver, DDIM steps ≤ T', () => {
    const cell: ViewCell = { ...view, sampleSeed: 4, temperature: 0.6, samplerSteps: 50 };
    for (const kind of ['nice', 'realnvp', 'glow'] as const) {
      expect(imageSampleRequest(cell, defaultImageModel(kind, [1, 14, 14]))).to.deep.equal({
        seed: 4,
        temperature: 0.6,
      });
    }
    const fm = defaultImageModel('flow-matching', [1, 14, 14]);
    expect(imageSampleRequest({ ...cell, sampler: 'rk4' }, fm)).to.deep.equal({
      seed: 4,
      sampler: 'rk4',
      steps: 50,
    });
    expect(imageSampleRequest({ ...cell, sampler: 'ddim' }, fm).sampler).to.equal('euler');
    const ddpm = defaultImageModel('ddpm', [1, 14, 14]);
    expect(imageSampleRequest({ ...cell, sampler: 'euler' }, ddpm)).to.deep.equal({
      seed: 4,
      sampler: 'ddim',
      steps: 50,
    });
    // The ancestral sampler takes every one of the T steps: no step count is sent.
    expect(imageSampleRequest({ ...cell, sampler: 'ddpm' }, ddpm)).to.deep.equal({
      seed: 4,
      sampler: 'ddpm',
    });
    // DDIM cannot take more steps than the model has noise levels (T = 20 here).
    const short = { ...ddpm, options: { ...ddpm.options, timesteps: 20 } };
    expect(imageSampleRequest({ ...cell, sampler: 'ddim' }, short).steps).to.equal(20);
  });

  it('shows the Fréchet figure of a finished run with what it was computed on', async () => {
    const run = {
      ...runWith(defaultImageModel('nice', [1, 14, 14])),
      frechet: {
        distance: 12.3456,
        count: 100,
        featureDims: 32,
        set: 'mnist',
        classifierAccuracy: 0.9326,
        step: 400,
      },
    };
    const el = await mount(view, run);
    const text = $(el, '#frechet').textContent!.replace(/\s+/g, ' ');
    expect(text)
      .to.contain('Fréchet distance at step 400: 12.35 between 100 samples and 100 test images')
      .and.contain('32 penultimate features of a small mnist classifier (test accuracy 93.3%)');
    const without = await mount(view, runWith(defaultImageModel('nice', [1, 14, 14])));
    expect(without.shadowRoot!.querySelector('#frechet')).to.equal(null);
  });
});

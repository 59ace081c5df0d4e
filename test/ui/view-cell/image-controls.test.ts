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
      'flow-matching': ['euler', 'heun', 'rk4'],
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
    expect(imageSampleRequest({ ...cell, sampler: 'heun' }, fm)).to.deep.equal({
      seed: 4,
      sampler: 'heun',
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

  it('a class-conditional model: class and guidance controls, and the classes they request', async () => {
    for (const kind of ['flow-matching', 'ddpm'] as const) {
      const plain = defaultImageModel(kind, [1, 14, 14]);
      const unconditional = await mount(view, runWith(plain));
      expect(unconditional.shadowRoot!.querySelector('#sampleClass'), kind).to.equal(null);
      expect(unconditional.shadowRoot!.querySelector('#guidance'), kind).to.equal(null);
      // An unconditional model's request has no classes (the library refuses them).
      expect(imageSampleRequest(view, plain)).to.not.have.any.keys('classes', 'guidance');

      const image = { kind, options: { ...plain.options, classes: 10, pUncond: 0.1 } };
      const el = await mount(view, runWith(image));
      const select = $(el, '#sampleClass') as unknown as HTMLSelectElement;
      expect(Array.from(select.options, (o) => o.value)).to.deep.equal([
        'all',
        ...Array.from({ length: 10 }, (_, k) => String(k)),
      ]);
      expect(select.value).to.equal('all');
      expect(($(el, '#guidance') as unknown as HTMLInputElement).value).to.equal('1');
      const seen = patches(el);
      setValue($(el, '#sampleClass'), '7');
      expect(seen.at(-1)).to.deep.equal({ sampleClass: 7 });
      setValue($(el, '#guidance'), '2.5');
      expect(seen.at(-1)).to.deep.equal({ guidance: 2.5 });
      setValue($(el, '#sampleClass'), 'all');
      expect(seen.at(-1)).to.deep.equal({ sampleClass: undefined });

      // All classes in turn: image i of class i mod K, over the grid's count (≤ 64), guidance 1.
      const cell: ViewCell = { ...view, sampleCount: 12, sampleSeed: 2 };
      const all = imageSampleRequest(cell, image);
      expect(all.classes).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
      expect(all.guidance).to.equal(1);
      const big = imageSampleRequest({ ...cell, sampleCount: 1000 }, image).classes as number[];
      expect(big.length).to.equal(64);
      // One class for all, at the cell's guidance scale.
      expect(imageSampleRequest({ ...cell, sampleClass: 3, guidance: 2.5 }, image)).to.deep.include(
        { classes: 3, guidance: 2.5, seed: 2 },
      );
    }
    // The Data cell's class names label the choices.
    const named = await fixture<FfViewCell>(
      html`<ff-view-cell
        .cell=${view}
        .run=${runWith({ kind: 'flow-matching', options: { channels: 8, classes: 2 } })}
        .classNames=${['T-shirt/top', 'Trouser']}
      ></ff-view-cell>`,
    );
    const names = Array.from(
      ($(named, '#sampleClass') as unknown as HTMLSelectElement).options,
      (o) => o.textContent!.trim(),
    );
    expect(names).to.deep.equal(['All, in turn', 'T-shirt/top', 'Trouser']);
  });
});

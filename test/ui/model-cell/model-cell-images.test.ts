import { expect, fixture, html } from '@open-wc/testing';
import {
  IMAGE_TRAIN_DEFAULTS,
  createCell,
  defaultImageModel,
  type ImageShape,
  type ModelCell,
  type ModelSettings,
} from '../../../src/notebook';
import '../../../src/ui/model-cell/model-cell';
import type { FfModelCell } from '../../../src/ui/model-cell/model-cell';
import { imageModelSpec } from '../../../src/specs';
import { resolveNiceSpec } from '../../../src/models/image-flows/nice-spec';
import { resolveMultiscaleSpec } from '../../../src/models/image-flows/multiscale-spec';
import { resolveImageFlowMatchingSpec } from '../../../src/models/image-diffusion/fm-spec';
import { resolveImageDdpmSpec } from '../../../src/models/image-diffusion/ddpm-spec';
import type { ImageSpec } from '../../../src/specs';
import { $, patches, setValue } from '../support/helpers';

async function mount(cell: ModelCell, imageShape?: ImageShape): Promise<FfModelCell> {
  return fixture<FfModelCell>(
    html`<ff-model-cell .cell=${cell} .imageShape=${imageShape}></ff-model-cell>`,
  );
}

function withImage(image: ModelSettings['image']): ModelCell {
  const cell = createCell('model', 'm') as ModelCell;
  return { ...cell, model: { ...cell.model, image } };
}

const options = (el: FfModelCell) =>
  Array.from(($(el, '#kind') as unknown as HTMLSelectElement).options, (o) => o.value);
const has = (el: FfModelCell, selector: string) => el.shadowRoot!.querySelector(selector) !== null;

/** The library's own validation of any image spec (it throws a ModelSpecError when it refuses). */
function resolveImageSpec(spec: ImageSpec): { shape: readonly number[] } {
  if (spec.family === 'image-flow') {
    return spec.kind === 'nice' ? resolveNiceSpec(spec) : resolveMultiscaleSpec(spec);
  }
  return spec.kind === 'flow-matching'
    ? resolveImageFlowMatchingSpec(spec)
    : resolveImageDdpmSpec(spec);
}

describe('<ff-model-cell> on an image set', () => {
  it('offers the image kinds only over images, with defaults the library accepts', async () => {
    const plain = await mount(createCell('model', 'm') as ModelCell);
    expect(options(plain).some((v) => v.startsWith('image:'))).to.equal(false);

    const shape: ImageShape = [1, 28, 28];
    const el = await mount(createCell('model', 'm') as ModelCell, shape);
    expect(options(el).slice(0, 5)).to.deep.equal([
      'image:nice',
      'image:realnvp',
      'image:glow',
      'image:flow-matching',
      'image:ddpm',
    ]);
    const seen = patches(el);
    for (const kind of ['nice', 'realnvp', 'glow', 'flow-matching', 'ddpm'] as const) {
      setValue($(el, '#kind'), `image:${kind}`);
      const last = seen[seen.length - 1] as { model: ModelSettings; train: unknown };
      expect(last.model.image).to.deep.equal(defaultImageModel(kind, shape));
      // A 2-D cell becoming an image one starts from image-sized training settings.
      expect(last.train).to.deep.equal(IMAGE_TRAIN_DEFAULTS);
      // The lab itself accepts the spec the cell's choice makes, on the set's shape.
      const spec = imageModelSpec(last.model.image!, shape, last.model.seed);
      expect(resolveImageSpec(spec).shape).to.deep.equal([...shape]);
    }
  });

  it('an image model shows its kind’s options, each changing its setting; no 2-D controls', async () => {
    const el = await mount(withImage(defaultImageModel('nice', [1, 14, 14])), [1, 14, 14]);
    expect(($(el, '#kind') as unknown as HTMLSelectElement).value).to.equal('image:nice');
    expect(has(el, '#activation')).to.equal(false);
    const seen = patches(el);
    const cases: [string, string, unknown][] = [
      ['#layers', '6', 6],
      ['#hidden', '96', 96],
      ['#hiddenLayers', '3', 3],
      ['#prior', 'gaussian', 'gaussian'],
    ];
    for (const [selector, value, expected] of cases) {
      setValue($(el, selector), value);
      const last = seen[seen.length - 1] as { model: ModelSettings };
      expect(last.model.image!.options[selector.slice(1)], selector).to.equal(expected);
      expect(last.model.image!.kind).to.equal('nice');
    }
    setValue($(el, '#seed'), '9');
    expect((seen[seen.length - 1] as { model: ModelSettings }).model.seed).to.equal(9);
    // Out of range: shown, never clamped.
    setValue($(el, '#layers'), '40');
    expect(
      (seen[seen.length - 1] as { model: ModelSettings }).model.image!.options['layers'],
    ).to.equal(40);
  });

  it('on a labelled set, U-Net kinds can be class-conditional: classes = the set’s labels', async () => {
    for (const kind of ['flow-matching', 'ddpm'] as const) {
      const image = defaultImageModel(kind, [1, 14, 14]);
      const el = await fixture<FfModelCell>(
        html`<ff-model-cell
          .cell=${withImage(image)}
          .imageShape=${[1, 14, 14]}
          .imageClasses=${10}
        ></ff-model-cell>`,
      );
      const box = $(el, '#conditional');
      expect(box.checked).to.equal(false);
      expect(has(el, '#pUncond'), 'no null-class probability while unconditional').to.equal(false);
      const seen = patches(el);
      box.checked = true;
      box.dispatchEvent(new Event('change'));
      const on = (seen.at(-1) as { model: ModelSettings }).model.image!;
      expect(on.options).to.deep.equal({ ...image.options, classes: 10, pUncond: 0.1 });
      // The library takes the spec the switch makes, with the set's 10 classes.
      const spec = imageModelSpec(on, [1, 14, 14], 1);
      expect(resolveImageSpec(spec)).to.deep.include({ classes: 10, pUncond: 0.1 });

      const conditional = await fixture<FfModelCell>(
        html`<ff-model-cell
          .cell=${withImage(on)}
          .imageShape=${[1, 14, 14]}
          .imageClasses=${10}
        ></ff-model-cell>`,
      );
      const more = patches(conditional);
      setValue($(conditional, '#pUncond'), '0.2');
      expect((more.at(-1) as { model: ModelSettings }).model.image!.options['pUncond']).to.equal(
        0.2,
      );
      const off = $(conditional, '#conditional');
      off.checked = false;
      off.dispatchEvent(new Event('change'));
      expect((more.at(-1) as { model: ModelSettings }).model.image!.options).to.deep.equal(
        image.options,
      );
    }
    // No labels (or an image flow): no switch.
    const unlabelled = await mount(withImage(defaultImageModel('flow-matching', [1, 14, 14])));
    expect(has(unlabelled, '#conditional')).to.equal(false);
    const nice = await fixture<FfModelCell>(
      html`<ff-model-cell
        .cell=${withImage(defaultImageModel('nice', [1, 14, 14]))}
        .imageShape=${[1, 14, 14]}
        .imageClasses=${10}
      ></ff-model-cell>`,
    );
    expect(has(nice, '#conditional')).to.equal(false);
  });

  it('a 2-D kind chosen drops the image model; a misfit shape is explained', async () => {
    const el = await mount(withImage(defaultImageModel('flow-matching', [1, 14, 14])), [1, 7, 7]);
    expect($(el, '.image-problem').textContent).to.match(
      /height and width must be even; these images are 1×7×7/,
    );
    const seen = patches(el);
    setValue($(el, '#kind'), 'realnvp');
    const last = seen[seen.length - 1] as { model: ModelSettings };
    expect(last.model.kind).to.equal('realnvp');
    expect('image' in last.model).to.equal(false);
  });

  it('is accessible', async () => {
    const el = await mount(withImage(defaultImageModel('nice', [1, 14, 14])), [1, 14, 14]);
    await expect(el).to.be.accessible();
  });
});

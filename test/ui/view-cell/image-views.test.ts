/**
 * The View cell's image views (src/ui/view-cell/image-views.ts): which kinds offer which view,
 * the request sent to the worker, the table's picture against its values, the drawn view and
 * the notebook field's validation.
 */
import { expect, fixture, html } from '@open-wc/testing';
import {
  createCell,
  defaultImageModel,
  defaultNotebook,
  parseNotebook,
  IMAGE_MODEL_KINDS,
  type ImageModelSettings,
  type ModelCell,
  type ViewCell,
} from '../../../src/notebook';
import { IDLE_RUN, type RunView } from '../../../src/ui/controllers/lab-controller';
import type { ImageTable } from '../../../src/ui/controllers/lab-client';
import { imageSampleRequest } from '../../../src/ui/controllers/run-samples';
import { intensityByte } from '../../../src/ui/view-cell/image-samples';
import {
  imageViewRequest,
  imageViewsFor,
  tablePicture,
} from '../../../src/ui/view-cell/image-views';
import '../../../src/ui/view-cell/view-cell';
import type { FfViewCell } from '../../../src/ui/view-cell/view-cell';
import { $, patches, setValue } from '../support/helpers';

const view = createCell('view', 'v') as ViewCell;

function runWith(image: ImageModelSettings, extra: Partial<RunView> = {}): RunView {
  const model = (createCell('model', 'm') as ModelCell).model;
  return { ...IDLE_RUN, model: { ...model, image }, ...extra };
}

async function mount(cell: ViewCell, run: RunView): Promise<FfViewCell> {
  return fixture<FfViewCell>(html`<ff-view-cell .cell=${cell} .run=${run}></ff-view-cell>`);
}

/** A 2 × 3 table of 1×2×2 images whose values are all distinct. */
function table(): ImageTable {
  return {
    rows: 2,
    columns: 3,
    shape: [1, 2, 2],
    values: Float32Array.from({ length: 24 }, (_, i) => i / 23),
    columnLabels: ['x_T', 'step 1', 'x₀ (2)'],
  };
}

describe('<ff-view-cell> image views', () => {
  it('diffusion kinds offer the film strip, RealNVP and Glow the latents, every kind the grid', async () => {
    const expected: Record<string, string[]> = {
      nice: ['grid', 'interpolation', 'nearest'],
      realnvp: ['grid', 'interpolation', 'latents', 'nearest'],
      glow: ['grid', 'interpolation', 'latents', 'nearest'],
      'flow-matching': ['grid', 'film-strip', 'interpolation', 'nearest'],
      ddpm: ['grid', 'film-strip', 'nearest'],
    };
    for (const kind of IMAGE_MODEL_KINDS) {
      expect(imageViewsFor(kind), kind).to.deep.equal(expected[kind]);
      const el = await mount(view, runWith(defaultImageModel(kind, [1, 8, 8])));
      const options = Array.from(
        ($(el, '#imageView') as unknown as HTMLSelectElement).options,
        (o) => o.value,
      );
      expect(options, kind).to.deep.equal(imageViewsFor(kind));
    }
    const el = await mount(view, runWith(defaultImageModel('ddpm', [1, 8, 8])));
    const seen = patches(el);
    setValue($(el, '#imageView'), 'film-strip');
    expect(seen.at(-1)).to.deep.equal({ imageView: 'film-strip' });
  });

  it('asks for the film strip with the grid’s seed, sampler and steps; nothing for the grid', () => {
    const fm = defaultImageModel('flow-matching', [1, 8, 8]);
    const cell: ViewCell = {
      ...view,
      sampleSeed: 4,
      sampler: 'rk4',
      samplerSteps: 12,
      sampleCount: 16,
    };
    expect(imageViewRequest(cell, 'flow-matching', imageSampleRequest(cell, fm))).to.equal(
      undefined,
    );
    const strip = { ...cell, imageView: 'film-strip' as const };
    expect(imageViewRequest(strip, 'flow-matching', imageSampleRequest(strip, fm))).to.deep.equal({
      view: 'film-strip',
      count: 4,
      seed: 4,
      sampler: 'rk4',
      steps: 12,
      columns: 8,
    });
    // An image flow keeps the grid whatever the cell says (a notebook may carry the choice).
    const nice = defaultImageModel('nice', [1, 8, 8]);
    expect(imageViewRequest(strip, 'nice', imageSampleRequest(strip, nice))).to.equal(undefined);
    // The nearest images: the grid's request (an image flow's temperature too), 8 rows at most.
    const near = { ...cell, imageView: 'nearest' as const, temperature: 0.7 };
    expect(imageViewRequest(near, 'nice', imageSampleRequest(near, nice))).to.deep.equal({
      view: 'nearest',
      count: 8,
      seed: 4,
      temperature: 0.7,
    });
    const between = { ...cell, imageView: 'interpolation' as const };
    expect(
      imageViewRequest(between, 'flow-matching', imageSampleRequest(between, fm)),
    ).to.deep.equal({
      view: 'interpolation',
      count: 1,
      seed: 4,
      sampler: 'rk4',
      steps: 12,
      columns: 8,
    });
    // The per-scale latents: 4 training images picked by the seed; only for RealNVP and Glow.
    const latents = { ...cell, imageView: 'latents' as const };
    const glow = defaultImageModel('glow', [1, 8, 8]);
    expect(imageViewRequest(latents, 'glow', imageSampleRequest(latents, glow))).to.deep.equal({
      view: 'latents',
      count: 4,
      seed: 4,
    });
    expect(imageViewRequest(latents, 'nice', imageSampleRequest(latents, nice))).to.equal(
      undefined,
    );
    expect(imageViewRequest(latents, 'flow-matching', imageSampleRequest(latents, fm))).to.equal(
      undefined,
    );
    // A class-conditional model: the sampling views take the grid's first labels (all classes in
    // turn) or its one class, at the grid's guidance scale; the interpolation takes none.
    const conditional = { ...fm, options: { ...fm.options, classes: 10 } };
    const grid = imageSampleRequest({ ...strip, guidance: 2 }, conditional);
    expect(grid.classes).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5]);
    expect(imageViewRequest({ ...strip, guidance: 2 }, 'flow-matching', grid)).to.deep.include({
      count: 4,
      classes: [0, 1, 2, 3],
      guidance: 2,
    });
    const nearFm = { ...cell, imageView: 'nearest' as const, sampleClass: 7 };
    expect(
      imageViewRequest(nearFm, 'flow-matching', imageSampleRequest(nearFm, conditional)),
    ).to.deep.include({ count: 8, classes: 7, guidance: 1 });
    expect(
      imageViewRequest(between, 'flow-matching', imageSampleRequest(between, conditional)),
    ).to.not.have.any.keys('classes', 'guidance');
  });

  it("lays a table out row by row: every pixel is its image's value", () => {
    const t = table();
    const picture = tablePicture(t);
    expect([picture.width, picture.height]).to.deep.equal([3 * 3 + 1, 2 * 3 + 1]);
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < 2; y++) {
          for (let x = 0; x < 2; x++) {
            const at = ((r * 3 + 1 + y) * picture.width + c * 3 + 1 + x) * 4;
            const value = t.values[(r * 3 + c) * 4 + y * 2 + x]!;
            expect(picture.rgba[at], `(${r}, ${c}) pixel ${y},${x}`).to.equal(intensityByte(value));
          }
        }
      }
    }
    expect(picture.rgba[0], 'gap').to.equal(128);
  });

  it('lays out columns of their own shapes (the latents view): each pixel its value', () => {
    // Rows of a 1×2×2 image, a 1×1×4 and a 1×2×1 latent picture: 4 + 4 + 2 values a row.
    const shapes: [number, number, number][] = [
      [1, 2, 2],
      [1, 1, 4],
      [1, 2, 1],
    ];
    const t: ImageTable = {
      rows: 2,
      columns: 3,
      shape: [1, 2, 2],
      columnShapes: shapes,
      values: Float32Array.from({ length: 20 }, (_, i) => i / 19),
      columnLabels: ['image', 'scale 1: 4×1×1', 'scale 2 (last): 2×1×1'],
    };
    const picture = tablePicture(t);
    // Columns 2 + 4 + 1 pixels wide with 4 gaps; rows as tall as the tallest (2) with 3 gaps.
    expect([picture.width, picture.height]).to.deep.equal([2 + 4 + 1 + 4, 2 * 2 + 3]);
    const lefts = [1, 4, 9];
    let from = 0;
    for (let r = 0; r < 2; r++) {
      shapes.forEach(([, h, w], c) => {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const at = ((r * 3 + 1 + y) * picture.width + lefts[c]! + x) * 4;
            expect(picture.rgba[at], `(${r}, ${c}) pixel ${y},${x}`).to.equal(
              intensityByte(t.values[from + y * w + x]!),
            );
          }
        }
        from += h * w;
      });
    }
    // Below the 1-pixel-tall latent: the gap's grey.
    expect(picture.rgba[(2 * picture.width + 4) * 4]).to.equal(128);
  });

  it('shows the drawn film strip with its column captions, or why it could not be drawn', async () => {
    const ddpm = defaultImageModel('ddpm', [1, 8, 8]);
    const cell = { ...view, imageView: 'film-strip' as const };
    const drawn = await mount(cell, runWith(ddpm, { imageView: { table: table() } }));
    const img = drawn.shadowRoot!.querySelector('#image-view') as HTMLImageElement;
    expect(img).to.not.equal(null);
    expect(img.width).to.equal(40);
    expect(drawn.shadowRoot!.querySelector('#sample-grid:not(#image-view)')).to.equal(null);
    expect($(drawn, '#image-view-columns').textContent).to.contain('x_T · step 1 · x₀ (2)');
    expect(drawn.shadowRoot!.querySelector('#image-view-rows'), 'no row captions').to.equal(null);
    const near = await mount(
      { ...view, imageView: 'nearest' },
      runWith(ddpm, {
        imageView: { table: { ...table(), rowLabels: ['#3: L2 0.5', '#9: L2 1.25'] } },
      }),
    );
    expect($(near, '#image-view-rows').textContent).to.equal('#3: L2 0.5 · #9: L2 1.25');
    const failed = await mount(cell, runWith(ddpm, { imageView: { error: 'No strip here.' } }));
    expect(failed.shadowRoot!.querySelector('[role=alert]')!.textContent).to.equal(
      'No strip here.',
    );
  });

  it('the notebook keeps a view choice and refuses an unknown one', () => {
    const nb = defaultNotebook();
    const at = nb.cells.findIndex((c) => c.kind === 'view');
    const cells = nb.cells.map((c, i) => (i === at ? { ...c, imageView: 'film-strip' } : c));
    const parsed = parseNotebook(JSON.parse(JSON.stringify({ ...nb, cells })));
    expect((parsed.cells[at] as ViewCell).imageView).to.equal('film-strip');
    const bad = nb.cells.map((c, i) => (i === at ? { ...c, imageView: 'movie' } : c));
    expect(() => parseNotebook({ ...nb, cells: bad })).to.throw(/imageView/);
  });
});

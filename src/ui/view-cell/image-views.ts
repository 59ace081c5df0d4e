/**
 * The View cell's image views beyond the sample grid (issue #16): which views a model kind
 * offers, the request the worker draws each from (src/worker/image-views.ts, on the GPU), and
 * the returned table of images laid out as one picture (rows × columns, 1-pixel gaps, like the
 * grid). The film strip: rows of samples, columns x_T … x₀ at evenly spaced solver steps. The
 * nearest training image: rows of (sample, nearest training image), captioned index and L2.
 * The per-scale latents (RealNVP, Glow): rows of (training image, each scale's latent as grey).
 */
import { html, nothing } from 'lit';
import { type ImageModelKind, type ImageViewName, type ViewCell } from '../../notebook';
import type { ImageSampleRequest, ImageTable, ImageViewRequest } from '../controllers/lab-client';
import { selectField } from '../fields';
import { pngFromRgba, PictureUrls } from '../picture';
import { GAP, paintImage, type GridPicture } from './image-samples';

export const IMAGE_VIEW_NAMES: Record<ImageViewName, string> = {
  grid: 'Sample grid',
  'film-strip': 'Denoising film strip',
  nearest: 'Nearest training image',
  interpolation: 'Latent interpolation',
  latents: 'Per-scale latents',
};

const IMAGE_VIEW_TIP =
  'Sample grid: the model’s samples. Denoising film strip (flow matching, DDPM): a few samples ' +
  'from the noise x_T to the image x₀ at evenly spaced solver steps (image flows have none: ' +
  'they sample in one inverse pass). Nearest training image: each sample next to the training ' +
  'image closest to it (L2 over pixels, the whole training set searched on the GPU), with the ' +
  'distance: near-copies mean the model memorises. Latent interpolation (image flows, flow ' +
  'matching): two training images (picked by the seed) and the images along the straight line ' +
  'between their latents (flow matching: through the ODE, backwards then forwards). Per-scale ' +
  'latents (RealNVP, Glow): training images next to the latent z = f(x) that each scale ' +
  'factors out, its channels side by side, z clipped to [−3, 3] and shown black to white ' +
  '(mid grey: z = 0); structure left in a scale is what its Gaussian prior does not explain.';

/** Samples (rows) of a film strip, and its columns. */
export const STRIP_ROWS = 4;
export const STRIP_COLUMNS = 8;
/** Samples of the nearest-image view. */
export const NEAREST_ROWS = 8;
/** Training images of the per-scale latents view. */
export const LATENT_ROWS = 4;

/**
 * The views a kind offers: the grid and the nearest images always; the film strip for diffusion
 * models; the interpolation for image flows and flow matching (a DDPM's DDIM inversion: not yet);
 * the per-scale latents for the multi-scale flows (NICE's one latent has the image's shape).
 */
export function imageViewsFor(kind: ImageModelKind): readonly ImageViewName[] {
  if (kind === 'ddpm') return ['grid', 'film-strip', 'nearest'];
  if (kind === 'flow-matching') return ['grid', 'film-strip', 'interpolation', 'nearest'];
  if (kind === 'realnvp' || kind === 'glow') {
    return ['grid', 'interpolation', 'latents', 'nearest'];
  }
  return ['grid', 'interpolation', 'nearest'];
}

/** The view a cell shows for `kind`: its choice when offered, else the grid. */
export function effectiveImageView(
  cell: Pick<ViewCell, 'imageView'>,
  kind: ImageModelKind,
): ImageViewName {
  const choice = cell.imageView ?? 'grid';
  return imageViewsFor(kind).includes(choice) ? choice : 'grid';
}

/**
 * What the worker draws for a cell's image view (undefined: the grid, drawn by sampleImages),
 * with the grid's sampling settings `base` (seed, sampler, steps: run-samples' request). The
 * views that sample (nearest, film strip) draw a class-conditional model's samples as its grid
 * does: the labels of the grid's first images, at the grid's guidance scale; the interpolation
 * and the latents encode training images, with no class.
 */
export function imageViewRequest(
  cell: ViewCell,
  kind: ImageModelKind,
  base: ImageSampleRequest,
): ImageViewRequest | undefined {
  const view = effectiveImageView(cell, kind);
  if (view === 'grid') return undefined;
  const { seed, temperature, sampler, steps, classes, guidance } = base;
  const solver = {
    seed,
    ...(sampler ? { sampler } : {}),
    ...(steps !== undefined ? { steps } : {}),
  };
  const labelled = (count: number) =>
    classes === undefined
      ? {}
      : { classes: typeof classes === 'number' ? classes : classes.slice(0, count), guidance };
  if (view === 'latents') {
    return { view, count: Math.min(cell.sampleCount, LATENT_ROWS), seed };
  }
  if (view === 'interpolation') return { view, count: 1, ...solver, columns: STRIP_COLUMNS };
  if (view === 'nearest') {
    const count = Math.min(cell.sampleCount, NEAREST_ROWS);
    return {
      view,
      count,
      ...solver,
      ...(temperature !== undefined ? { temperature } : {}),
      ...labelled(count),
    };
  }
  const count = Math.min(cell.sampleCount, STRIP_ROWS);
  return { view: 'film-strip', count, ...solver, columns: STRIP_COLUMNS, ...labelled(count) };
}

/**
 * A table of images as RGBA bytes: rows × columns, 1-pixel gaps of mid grey. Columns of their
 * own shapes (columnShapes) are each as wide as their images, rows as tall as the tallest.
 */
export function tablePicture(table: ImageTable): GridPicture {
  const shapes = table.columnShapes ?? Array.from({ length: table.columns }, () => table.shape);
  const lefts: number[] = [];
  let width = 1;
  for (const [, , w] of shapes) {
    lefts.push(width);
    width += w + 1;
  }
  const rowHeight = Math.max(...shapes.map(([, h]) => h)) + 1;
  const picture = {
    width,
    height: table.rows * rowHeight + 1,
    columns: table.columns,
    rows: table.rows,
  };
  const rgba = new Uint8Array(picture.width * picture.height * 4).fill(GAP);
  let from = 0;
  for (let r = 0; r < table.rows; r++) {
    shapes.forEach((shape, c) => {
      paintImage(rgba, picture.width, lefts[c]!, r * rowHeight + 1, table.values, from, shape);
      from += shape[0] * shape[1] * shape[2];
    });
  }
  return { ...picture, rgba };
}

/** The view select (only where the kind offers more than the grid). */
export function imageViewSelect(
  cell: ViewCell,
  kind: ImageModelKind,
  onChange: (imageView: ImageViewName) => void,
) {
  const views = imageViewsFor(kind);
  return selectField<ImageViewName>({
    id: 'imageView',
    label: 'View',
    value: effectiveImageView(cell, kind),
    choices: views,
    names: IMAGE_VIEW_NAMES,
    tip: IMAGE_VIEW_TIP,
    onChange,
  });
}

/** The PNG of the latest table, made once per table (picture.ts: no 2-D canvas on the page). */
export class ImageViewPictures {
  private readonly urls = new PictureUrls(2);
  private latest: { table: ImageTable; url: string; picture: GridPicture } | undefined;

  of(table: ImageTable) {
    if (this.latest?.table !== table) {
      const picture = tablePicture(table);
      const url = this.urls.add(pngFromRgba(picture.rgba, picture.width, picture.height));
      this.latest = { table, url, picture };
    }
    return this.latest;
  }

  dispose(): void {
    this.urls.dispose();
    this.latest = undefined;
  }
}

/** A drawn image view (or why not): its picture (scaled 4×) and its captions. */
export function renderImageView(
  state: { table?: ImageTable; error?: string } | undefined,
  pictures: ImageViewPictures,
  view: ImageViewName,
) {
  if (state?.error) return html`<p class="hint" role="alert">${state.error}</p>`;
  const table = state?.table;
  if (!table) {
    return html`<p class="hint">
      Train the model above to see its ${IMAGE_VIEW_NAMES[view].toLowerCase()}.
    </p>`;
  }
  const { url, picture } = pictures.of(table);
  return html`<figure class="image-view">
    <img
      id="image-view"
      class="sample-grid"
      src=${url}
      width=${picture.width * 4}
      height=${picture.height * 4}
      alt=${`${IMAGE_VIEW_NAMES[view]}: ${table.rows} rows, columns ${table.columnLabels.join(', ')}`}
    />
    <figcaption class="hint" id="image-view-columns">
      ${table.columnLabels.join(' · ')}
      ${table.rowLabels ? html`<br /><span id="image-view-rows">${table.rowLabels.join(' · ')}</span>` : nothing}
    </figcaption>
  </figure>`;
}

/**
 * The View cell's image views beyond the sample grid (issue #16): which views a model kind
 * offers, the request the worker draws each from (src/worker/image-views.ts, on the GPU), and
 * the returned table of images laid out as one picture (rows × columns, 1-pixel gaps, like the
 * grid). The film strip: rows of samples, columns x_T … x₀ at evenly spaced solver steps. The
 * nearest training image: rows of (sample, nearest training image), captioned index and L2.
 */
import { html, nothing } from 'lit';
import { type ImageModelKind, type ImageViewName, type ViewCell } from '../../notebook';
import type { ImageSampleRequest, ImageTable, ImageViewRequest } from '../controllers/lab-client';
import { selectField } from '../fields';
import { pngFromRgba, PictureUrls } from '../picture';
import { intensityByte, type GridPicture } from './image-samples';

export const IMAGE_VIEW_NAMES: Record<ImageViewName, string> = {
  grid: 'Sample grid',
  'film-strip': 'Denoising film strip',
  nearest: 'Nearest training image',
  interpolation: 'Latent interpolation',
};

const IMAGE_VIEW_TIP =
  'Sample grid: the model’s samples. Denoising film strip (flow matching, DDPM): a few samples ' +
  'from the noise x_T to the image x₀ at evenly spaced solver steps (image flows have none: ' +
  'they sample in one inverse pass). Nearest training image: each sample next to the training ' +
  'image closest to it (L2 over pixels, the whole training set searched on the GPU), with the ' +
  'distance: near-copies mean the model memorises. Latent interpolation (image flows, flow ' +
  'matching): two training images (picked by the seed) and the images along the straight line ' +
  'between their latents (flow matching: through the ODE, backwards then forwards).';

/** Samples (rows) of a film strip, and its columns. */
export const STRIP_ROWS = 4;
export const STRIP_COLUMNS = 8;
/** Samples of the nearest-image view. */
export const NEAREST_ROWS = 8;

/**
 * The views a kind offers: the grid and the nearest images always; the film strip for diffusion
 * models; the interpolation for image flows and flow matching (a DDPM's DDIM inversion: not yet).
 */
export function imageViewsFor(kind: ImageModelKind): readonly ImageViewName[] {
  if (kind === 'ddpm') return ['grid', 'film-strip', 'nearest'];
  if (kind === 'flow-matching') return ['grid', 'film-strip', 'interpolation', 'nearest'];
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
 * with the grid's sampling settings `base` (seed, sampler, steps: run-samples' request).
 */
export function imageViewRequest(
  cell: ViewCell,
  kind: ImageModelKind,
  base: ImageSampleRequest,
): ImageViewRequest | undefined {
  const view = effectiveImageView(cell, kind);
  if (view === 'grid') return undefined;
  if (view === 'nearest') {
    return { view, count: Math.min(cell.sampleCount, NEAREST_ROWS), ...base };
  }
  if (view === 'interpolation') {
    const { seed, sampler, steps } = base;
    return {
      view,
      count: 1,
      seed,
      ...(sampler ? { sampler } : {}),
      ...(steps !== undefined ? { steps } : {}),
      columns: STRIP_COLUMNS,
    };
  }
  const { seed, sampler, steps } = base;
  return {
    view: 'film-strip',
    count: Math.min(cell.sampleCount, STRIP_ROWS),
    seed,
    ...(sampler ? { sampler } : {}),
    ...(steps !== undefined ? { steps } : {}),
    columns: STRIP_COLUMNS,
  };
}

/** A table of images as RGBA bytes: rows × columns, 1-pixel gaps of mid grey. */
export function tablePicture(table: ImageTable): GridPicture {
  const [channels, height, width] = table.shape;
  const picture = {
    width: table.columns * (width + 1) + 1,
    height: table.rows * (height + 1) + 1,
    columns: table.columns,
    rows: table.rows,
  };
  const rgba = new Uint8Array(picture.width * picture.height * 4).fill(128);
  const plane = height * width;
  for (let n = 0; n < table.rows * table.columns; n++) {
    const left = (n % table.columns) * (width + 1) + 1;
    const top = Math.floor(n / table.columns) * (height + 1) + 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const at = ((top + y) * picture.width + left + x) * 4;
        for (let c = 0; c < 3; c++) {
          const channel = Math.min(c, channels - 1);
          rgba[at + c] = intensityByte(
            table.values[(n * channels + channel) * plane + y * width + x]!,
          );
        }
        rgba[at + 3] = 255;
      }
    }
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

/**
 * The View cell's image views beyond the sample grid (issue #16): each drawn on the GPU through
 * the lab model and returned as an ImageTable (rows × columns of images, with labels) that the
 * page lays out as one picture. The film strip: a diffusion model's x_T → x₀ (rows: samples,
 * columns: evenly spaced solver steps). Image flows have no film strip: their sampler is one
 * inverse pass (the view says so).
 */
import type { LabImageDiffusionModel } from '../lab/image-diffusion';
import type { ImageTable, ImageViewRequest, LabApi } from './api';
import { transferred } from './arrays';
import { WorkerImageModel } from './image-models';
import type { LabSession } from './session';

/** Most rows of a film strip (samples). */
export const MAX_STRIP_ROWS = 8;

type ImageViewMethods = Pick<LabApi, 'imageView'>;

export function imageViewMethods(session: LabSession): ImageViewMethods {
  return {
    async imageView(modelId, request) {
      await session.ready();
      const model = session.models.get(modelId).model;
      if (!(model instanceof WorkerImageModel)) {
        throw new TypeError(
          `${modelId} is a 2-D model; the image views (${request.view}) need an image model.`,
        );
      }
      const table = await filmStrip(model, request);
      return { ...table, values: transferred(table.values) };
    },
  };
}

async function filmStrip(model: WorkerImageModel, request: ImageViewRequest): Promise<ImageTable> {
  if (model.imageSpec.family !== 'image-diffusion') {
    throw new TypeError(
      `An image flow (${model.imageSpec.kind}) samples in one inverse pass from z: it has no ` +
        'denoising film strip. Choose the sample grid, or a flow-matching or DDPM model.',
    );
  }
  const rows = request.count;
  if (!Number.isInteger(rows) || rows < 1 || rows > MAX_STRIP_ROWS) {
    throw new RangeError(`A film strip shows 1 to ${MAX_STRIP_ROWS} samples, got ${String(rows)}.`);
  }
  const { seed, sampler, steps, columns } = request;
  const strip = await (model.image as LabImageDiffusionModel).filmStrip(rows, {
    seed,
    sampler,
    ...(sampler === 'ddpm' ? {} : { steps }),
    ...(columns !== undefined ? { columns } : {}),
  });
  return {
    rows,
    columns: strip.columns.length,
    shape: [...model.shape],
    values: strip.images,
    columnLabels: strip.columns.map((k) =>
      k === 0 ? 'x_T' : k === strip.total ? `x₀ (${k})` : `step ${k}`,
    ),
  };
}

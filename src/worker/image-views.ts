/**
 * The View cell's image views beyond the sample grid (issue #16): each drawn on the GPU through
 * the lab model and returned as an ImageTable (rows × columns of images, with labels) that the
 * page lays out as one picture. The film strip: a diffusion model's x_T → x₀ (rows: samples,
 * columns: evenly spaced solver steps). Image flows have no film strip: their sampler is one
 * inverse pass (the view says so). The nearest training image: samples (rows) next to the
 * training image nearest in L2 over intensities (NearestImageSearch, the whole set on the GPU,
 * uploaded once per set and kept until the set is reopened), captioned with index and distance.
 * The interpolation: one row of images along the latent path between two training images
 * (picked by the seed), ends included. The per-scale latents (RealNVP, Glow): training images
 * (rows) next to each scale's factored-out latent z = f(x) as a grey picture (latentGrey).
 */
import type { LabImageDiffusionModel } from '../lab/image-diffusion';
import { binCentres, type LabImageModel } from '../lab/image-models';
import type { ImageDataset } from '../lab/lab';
import { NearestImageSearch } from '../lab/image-nearest';
import { interpolateImages } from '../lab/image-interpolation';
import type { ImageTable, ImageViewRequest, LabApi } from './api';
import { transferred } from './arrays';
import { WorkerImageModel } from './image-models';
import { liveImageSet } from './image-sets';
import type { LabSession } from './session';

/** Most rows of a film strip or of a nearest-image table (samples). */
export const MAX_STRIP_ROWS = 8;

/** A latent's values beyond ±LATENT_CLIP show as black or white (latentGrey). */
export const LATENT_CLIP = 3;

/**
 * The grey of a latent value in the latents view: z clipped to [−3, 3], mapped linearly to
 * [0, 1] (0: black at z ≤ −3, ½: mid grey at z = 0, 1: white at z ≥ 3; a unit Gaussian's values
 * fall inside 99.7% of the time).
 */
export function latentGrey(z: number): number {
  return (Math.min(LATENT_CLIP, Math.max(-LATENT_CLIP, z)) + LATENT_CLIP) / (2 * LATENT_CLIP);
}

type ImageViewMethods = Pick<LabApi, 'imageView'>;

export function imageViewMethods(session: LabSession): ImageViewMethods {
  /** One search per training set, for the dataset object it was made from (a reopened set: anew). */
  const searches = new Map<
    string,
    { dataset: ImageDataset; search: Promise<NearestImageSearch> }
  >();
  const searchOf = async (dataset: ImageDataset, id: string): Promise<NearestImageSearch> => {
    // Searches of sets disposed since free their pixels.
    for (const [key, entry] of searches) {
      if (entry.dataset.isDisposed) {
        searches.delete(key);
        void entry.search.then(
          (s) => s.dispose(),
          () => undefined,
        );
      }
    }
    const held = searches.get(id);
    if (held?.dataset === dataset && !dataset.isDisposed) return held.search;
    if (held)
      void held.search.then(
        (s) => s.dispose(),
        () => undefined,
      );
    const { lab } = await session.ready();
    const search = dataset.load().then((set) => NearestImageSearch.create(lab.runtime, set));
    searches.set(id, { dataset, search });
    return search;
  };

  const trainingSet = (request: ImageViewRequest) => {
    if (!request.set) {
      throw new TypeError(
        `The ${request.view} view reads the run’s training set: pass its image set id as \`set\`.`,
      );
    }
    return liveImageSet(session, request.set);
  };

  async function interpolation(
    model: WorkerImageModel,
    request: ImageViewRequest,
  ): Promise<ImageTable> {
    const dataset = await trainingSet(request);
    const set = await dataset.load();
    const dims = set.channels * set.height * set.width;
    const seed = request.seed ?? 0;
    const first = seed % set.count;
    const second = (first + Math.max(1, Math.floor(set.count / 2))) % set.count;
    const image = (i: number) => binCentres(set.pixels.subarray(i * dims, (i + 1) * dims));
    const frames = request.columns ?? 8;
    const { sampler, steps } = request;
    const values = await interpolateImages(model.image, image(first), image(second), {
      frames,
      ...(sampler ? { sampler } : {}),
      ...(steps !== undefined ? { steps } : {}),
    });
    return {
      rows: 1,
      columns: frames,
      shape: [...model.shape],
      values,
      columnLabels: Array.from({ length: frames }, (_, f) =>
        f === 0
          ? `#${first}`
          : f === frames - 1
            ? `#${second}`
            : `${(f / (frames - 1)).toFixed(2)}`,
      ),
    };
  }

  /**
   * Rows: training images picked by the seed (#seed mod N, then every ⌊N/rows⌋th); columns: the
   * image, then each scale's latent of z = f(x) (forward's order, latentShapes) as one grey
   * picture [1, H, C·W]: its C channels side by side, each H×W, values through latentGrey.
   */
  async function latents(model: WorkerImageModel, request: ImageViewRequest): Promise<ImageTable> {
    const spec = model.imageSpec;
    if (spec.family !== 'image-flow' || (spec.kind !== 'realnvp' && spec.kind !== 'glow')) {
      throw new TypeError(
        spec.kind === 'nice'
          ? 'NICE has a single latent of the image’s shape (no scales): the per-scale latents ' +
              'view needs a RealNVP or Glow model.'
          : `A ${spec.kind} model’s latent is the noise x_T, of the image’s shape (no scales): ` +
              'the per-scale latents view needs a RealNVP or Glow model.',
      );
    }
    const rows = checkRows(request.count, 'A latents table');
    const dataset = await trainingSet(request);
    const set = await dataset.load();
    const dims = set.channels * set.height * set.width;
    const seed = request.seed ?? 0;
    const stride = Math.max(1, Math.floor(set.count / rows));
    const picked = Array.from({ length: rows }, (_, r) => (seed + r * stride) % set.count);
    const images = new Float32Array(rows * dims);
    picked.forEach((i, r) =>
      images.set(binCentres(set.pixels.subarray(i * dims, (i + 1) * dims)), r * dims),
    );
    const flow = model.image as LabImageModel;
    const z = await flow.forward(images);
    const shapes = flow.latentShapes;
    const columnShapes: [number, number, number][] = [
      [...model.shape],
      ...shapes.map(([c, h, w]) => [1, h, c * w] as [number, number, number]),
    ];
    const values = new Float32Array(rows * 2 * dims);
    let at = 0;
    for (let r = 0; r < rows; r++) {
      values.set(images.subarray(r * dims, (r + 1) * dims), at);
      at += dims;
      let from = r * dims;
      for (const [c, h, w] of shapes) {
        // Channel k's (y, x) goes to the picture's (y, k·w + x).
        for (let k = 0; k < c; k++) {
          for (let y = 0; y < h; y++) {
            for (let x = 0; x < w; x++) {
              values[at + y * c * w + k * w + x] = latentGrey(z[from + (k * h + y) * w + x]!);
            }
          }
        }
        at += c * h * w;
        from += c * h * w;
      }
    }
    return {
      rows,
      columns: columnShapes.length,
      shape: [...model.shape],
      columnShapes,
      values,
      columnLabels: [
        'image',
        ...shapes.map(
          ([c, h, w], s) =>
            `scale ${s + 1}${s === shapes.length - 1 ? ' (last)' : ''}: ${c}×${h}×${w}`,
        ),
      ],
      rowLabels: picked.map((i) => `#${i}`),
    };
  }

  async function nearest(model: WorkerImageModel, request: ImageViewRequest): Promise<ImageTable> {
    const rows = checkRows(request.count, 'A nearest-image table');
    const dataset = await trainingSet(request);
    const search = await searchOf(dataset, request.set!);
    const { seed, temperature, sampler, steps } = request;
    const samples = await model.sample(rows, {
      seed,
      temperature,
      sampler,
      ...(sampler === 'ddpm' ? {} : { steps }),
      ...labels(request),
    });
    const found = await search.search(samples);
    const set = await dataset.load();
    const dims = search.dims;
    const values = new Float32Array(rows * 2 * dims);
    for (let r = 0; r < rows; r++) {
      values.set(samples.subarray(r * dims, (r + 1) * dims), 2 * r * dims);
      const from = found.index[r]! * dims;
      values.set(binCentres(set.pixels.subarray(from, from + dims)), (2 * r + 1) * dims);
    }
    return {
      rows,
      columns: 2,
      shape: [...model.shape],
      values,
      columnLabels: ['sample', 'nearest training image'],
      rowLabels: Array.from(
        found.index,
        (index, r) => `#${index}: L2 ${found.distance[r]!.toFixed(3)}`,
      ),
    };
  }

  return {
    async imageView(modelId, request) {
      await session.ready();
      const model = session.models.get(modelId).model;
      if (!(model instanceof WorkerImageModel)) {
        throw new TypeError(
          `${modelId} is a 2-D model; the image views (${request.view}) need an image model.`,
        );
      }
      const table =
        request.view === 'nearest'
          ? await nearest(model, request)
          : request.view === 'interpolation'
            ? await interpolation(model, request)
            : request.view === 'latents'
              ? await latents(model, request)
              : await filmStrip(model, request);
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
  const rows = checkRows(request.count, 'A film strip');
  const { seed, sampler, steps, columns } = request;
  const strip = await (model.image as LabImageDiffusionModel).filmStrip(rows, {
    seed,
    sampler,
    ...(sampler === 'ddpm' ? {} : { steps }),
    ...(columns !== undefined ? { columns } : {}),
    ...labels(request),
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

/** A class-conditional model's labels and guidance scale of a request (nothing: unconditional). */
function labels({ classes, guidance }: ImageViewRequest) {
  return {
    ...(classes === undefined ? {} : { classes }),
    ...(guidance === undefined ? {} : { guidance }),
  };
}

function checkRows(rows: number, what: string): number {
  if (!Number.isInteger(rows) || rows < 1 || rows > MAX_STRIP_ROWS) {
    throw new RangeError(`${what} shows 1 to ${MAX_STRIP_ROWS} samples, got ${String(rows)}.`);
  }
  return rows;
}

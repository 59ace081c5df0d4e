/**
 * A notebook's plain settings as the lab's specs (datasets, models, runs): pure TypeScript, no
 * GPU code. The page's worker client and the gallery's pretraining use the same mappings, so
 * shipped weights fit the models the app builds; the Data cell parses pasted points with the
 * same parser the worker's dataset spec is made from.
 */
import {
  IMAGE_MODEL_KINDS_INFO,
  imagesNotTrainable,
  type DataSource,
  type ImageModelSettings,
  type ImageSource,
  type ImageShape,
  type ModelSettings,
  type TrainSettings,
} from '../notebook';
import type { ImageModelSpec } from '../lab/image-models';
import type { ImageDiffusionSpec } from '../lab/image-diffusion';
import type { DatasetSpec } from '../data/spec';
import type { ImageDatasetSpec } from '../data/images/image-dataset';
import { parsePoints } from '../data/points';
import type { ModelSpec } from '../lab/models';
import type { RunOptions } from '../worker/api';

export { parsePoints };

/** Drawn grids cover this square of data space. */
export const GRID_BOUNDS = [-4, -4, 4, 4] as const;

/** The pixels of a user's image set, as the worker's image-set spec carries them. */
export type ImageSetPixels = Extract<ImageDatasetSpec, { images: unknown }>['images'];

/**
 * The worker's image-set spec of an image source (the app's client and the gallery's
 * pretraining); a user's set needs its pixels.
 */
export function imageSetSpec(
  source: ImageSource,
  pixels: ImageSetPixels | undefined,
): ImageDatasetSpec {
  if (source.kind === 'images') {
    return {
      name: source.name,
      size: source.size,
      ...(source.classes ? { classes: [...source.classes] } : {}),
      ...(source.split ? { split: source.split } : {}),
      seed: source.seed,
    };
  }
  if (!pixels) throw new Error(`The pixels of “${source.label}” are not loaded.`);
  return { images: pixels, seed: source.seed };
}

/** The worker's dataset spec for a Data cell's source (the gallery's pretraining uses it too). */
export function datasetSpec(source: DataSource): DatasetSpec {
  switch (source.kind) {
    case 'builtin':
      return { name: source.name, seed: source.seed };
    case 'points':
      return { points: parsePoints(source.text), jitter: source.jitter, seed: source.seed };
    case 'grid':
      return {
        grid: {
          width: source.width,
          height: source.height,
          weights: source.weights,
          bounds: [...GRID_BOUNDS],
        },
        seed: source.seed,
      };
    case 'images':
    case 'image-files':
      // Image sets open through openImageSet (image-set-client.ts); no 2-D model learns them.
      throw new Error(imagesNotTrainable(source));
  }
}

/**
 * The worker's model spec for a Model cell's settings. Diffusion models take the cell's hidden
 * layers as their depth (`layers` counts a flow's couplings); flow matching has no noise
 * schedule, T or prediction target, so those are left out (the library refuses them).
 */
export function modelSpec(model: ModelSettings): ModelSpec {
  if (model.family === 'flow') {
    return {
      family: 'flow',
      kind: model.kind as 'nice' | 'realnvp' | 'glow' | 'spline',
      layers: model.layers,
      hidden: model.hidden,
      hiddenLayers: model.hiddenLayers,
      activation: model.activation,
      seed: model.seed,
    };
  }
  const common = {
    family: 'diffusion' as const,
    hidden: model.hidden,
    layers: model.hiddenLayers,
    activation: model.activation,
    seed: model.seed,
  };
  if (model.kind === 'flow-matching') {
    // 'independent' is the library's default: left out, so older notebooks make the same spec.
    const pairing = model.pairing ?? 'independent';
    return {
      ...common,
      kind: 'flow-matching',
      ...(pairing === 'independent' ? {} : { pairing }),
    };
  }
  return {
    ...common,
    kind: 'ddpm',
    schedule: model.noiseSchedule,
    timesteps: model.timesteps,
    prediction: model.prediction,
  };
}

/** The lab spec of any image model: every image kind's spec is its options, shape and seed. */
export type ImageSpec = ImageModelSpec | ImageDiffusionSpec;

/**
 * The lab's spec for a Model cell's image model on images of `shape` (the Data cell's): the
 * kind's family, the options as they are (IMAGE_MODEL_KINDS_INFO names them as the lab does)
 * and the cell's seed.
 */
export function imageModelSpec(
  image: ImageModelSettings,
  shape: ImageShape,
  seed: number,
): ImageSpec {
  const { family } = IMAGE_MODEL_KINDS_INFO[image.kind];
  return {
    ...image.options,
    family,
    kind: image.kind,
    shape: [shape[0], shape[1], shape[2]],
    seed,
  } as ImageSpec;
}

/** The worker's run options for a Model cell's training settings. */
export function runOptions(train: TrainSettings): RunOptions {
  return {
    steps: train.steps,
    batch: train.batch,
    optimizer: {
      kind: train.optimizer,
      lr: train.learningRate,
      ...(train.schedule === 'cosine'
        ? { schedule: { kind: 'cosine' as const, totalSteps: train.steps } }
        : {}),
    },
  };
}

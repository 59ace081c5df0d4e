/**
 * A notebook's plain settings as the worker's specs (datasets, models, runs). The pretrain page
 * uses these to train gallery notebooks through the same LabApi the app uses; flows map exactly
 * as the app's worker client maps them, diffusion models take the Model cell's hidden layers as
 * the denoiser's depth.
 */
import type { DataSource, ModelSettings, TrainSettings } from '../notebook';
import type { DatasetSpec } from '../data/spec';
import type { ModelSpec } from '../lab/models';
import type { RunOptions } from '../worker/api';
import { parsePoints } from '../data/points';

/** Drawn grids cover this square of data space (the app's GRID_BOUNDS). */
const GRID_BOUNDS = [-4, -4, 4, 4] as const;

export function datasetSpecOf(source: DataSource): DatasetSpec {
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
  }
}

export function modelSpecOf(model: ModelSettings): ModelSpec {
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
  // Flow matching has no noise schedule, T or prediction target (the spec refuses them).
  if (model.kind === 'flow-matching') return { ...common, kind: 'flow-matching' };
  return {
    ...common,
    kind: 'ddpm',
    schedule: model.noiseSchedule,
    timesteps: model.timesteps,
    prediction: model.prediction,
  };
}

export function runOptionsOf(train: TrainSettings): RunOptions {
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

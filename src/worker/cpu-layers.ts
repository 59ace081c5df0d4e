/**
 * What each layer of a view without WebGPU shows, computed by the CPU lab: samples of a model or
 * a dataset, log p on a grid, a warp grid's stages, sample paths and field arrows — the same
 * data as view-sources.ts makes on the GPU, as CPU arrays for render/canvas2d.ts.
 */
import { CPU_DIFFUSION_DENSITY, type CpuDataset, type CpuLabModel } from '../lab/cpu-lab';
import {
  arrowData,
  arrowGrid,
  gridCentres,
  heatmapGrid,
  heatmapRange2d,
  warpGridPoints,
  type Bounds,
  type HeatmapLegend,
  type Layer2d,
  type WarpGeometry,
} from '../render';
import type { DatasetId, FieldLegend, ModelId, SampleOptions, ViewLayer } from './api';
import { samplerOptions } from './sampler-options';

const MAX_TRAJECTORY_FRAMES = 64;
export const MAX_PATHS = 65536;
export { CPU_DIFFUSION_DENSITY };

/** What a CPU view reads: the worker's models (with a version that grows on imports) and data. */
export interface CpuViewSources {
  model(id: ModelId): { model: CpuLabModel; version: number };
  /** n samples of a model (the service reuses the page's: the same seed draws the same points). */
  sample(id: ModelId, n: number, options: SampleOptions & { seed?: number }): Float32Array;
  dataset(id: DatasetId): CpuDataset;
}

export type Prepared =
  | { kind: 'points'; points: Float32Array; nfe: number | null }
  | { kind: 'heatmap'; layer: Extract<Layer2d, { kind: 'heatmap' }>; legend: HeatmapLegend | null }
  | { kind: 'warp'; stages: Float32Array[]; geometry: WarpGeometry }
  | { kind: 'trajectories'; frames: Float32Array[]; times: number[]; nfe: number | null }
  | { kind: 'field'; arrows: Float32Array; lengthScale: number; legend: FieldLegend };

export function prepareLayer(sources: CpuViewSources, layer: ViewLayer, visible: Bounds): Prepared {
  switch (layer.kind) {
    case 'points': {
      const seed = layer.seed ?? 0;
      if ('dataset' in layer.source) {
        const points = sources.dataset(layer.source.dataset).sample(layer.count, { seed });
        return { kind: 'points', points, nfe: null };
      }
      const id = layer.source.model;
      const model = sources.model(id).model;
      const options = samplerOptions(model, layer.sample, seed, 'points.sample');
      const points = sources.sample(id, layer.count, options);
      return { kind: 'points', points, nfe: model.planSampling(options).nfe };
    }
    case 'heatmap': {
      const model = 'model' in layer.source ? sources.model(layer.source.model).model : undefined;
      const density = model?.heatmap(layer.resolution ?? 128);
      const grid = heatmapGrid(visible, density?.resolution ?? layer.resolution ?? 128);
      const centres = gridCentres(grid);
      const values = density
        ? density.logProb(centres)
        : sources.dataset((layer.source as { dataset: DatasetId }).dataset).logProb(centres);
      const colormap = layer.colormap ?? 'viridis';
      const legend = heatmapRange2d(values, layer.clipNats ?? 10, colormap);
      return {
        kind: 'heatmap',
        layer: { kind: 'heatmap', grid, values, range: legend, colormap },
        legend,
      };
    }
    case 'warp': {
      const bounds = layer.bounds ?? (layer.direction === 'inverse' ? [-3, -3, 3, 3] : visible);
      const { points, geometry } = warpGridPoints(
        bounds,
        layer.lines ?? 17,
        layer.pointsPerLine ?? 64,
      );
      const stages = sources.model(layer.model).model.warpStages(points, layer.direction);
      return { kind: 'warp', stages, geometry };
    }
    case 'trajectories': {
      const model = sources.model(layer.model).model;
      const options = samplerOptions(model, layer.sample, layer.seed ?? 0, 'trajectories.sample');
      // The same sampler, seed and noise as a points layer: the paths end at its samples.
      const paths = model.paths(layer.count, { ...options, maxFrames: MAX_TRAJECTORY_FRAMES });
      return { kind: 'trajectories', ...paths };
    }
    case 'field': {
      const model = diffusionModel(sources.model(layer.model).model, layer.model);
      const grid = arrowGrid(visible, layer.resolution);
      const { velocity } = model.field(grid.points, layer.t);
      const { arrows, maxMagnitude, lengthScale } = arrowData(
        grid,
        velocity.map((v) => -v),
      );
      return {
        kind: 'field',
        arrows,
        lengthScale,
        legend: {
          quantity: model.capabilities.field!,
          maxMagnitude,
          maxArrowPx: 0,
        },
      };
    }
  }
}

/** A model with a field (diffusion / flow matching) for a field layer, or a readable error. */
export function diffusionModel(model: CpuLabModel, id: ModelId): CpuLabModel {
  if (model.capabilities.field === null) {
    throw new TypeError(
      `The field view shows the velocity of a diffusion or flow-matching model; ${id} is a ` +
        'flow. Use a warp or trajectories layer instead.',
    );
  }
  return model;
}

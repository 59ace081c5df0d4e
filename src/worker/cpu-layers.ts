/**
 * What each layer of a view without WebGPU shows, computed by the CPU lab: samples of a model or
 * a dataset, log p on a grid, a warp grid's stages, sample paths and field arrows — the same
 * data as view-sources.ts makes on the GPU, as CPU arrays for render/canvas2d.ts.
 */
import { CpuDiffusionModel, type CpuDataset, type CpuLabModel } from '../lab/cpu-lab';
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

/** ODE steps of a diffusion warp layer, as on the GPU (view-sources.ts). */
const ODE_WARP_STEPS = 24;
const MAX_TRAJECTORY_FRAMES = 64;
export const MAX_PATHS = 65536;
/**
 * A diffusion model's density needs the ODE with its exact divergence at every cell: on the CPU
 * it is drawn on a coarser grid with fewer RK4 steps (the GPU: 50) to stay within seconds.
 */
export const CPU_DIFFUSION_DENSITY = { maxResolution: 48, steps: 10 } as const;

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
      if (model instanceof CpuDiffusionModel) {
        const options = sampler(model, layer.sample, seed, 'points.sample');
        const points = sources.sample(id, layer.count, options);
        return { kind: 'points', points, nfe: model.samplePlan(options).nfe };
      }
      return {
        kind: 'points',
        points: sources.sample(id, layer.count, { seed }),
        nfe: null,
      };
    }
    case 'heatmap': {
      let resolution = layer.resolution ?? 128;
      const model = 'model' in layer.source ? sources.model(layer.source.model).model : undefined;
      const diffusion = model instanceof CpuDiffusionModel;
      if (diffusion) resolution = Math.min(resolution, CPU_DIFFUSION_DENSITY.maxResolution);
      const grid = heatmapGrid(visible, resolution);
      const centres = gridCentres(grid);
      const values = model
        ? diffusion
          ? model.logProb(centres, { steps: CPU_DIFFUSION_DENSITY.steps })
          : model.logProb(centres)
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
      const model = sources.model(layer.model).model;
      const stages =
        model instanceof CpuDiffusionModel
          ? model.trajectories(points, { steps: ODE_WARP_STEPS, every: 1 }).frames
          : model.trace(points, layer.direction);
      return { kind: 'warp', stages, geometry };
    }
    case 'trajectories': {
      const seed = layer.seed ?? 0;
      const model = sources.model(layer.model).model;
      if (model instanceof CpuDiffusionModel) {
        const options = sampler(model, layer.sample, seed, 'trajectories.sample');
        const plan = model.samplePlan(options);
        const steps = plan.stages.filter((stage) => stage.last).length;
        const every = Math.max(1, Math.ceil(steps / (MAX_TRAJECTORY_FRAMES - 1)));
        // The same sampler, seed and noise as a points layer: the paths end at its samples.
        const paths = model.trajectories(layer.count, { ...options, every });
        return { kind: 'trajectories', ...paths, nfe: plan.nfe };
      }
      // A flow's generating paths: its samples traced forward, reversed.
      const frames = model.trace(model.sample(layer.count, { seed }), 'forward').reverse();
      const times = frames.map((_, i) => 1 - i / Math.max(1, frames.length - 1));
      return { kind: 'trajectories', frames, times, nfe: null };
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
          quantity: model.spec.kind === 'flow-matching' ? 'velocity' : 'pf-drift',
          maxMagnitude,
          maxArrowPx: 0,
        },
      };
    }
  }
}

export function sampler(
  model: CpuDiffusionModel,
  sample: SampleOptions | undefined,
  seed: number,
  what: string,
) {
  const options = {
    seed,
    ...(sample?.sampler !== undefined ? { sampler: sample.sampler as 'ddim' } : {}),
    ...(sample?.steps !== undefined ? { steps: sample.steps } : {}),
    ...(sample?.eta !== undefined ? { eta: sample.eta } : {}),
  };
  try {
    model.samplePlan(options);
  } catch (error) {
    throw new RangeError(`${what}: ${(error as Error).message}`, { cause: error });
  }
  return options;
}

export function diffusionModel(model: CpuLabModel, id: ModelId): CpuDiffusionModel {
  if (!(model instanceof CpuDiffusionModel)) {
    throw new TypeError(
      `The field view shows the velocity of a diffusion or flow-matching model; ${id} is a ` +
        'flow. Use a warp or trajectories layer instead.',
    );
  }
  return model;
}

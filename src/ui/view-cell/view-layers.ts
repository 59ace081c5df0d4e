/**
 * What a View cell asks the GPU side to draw, in order from back to front: the density heatmap,
 * the warp grid, data points, model samples, trajectories and the field's arrows. Pure: the
 * cell's settings, the model's kind and what exists on the GPU side in, layer requests out.
 */
import type { DataSource, ModelKind, ViewCell, ViewOverlay } from '../../notebook';
import type { Rgb, SamplerChoice, ViewLayerRequest } from '../controllers/lab-client';
import { samplerChoice } from './samplers';

/** Okabe–Ito blue and vermilion (as in the page-side scatter), plus yellow for paths. */
export const LAYER_COLORS: Record<'data' | 'samples' | 'paths' | 'field', Rgb> = {
  data: [0, 0.447, 0.698],
  samples: [0.835, 0.369, 0],
  paths: [0.941, 0.894, 0.259],
  field: [0.95, 0.95, 0.95],
};

/** Paths are drawn for at most this many samples (each is a polyline of every step). */
export const MAX_PATHS = 256;
export const FIELD_ARROWS = 24;

/**
 * Whether the data has a closed-form density the GPU side can draw before a model exists
 * (the library's built-ins with exact log p, and drawn or uploaded grids).
 */
export function hasExactDensity(data: DataSource | undefined): boolean {
  if (!data) return false;
  if (data.kind === 'grid') return true;
  return data.kind === 'builtin' && EXACT_DENSITIES.has(data.name);
}
const EXACT_DENSITIES: ReadonlySet<string> = new Set([
  'gaussian',
  '8gaussians',
  '25gaussians',
  'checkerboard',
]);

/** Overlays a model kind can draw (flows have no time, so no velocity field). */
export function overlaysFor(kind: ModelKind | undefined): readonly ViewOverlay[] {
  if (kind === 'ddpm' || kind === 'flow-matching') {
    return ['none', 'density', 'warp', 'trajectories', 'field'];
  }
  return ['none', 'density', 'warp', 'trajectories'];
}

/** The overlay drawn: the cell's when the model offers it, else none. */
export function effectiveOverlay(cell: ViewCell, kind: ModelKind | undefined): ViewOverlay {
  return overlaysFor(kind).includes(cell.overlay) ? cell.overlay : 'none';
}

/** The warp stage a scrubber position in [0, 1] means, for a warp of `stages` stages. */
export function warpStageAt(position: number, stages: number | null | undefined): number {
  if (!stages || stages < 2) return 0;
  return Math.min(1, Math.max(0, position)) * (stages - 1);
}

export interface LayerInputs {
  cell: ViewCell;
  /** The Train cell whose model the view shows, when that model exists on the GPU side. */
  run: string | undefined;
  kind: ModelKind | undefined;
  data: DataSource | undefined;
  /** Stages of the current warp layer (from the last render), to place the scrubber. */
  warpStages: number | null | undefined;
}

export function viewLayers({ cell, run, kind, data, warpStages }: LayerInputs): ViewLayerRequest[] {
  const overlay = effectiveOverlay(cell, kind);
  const sample: SamplerChoice | undefined = samplerChoice(cell, kind);
  const sampled = sample ? { sample } : {};
  const layers: ViewLayerRequest[] = [];
  if (overlay === 'density') {
    // Before a model exists, the data's own density (where it has one in closed form).
    const source = run ? { run } : hasExactDensity(data) ? { data: data! } : undefined;
    if (source) layers.push({ kind: 'heatmap', source, resolution: 96 });
  }
  if (overlay === 'warp' && run) {
    layers.push({ kind: 'warp', run, stage: warpStageAt(cell.position, warpStages) });
  }
  if (cell.showData && data) {
    layers.push({
      kind: 'points',
      source: { data },
      count: cell.sampleCount,
      seed: cell.sampleSeed,
      color: LAYER_COLORS.data,
      alpha: 0.5,
    });
  }
  if (cell.showSamples && run) {
    layers.push({
      kind: 'points',
      source: { run },
      count: cell.sampleCount,
      seed: cell.sampleSeed,
      color: LAYER_COLORS.samples,
      alpha: 0.6,
      ...sampled,
    });
  }
  if (overlay === 'trajectories' && run) {
    layers.push({
      kind: 'trajectories',
      run,
      count: Math.min(MAX_PATHS, cell.sampleCount),
      seed: cell.sampleSeed,
      upTo: cell.position,
      color: LAYER_COLORS.paths,
      alpha: 0.5,
      ...sampled,
    });
  }
  if (overlay === 'field' && run) {
    layers.push({
      kind: 'field',
      run,
      t: cell.position,
      resolution: FIELD_ARROWS,
      color: LAYER_COLORS.field,
      alpha: 0.85,
    });
  }
  return layers;
}

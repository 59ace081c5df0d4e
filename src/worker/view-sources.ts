/**
 * The GPU data behind each view layer, made from lab objects: samples of a model or a dataset
 * (a vertex buffer written on the GPU, never read back), log p on a grid with its colour range
 * reduced on the GPU, the stages of a warp grid traced through a flow (layers) or carried along
 * the probability-flow / flow-matching ODE (time steps), sample paths, and field arrows.
 */
import { STORAGE_USAGE, type PooledBuffer } from '../gpu';
import { ODE_WARP_STEPS, type Dataset, type LabModel } from '../lab/models';
import {
  HeatmapRange,
  MAX_POINTS_PER_LAYER,
  arrowData,
  arrowGrid,
  gridCentres,
  heatmapGrid,
  warpGridPoints,
  type Bounds,
  type HeatmapGrid,
  type WarpGeometry,
} from '../render';
import type {
  FieldLayer,
  FieldLegend,
  HeatmapLayer,
  ModelId,
  PointSource,
  PointsLayer,
  TrajectoriesLayer,
  WarpLayer,
} from './api';
import { samplerOptions } from './sampler-options';
import type { DeviceScope, SessionHost } from './device-scope';

// A number, not GPUBufferUsage: this module loads in browsers without WebGPU (backend.ts).
const STORAGE = STORAGE_USAGE;

export interface PreparedPoints {
  kind: 'points';
  buffer: PooledBuffer;
  count: number;
  /** Network evaluations per sample (diffusion / flow matching; null for flows and data). */
  nfe: number | null;
}

export interface PreparedHeatmap {
  kind: 'heatmap';
  values: PooledBuffer;
  range: HeatmapRange;
  grid: HeatmapGrid;
}

export interface PreparedWarp {
  kind: 'warp';
  stages: PooledBuffer;
  stageCount: number;
  geometry: WarpGeometry;
}

export interface PreparedTrajectories {
  kind: 'trajectories';
  /** frames · count vec2<f32>, frame-major, frame 0 at the noise end. */
  frames: PooledBuffer;
  count: number;
  /** The time of each frame, decreasing from 1 (noise) to 0 (data); flows: layer fractions. */
  times: number[];
  nfe: number | null;
}

export interface PreparedField {
  kind: 'field';
  /** count vec4<f32>: centre (x, y) and the vector, data coordinates. */
  arrows: PooledBuffer;
  count: number;
  lengthScale: number;
  legend: FieldLegend;
}

export type Prepared =
  PreparedPoints | PreparedHeatmap | PreparedWarp | PreparedTrajectories | PreparedField;

export function disposePrepared(prepared: Prepared): void {
  if (prepared.kind === 'points') prepared.buffer.dispose();
  else if (prepared.kind === 'heatmap') {
    prepared.values.dispose();
    prepared.range.dispose();
  } else if (prepared.kind === 'warp') prepared.stages.dispose();
  else if (prepared.kind === 'trajectories') prepared.frames.dispose();
  else prepared.arrows.dispose();
}

type Source = { model: LabModel } | { dataset: Dataset };

export function resolveSource(session: SessionHost, source: PointSource): Source {
  if ('model' in source) return { model: session.models.get(source.model).model };
  if ('dataset' in source) return { dataset: session.datasets.get(source.dataset).dataset };
  throw new TypeError(
    `A layer source must be { model: 'model:N' } or { dataset: 'dataset:N' }, got ${JSON.stringify(source)}.`,
  );
}

/** The parameter version of a layer's model (datasets never change): refresh when it moved. */
export function sourceVersion(session: SessionHost, source: PointSource): number {
  return 'model' in source ? session.models.get(source.model).version : 0;
}

export async function preparePoints(
  session: SessionHost,
  scope: DeviceScope,
  layer: PointsLayer,
): Promise<PreparedPoints> {
  const count = layer.count;
  if (!Number.isInteger(count) || count < 1 || count > MAX_POINTS_PER_LAYER) {
    throw new RangeError(
      `points.count must be an integer in [1, ${MAX_POINTS_PER_LAYER}], got ${String(count)}.`,
    );
  }
  const seed = layer.seed ?? 0;
  const source = resolveSource(session, layer.source);
  if ('model' in source) {
    const options = samplerOptions(source.model, layer.sample, seed, 'points.sample');
    const { nfe } = source.model.planSampling(options);
    return {
      kind: 'points',
      buffer: await source.model.sampleToBuffer(count, options),
      count,
      nfe,
    };
  }
  const buffer = await source.dataset.sampleToBuffer(count, { seed });
  return { kind: 'points', buffer, count, nfe: null };
}

export async function prepareHeatmap(
  session: SessionHost,
  scope: DeviceScope,
  layer: HeatmapLayer,
  visible: Bounds,
): Promise<PreparedHeatmap> {
  const grid = heatmapGrid(visible, layer.resolution ?? 128);
  const centres = gridCentres(grid);
  const n = grid.width * grid.height;
  const source = resolveSource(session, layer.source);
  const range = await HeatmapRange.create(scope.lab.runtime);
  let values: PooledBuffer | undefined;
  try {
    values =
      'model' in source
        ? await source.model.logProbToBuffer(centres)
        : await source.dataset.logProbToBuffer(centres);
    range.reduce(values.buffer, n, layer.clipNats ?? 10);
  } catch (error) {
    range.dispose();
    values?.dispose();
    throw error;
  }
  return { kind: 'heatmap', values, range, grid };
}

/** The grid a warp layer traces: its own bounds, the view's (forward) or the latent's (inverse). */
export function warpBounds(layer: WarpLayer, visible: Bounds): Bounds {
  return layer.bounds ?? (layer.direction === 'inverse' ? [-3, -3, 3, 3] : visible);
}

export { ODE_WARP_STEPS };

/**
 * The model a warp layer traces, checked: a flow's layers (either direction), or for diffusion
 * and flow matching the probability-flow / FM ODE from data (t = 0) to noise (t = 1), one stage
 * per time step ('forward' only). Other requests get a readable error naming the model.
 */
export function warpModelOf(
  session: SessionHost,
  id: WarpLayer['model'],
  direction: WarpLayer['direction'],
): LabModel {
  const model = session.models.get(id).model;
  if (direction !== 'forward' && !model.capabilities.inverseWarp) {
    throw new RangeError(
      `The warp view of a ${model.spec.kind} model carries a data grid along its ODE towards ` +
        `the noise: use direction 'forward' (${id} cannot pull a latent grid back).`,
    );
  }
  return model;
}

export async function prepareWarp(
  session: SessionHost,
  scope: DeviceScope,
  layer: WarpLayer,
  visible: Bounds,
): Promise<PreparedWarp> {
  const model = warpModelOf(session, layer.model, layer.direction);
  const { points, geometry } = warpGridPoints(
    warpBounds(layer, visible),
    layer.lines ?? 17,
    layer.pointsPerLine ?? 64,
  );
  const stages = await model.warpStages(points, layer.direction);
  const all = new Float32Array(stages.length * points.length);
  stages.forEach((stage, i) => all.set(stage, i * points.length));
  const buffer = scope.lab.runtime.pool.upload(all, STORAGE, 'warp stages');
  return { kind: 'warp', stages: buffer, stageCount: stages.length, geometry };
}

/** The checked model of a trajectories or field layer. */
function modelOf(session: SessionHost, id: ModelId): LabModel {
  return session.models.get(id).model;
}

/** Frames kept per path at most: enough for smooth curves, few enough to stay cheap to draw. */
const MAX_TRAJECTORY_FRAMES = 64;

export async function prepareTrajectories(
  session: SessionHost,
  scope: DeviceScope,
  layer: TrajectoriesLayer,
): Promise<PreparedTrajectories> {
  const count = checkPathCount(layer.count);
  const model = modelOf(session, layer.model);
  const options = samplerOptions(model, layer.sample, layer.seed ?? 0, 'trajectories.sample');
  // The same sampler, seed and noise as a points layer: the paths end at its samples.
  const { frames, times, nfe } = await model.paths(count, {
    ...options,
    maxFrames: MAX_TRAJECTORY_FRAMES,
  });
  const all = new Float32Array(frames.length * 2 * count);
  frames.forEach((frame, i) => all.set(frame, i * 2 * count));
  const buffer = scope.lab.runtime.pool.upload(all, STORAGE, 'trajectory frames');
  return { kind: 'trajectories', frames: buffer, count, times, nfe };
}

function checkPathCount(count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PATHS) {
    throw new RangeError(
      `trajectories.count must be an integer in [1, ${MAX_PATHS}], got ${String(count)}.`,
    );
  }
  return count;
}

/** Paths one layer draws at most (each has up to MAX_TRAJECTORY_FRAMES points). */
export const MAX_PATHS = 65536;

/**
 * The field layer's arrows: −dx/dt at time t on a grid over the visible rectangle, i.e. the
 * direction samples move while they are generated (time running from noise to data). Flow
 * matching: its learned velocity; DDPM: the probability-flow ODE's drift (not the raw score).
 */
export async function prepareField(
  session: SessionHost,
  scope: DeviceScope,
  layer: FieldLayer,
  visible: Bounds,
): Promise<PreparedField> {
  const model = fieldModelOf(session, layer.model);
  const grid = arrowGrid(visible, layer.resolution);
  const { velocity } = await model.field(grid.points, layer.t);
  const { arrows, maxMagnitude, lengthScale } = arrowData(
    grid,
    velocity.map((v) => -v),
  );
  const buffer = scope.lab.runtime.pool.upload(arrows, STORAGE, 'field arrows');
  return {
    kind: 'field',
    arrows: buffer,
    count: grid.points.length / 2,
    lengthScale,
    legend: {
      quantity: model.capabilities.field!,
      maxMagnitude,
      maxArrowPx: 0,
    },
  };
}

/** A model with a field (diffusion / flow matching) for a field layer, or a readable error. */
export function fieldModelOf(session: SessionHost, id: ModelId): LabModel {
  const record = session.models.get(id);
  if (record.model.capabilities.field === null) {
    throw new TypeError(
      `The field view shows the velocity of a diffusion or flow-matching model; ${id} is a ` +
        `${record.spec.family} model. Use a warp or trajectories layer instead.`,
    );
  }
  return record.model;
}

/**
 * The GPU data behind each view layer, made from lab objects: samples of a model or a dataset
 * (a vertex buffer written on the GPU, never read back), log p on a grid with its colour range
 * reduced on the GPU, and the stages of a warp grid traced through a flow.
 */
import type { Dataset } from '../data/dataset';
import type { PooledBuffer } from '../gpu';
import type { LabModel } from '../lab/models';
import {
  HeatmapRange,
  MAX_POINTS_PER_LAYER,
  gridCentres,
  heatmapGrid,
  warpGridPoints,
  type Bounds,
  type HeatmapGrid,
  type WarpGeometry,
} from '../render';
import type { HeatmapLayer, PointSource, PointsLayer, WarpLayer } from './api';
import type { DeviceScope, LabSession } from './session';

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export interface PreparedPoints {
  kind: 'points';
  buffer: PooledBuffer;
  count: number;
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

export type Prepared = PreparedPoints | PreparedHeatmap | PreparedWarp;

export function disposePrepared(prepared: Prepared): void {
  if (prepared.kind === 'points') prepared.buffer.dispose();
  else if (prepared.kind === 'heatmap') {
    prepared.values.dispose();
    prepared.range.dispose();
  } else prepared.stages.dispose();
}

type Source = { model: LabModel } | { dataset: Dataset };

export function resolveSource(session: LabSession, source: PointSource): Source {
  if ('model' in source) return { model: session.models.get(source.model).model };
  if ('dataset' in source) return { dataset: session.datasets.get(source.dataset).dataset };
  throw new TypeError(
    `A layer source must be { model: 'model:N' } or { dataset: 'dataset:N' }, got ${JSON.stringify(source)}.`,
  );
}

/** The parameter version of a layer's model (datasets never change): refresh when it moved. */
export function sourceVersion(session: LabSession, source: PointSource): number {
  return 'model' in source ? session.models.get(source.model).version : 0;
}

export async function preparePoints(
  session: LabSession,
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
    return { kind: 'points', buffer: await source.model.sampleToBuffer(count, { seed }), count };
  }
  const runtime = scope.lab.runtime;
  const sampler = await source.dataset.sampler();
  const buffer = runtime.pool.acquire(count * 8, STORAGE | GPUBufferUsage.VERTEX, 'data samples');
  const encoder = runtime.device.createCommandEncoder({ label: 'data samples for a view' });
  const pass = encoder.beginComputePass({ label: 'data samples for a view' });
  const uniforms = sampler.encode(pass, buffer, { count, seed, space: 'data' });
  pass.end();
  runtime.device.queue.submit([encoder.finish()]);
  uniforms.dispose();
  return { kind: 'points', buffer, count };
}

export async function prepareHeatmap(
  session: LabSession,
  scope: DeviceScope,
  layer: HeatmapLayer,
  visible: Bounds,
): Promise<PreparedHeatmap> {
  const grid = heatmapGrid(visible, layer.resolution ?? 128);
  const centres = gridCentres(grid);
  const n = grid.width * grid.height;
  const runtime = scope.lab.runtime;
  const source = resolveSource(session, layer.source);
  const range = await HeatmapRange.create(runtime);
  let values: PooledBuffer;
  const encoder = runtime.device.createCommandEncoder({ label: 'heatmap' });
  const pass = encoder.beginComputePass({ label: 'heatmap' });
  const transient: PooledBuffer[] = [];
  try {
    if ('model' in source) {
      values = await source.model.logProbToBuffer(centres);
    } else {
      const logProb = await source.dataset.logProbEncoder();
      const points = runtime.pool.upload(centres, STORAGE, 'heatmap grid');
      values = runtime.pool.acquire(n * 4, STORAGE, 'dataset log p');
      transient.push(points, logProb.encode(pass, points, values, n, 'data'));
    }
  } catch (error) {
    pass.end();
    range.dispose();
    transient.forEach((b) => b.dispose());
    throw error;
  }
  transient.push(range.encode(pass, values.buffer, n, layer.clipNats ?? 10));
  pass.end();
  runtime.device.queue.submit([encoder.finish()]);
  transient.forEach((b) => b.dispose());
  return { kind: 'heatmap', values, range, grid };
}

/** The grid a warp layer traces: its own bounds, the view's (forward) or the latent's (inverse). */
export function warpBounds(layer: WarpLayer, visible: Bounds): Bounds {
  return layer.bounds ?? (layer.direction === 'inverse' ? [-3, -3, 3, 3] : visible);
}

type Tracer = (
  points: ArrayLike<number>,
  direction: 'forward' | 'inverse',
) => Promise<Float32Array[]>;

/** The model's trace (an optional extra of flows), or a readable error for other kinds. */
export function tracerOf(session: LabSession, id: WarpLayer['model']): Tracer {
  const record = session.models.get(id);
  const model = record.model as LabModel & { trace?: Tracer };
  if (typeof model.trace !== 'function') {
    throw new TypeError(
      `The warp view needs a model that can trace points layer by layer (a flow); ` +
        `${id} is a ${record.spec.family} model. Use a points or heatmap layer instead.`,
    );
  }
  return model.trace.bind(model);
}

export async function prepareWarp(
  session: LabSession,
  scope: DeviceScope,
  layer: WarpLayer,
  visible: Bounds,
): Promise<PreparedWarp> {
  const trace = tracerOf(session, layer.model);
  const { points, geometry } = warpGridPoints(
    warpBounds(layer, visible),
    layer.lines ?? 17,
    layer.pointsPerLine ?? 64,
  );
  const stages = await trace(points, layer.direction);
  const all = new Float32Array(stages.length * points.length);
  stages.forEach((stage, i) => all.set(stage, i * points.length));
  const buffer = scope.lab.runtime.pool.upload(all, STORAGE, 'warp stages');
  return { kind: 'warp', stages: buffer, stageCount: stages.length, geometry };
}

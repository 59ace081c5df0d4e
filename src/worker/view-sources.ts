/**
 * The GPU data behind each view layer, made from lab objects: samples of a model or a dataset
 * (a vertex buffer written on the GPU, never read back), log p on a grid with its colour range
 * reduced on the GPU, the stages of a warp grid traced through a flow (layers) or carried along
 * the probability-flow / flow-matching ODE (time steps), sample paths, and field arrows.
 */
import type { Dataset } from '../data/dataset';
import { STORAGE_USAGE, type PooledBuffer } from '../gpu';
import { LabDiffusion } from '../lab/diffusion';
import type { LabModel } from '../lab/models';
import type { SamplerName } from '../models/diffusion/model';
import { INFERENCE_CHUNK } from '../models/flows/flow-model';
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
  SampleOptions,
  TrajectoriesLayer,
  WarpLayer,
} from './api';
import type { DeviceScope, LabSession } from './session';

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
    const model = source.model;
    if (model instanceof LabDiffusion) {
      const options = samplerOptions(model, layer.sample, seed, 'points.sample');
      const buffer = await model.sampleToBuffer(count, options);
      return { kind: 'points', buffer, count, nfe: model.diffusion.samplePlan(options).nfe };
    }
    return {
      kind: 'points',
      buffer: await model.sampleToBuffer(count, { seed }),
      count,
      nfe: null,
    };
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
  return { kind: 'points', buffer, count, nfe: null };
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

/** ODE steps a diffusion / flow-matching warp layer is traced with: its stages. */
export const ODE_WARP_STEPS = 24;

/**
 * How a warp layer's grid moves through the model: the flow's trace (layers), or for diffusion
 * and flow matching the probability-flow / FM ODE from data (t = 0) to noise (t = 1), one stage
 * per time step. Other kinds get a readable error.
 */
export function tracerOf(session: LabSession, id: WarpLayer['model']): Tracer {
  const record = session.models.get(id);
  if (record.model instanceof LabDiffusion) {
    const model = record.model;
    return async (points, direction) => {
      if (direction !== 'forward') {
        throw new RangeError(
          `The warp view of a ${model.spec.kind} model carries a data grid along its ODE towards ` +
            `the noise: use direction 'forward' (${id} cannot pull a latent grid back).`,
        );
      }
      const paths = await model.trajectories(points, { steps: ODE_WARP_STEPS, every: 1 });
      return paths.frames;
    };
  }
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
  if (
    session.models.get(layer.model).model instanceof LabDiffusion &&
    layer.direction !== 'forward'
  ) {
    await trace(new Float32Array(2), layer.direction); // its readable refusal
  }
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

/** The diffusion sampler options of a layer, checked against the model (throws readably). */
export function samplerOptions(
  model: LabDiffusion,
  sample: SampleOptions | undefined,
  seed: number,
  what: string,
): { sampler?: SamplerName; steps?: number; eta?: number; seed: number } {
  const options = {
    seed,
    ...(sample?.sampler !== undefined ? { sampler: sample.sampler as SamplerName } : {}),
    ...(sample?.steps !== undefined ? { steps: sample.steps } : {}),
    ...(sample?.eta !== undefined ? { eta: sample.eta } : {}),
  };
  try {
    model.diffusion.samplePlan(options);
  } catch (error) {
    throw new RangeError(`${what}: ${(error as Error).message}`, { cause: error });
  }
  return options;
}

/** The checked model of a trajectories or field layer. */
function modelOf(session: LabSession, id: ModelId): LabModel {
  return session.models.get(id).model;
}

/** Frames kept per path at most: enough for smooth curves, few enough to stay cheap to draw. */
const MAX_TRAJECTORY_FRAMES = 64;

export async function prepareTrajectories(
  session: LabSession,
  scope: DeviceScope,
  layer: TrajectoriesLayer,
): Promise<PreparedTrajectories> {
  const count = checkPathCount(layer.count);
  const seed = layer.seed ?? 0;
  const model = modelOf(session, layer.model);
  let frames: Float32Array[];
  let times: number[];
  let nfe: number | null = null;
  if (model instanceof LabDiffusion) {
    const options = samplerOptions(model, layer.sample, seed, 'trajectories.sample');
    const plan = model.diffusion.samplePlan(options);
    const steps = plan.stages.filter((stage) => stage.last).length;
    const every = Math.max(1, Math.ceil(steps / (MAX_TRAJECTORY_FRAMES - 1)));
    // The same sampler, seed and noise as a points layer: the paths end at its samples.
    const paths = await model.trajectories(count, { ...options, every });
    ({ frames, times } = paths);
    nfe = plan.nfe;
  } else {
    const traced = await flowPaths(session, layer.model, model, count, seed);
    frames = traced;
    times = traced.map((_, i) => 1 - i / Math.max(1, traced.length - 1));
  }
  const all = new Float32Array(frames.length * 2 * count);
  frames.forEach((frame, i) => all.set(frame, i * 2 * count));
  const buffer = scope.lab.runtime.pool.upload(all, STORAGE, 'trajectory frames');
  return { kind: 'trajectories', frames: buffer, count, times, nfe };
}

/**
 * A flow's paths from the latent to its samples: the samples of `seed` traced forward through
 * the layers and reversed (the flow is invertible, so this is the generating path, and it ends
 * exactly at the samples a points layer of the same seed draws).
 */
async function flowPaths(
  session: LabSession,
  id: ModelId,
  model: LabModel,
  count: number,
  seed: number,
): Promise<Float32Array[]> {
  const trace = tracerOf(session, id);
  const samples = await model.sample(count, { seed });
  let frames: Float32Array[] | undefined;
  for (let start = 0; start < count; start += INFERENCE_CHUNK) {
    const end = Math.min(count, start + INFERENCE_CHUNK);
    const stages = await trace(samples.subarray(2 * start, 2 * end), 'forward');
    frames ??= stages.map(() => new Float32Array(2 * count));
    stages.forEach((stage, i) => frames![i]!.set(stage, 2 * start));
  }
  return frames!.reverse();
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
  session: LabSession,
  scope: DeviceScope,
  layer: FieldLayer,
  visible: Bounds,
): Promise<PreparedField> {
  const model = diffusionOf(session, layer.model);
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
      quantity: model.spec.kind === 'flow-matching' ? 'velocity' : 'pf-drift',
      maxMagnitude,
      maxArrowPx: 0,
    },
  };
}

/** A diffusion / flow-matching model for a field layer, or a readable error. */
export function diffusionOf(session: LabSession, id: ModelId): LabDiffusion {
  const record = session.models.get(id);
  if (!(record.model instanceof LabDiffusion)) {
    throw new TypeError(
      `The field view shows the velocity of a diffusion or flow-matching model; ${id} is a ` +
        `${record.spec.family} model. Use a warp or trajectories layer instead.`,
    );
  }
  return record.model;
}

/**
 * A view without WebGPU: the same layers and reports as ViewController (views.ts), computed by
 * the CPU lab's models and datasets and drawn into the transferred OffscreenCanvas with a 2-D
 * context (render/canvas2d.ts). Nothing trains without WebGPU, so a model's pictures change
 * only on an import: layers are recomputed when their model's version or bounds changed.
 */
import { CpuDiffusionModel, type CpuDataset, type CpuLabModel } from '../lab/cpu-lab';
import {
  arrowData,
  arrowGrid,
  axisTicks,
  checkBounds,
  checkSurfaceSize,
  drawScene2d,
  endFrameAt,
  fitView,
  gridCentres,
  heatmapGrid,
  heatmapRange2d,
  warpGridPoints,
  type Bounds,
  type HeatmapLegend,
  type Layer2d,
  type PixelImage,
  type WarpGeometry,
} from '../render';
import type {
  DatasetId,
  FieldLegend,
  LiveOptions,
  ModelId,
  PointSource,
  RenderOptions,
  RenderReport,
  SampleOptions,
  ViewId,
  ViewLayer,
  ViewOptions,
  ViewStatus,
} from './api';

const DEFAULT_BOUNDS: Bounds = [-4, -4, 4, 4];
const DEFAULT_BACKGROUND: [number, number, number, number] = [0.06, 0.06, 0.08, 1];
const WARP_COLORS = [
  [0.98, 0.75, 0.3, 0.9],
  [0.35, 0.75, 0.98, 0.9],
];
const ARROW_STYLE = { widthPx: 1.5, headPx: 6 } as const;
/** ODE steps of a diffusion warp layer, as on the GPU (view-sources.ts). */
const ODE_WARP_STEPS = 24;
const MAX_TRAJECTORY_FRAMES = 64;
const MAX_PATHS = 65536;
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

type Prepared =
  | { kind: 'points'; points: Float32Array; nfe: number | null }
  | { kind: 'heatmap'; layer: Extract<Layer2d, { kind: 'heatmap' }>; legend: HeatmapLegend | null }
  | { kind: 'warp'; stages: Float32Array[]; geometry: WarpGeometry }
  | { kind: 'trajectories'; frames: Float32Array[]; times: number[]; nfe: number | null }
  | { kind: 'field'; arrows: Float32Array; lengthScale: number; legend: FieldLegend };

interface LayerState {
  prepared: Prepared;
  key: string;
}

export class CpuViewController {
  private readonly context: OffscreenCanvasRenderingContext2D;
  private layers: ViewLayer[] = [];
  private states: (LayerState | undefined)[] = [];
  private bounds: Bounds;
  private readonly background: [number, number, number, number];
  private css: { cssWidth: number; cssHeight: number; pixelRatio: number };
  live: LiveOptions = { live: false, visible: false };
  private frames = 0;
  private refreshes = 0;

  constructor(
    readonly id: ViewId,
    private readonly canvas: OffscreenCanvas,
    options: ViewOptions,
    private readonly sources: CpuViewSources,
  ) {
    this.bounds = checkBounds(options.bounds ?? DEFAULT_BOUNDS, 'view bounds');
    this.background = options.background ?? DEFAULT_BACKGROUND;
    const context = canvas.getContext('2d');
    if (!context) {
      throw new Error('This browser gave no 2-D context for the view canvas; reload the page.');
    }
    this.context = context;
    this.css = { cssWidth: 1, cssHeight: 1, pixelRatio: 1 };
    this.resize(options.cssWidth, options.cssHeight, options.pixelRatio);
  }

  setLayers(layers: ViewLayer[]): void {
    layers.forEach((layer) => this.check(layer));
    this.layers = layers.map((layer) => ({ ...layer }));
    this.states = this.layers.map(() => undefined);
  }

  setBounds(bounds: Bounds): void {
    this.bounds = checkBounds(bounds, 'view bounds');
  }

  resize(cssWidth: number, cssHeight: number, pixelRatio: number): void {
    checkSurfaceSize({ cssWidth, cssHeight, pixelRatio });
    this.css = { cssWidth, cssHeight, pixelRatio };
    this.canvas.width = Math.max(1, Math.round(cssWidth * pixelRatio));
    this.canvas.height = Math.max(1, Math.round(cssHeight * pixelRatio));
  }

  setWarpStage(stage: number): void {
    if (!Number.isFinite(stage))
      throw new RangeError(`A warp stage must be a number, got ${stage}.`);
    const warps = this.layers.filter((layer) => layer.kind === 'warp');
    if (!warps.length)
      throw new Error(`View ${this.id} has no warp layer; add one with setViewLayers().`);
    warps.forEach((layer) => (layer.stage = stage));
  }

  render(options: RenderOptions = {}): RenderReport {
    const started = performance.now();
    this.refresh(options.refresh ?? false);
    const transform = drawScene2d(this.context, this.canvas.width, this.canvas.height, {
      bounds: this.bounds,
      pixelRatio: this.css.pixelRatio,
      background: this.background,
      layers: this.drawables(),
    });
    this.frames++;
    const prepared = this.states.map((s) => s?.prepared);
    const warp = prepared.find((p) => p?.kind === 'warp');
    const field = prepared.find((p) => p?.kind === 'field');
    const heat = prepared.find((p) => p?.kind === 'heatmap');
    const sampled = prepared.find(
      (p) => (p?.kind === 'points' || p?.kind === 'trajectories') && p.nfe !== null,
    );
    const { cssWidth, cssHeight } = this.css;
    const cssPerUnit = cssWidth / (transform.visible[2] - transform.visible[0]);
    return {
      view: this.id,
      width: this.canvas.width,
      height: this.canvas.height,
      ms: performance.now() - started,
      visible: transform.visible,
      ticks: axisTicks(transform, cssWidth, cssHeight),
      legend: heat?.kind === 'heatmap' ? heat.legend : null,
      warpStages: warp?.kind === 'warp' ? warp.stages.length : null,
      nfe: sampled?.kind === 'points' || sampled?.kind === 'trajectories' ? sampled.nfe : null,
      field:
        field?.kind === 'field'
          ? {
              ...field.legend,
              maxArrowPx: field.lengthScale * field.legend.maxMagnitude * cssPerUnit,
            }
          : null,
    };
  }

  /** The current frame's pixels (RGBA8, premultiplied, as PixelImage promises). */
  readPixels(): PixelImage {
    this.render();
    const { width, height } = this.canvas;
    const image = this.context.getImageData(0, 0, width, height);
    const data = new Uint8ClampedArray(image.data.length);
    for (let i = 0; i < data.length; i += 4) {
      const a = image.data[i + 3]! / 255;
      data[i] = image.data[i]! * a;
      data[i + 1] = image.data[i + 1]! * a;
      data[i + 2] = image.data[i + 2]! * a;
      data[i + 3] = image.data[i + 3]!;
    }
    return { width, height, data };
  }

  status(): ViewStatus {
    return {
      frames: this.frames,
      refreshes: this.refreshes,
      live: { ...this.live },
      presentation: 'copy',
    };
  }

  dispose(): void {
    this.states = [];
    this.layers = [];
  }

  private visible(): Bounds {
    return fitView(this.bounds, this.canvas.width, this.canvas.height).visible;
  }

  /** What a layer's data depends on: its data fields, its model's version and the bounds. */
  private keyOf(layer: ViewLayer, visible: Bounds): string {
    const source: PointSource = 'source' in layer ? layer.source : { model: layer.model };
    const version = 'model' in source ? this.sources.model(source.model).version : 0;
    const data = Object.entries(layer).filter(([k]) => !DRAW_ONLY.has(k));
    const bounds = layer.kind === 'heatmap' || layer.kind === 'field' || layer.kind === 'warp';
    return JSON.stringify([data, version, bounds ? visible : null]);
  }

  private refresh(all: boolean): void {
    const visible = this.visible();
    this.layers.forEach((layer, i) => {
      const key = this.keyOf(layer, visible);
      if (!all && this.states[i]?.key === key) return;
      this.states[i] = { prepared: this.prepare(layer, visible), key };
      this.refreshes++;
    });
  }

  private prepare(layer: ViewLayer, visible: Bounds): Prepared {
    switch (layer.kind) {
      case 'points': {
        const seed = layer.seed ?? 0;
        if ('dataset' in layer.source) {
          const points = this.sources.dataset(layer.source.dataset).sample(layer.count, { seed });
          return { kind: 'points', points, nfe: null };
        }
        const id = layer.source.model;
        const model = this.sources.model(id).model;
        if (model instanceof CpuDiffusionModel) {
          const options = sampler(model, layer.sample, seed, 'points.sample');
          const points = this.sources.sample(id, layer.count, options);
          return { kind: 'points', points, nfe: model.samplePlan(options).nfe };
        }
        return {
          kind: 'points',
          points: this.sources.sample(id, layer.count, { seed }),
          nfe: null,
        };
      }
      case 'heatmap': {
        let resolution = layer.resolution ?? 128;
        const model =
          'model' in layer.source ? this.sources.model(layer.source.model).model : undefined;
        const diffusion = model instanceof CpuDiffusionModel;
        if (diffusion) resolution = Math.min(resolution, CPU_DIFFUSION_DENSITY.maxResolution);
        const grid = heatmapGrid(visible, resolution);
        const centres = gridCentres(grid);
        const values = model
          ? diffusion
            ? model.logProb(centres, { steps: CPU_DIFFUSION_DENSITY.steps })
            : model.logProb(centres)
          : this.sources.dataset((layer.source as { dataset: DatasetId }).dataset).logProb(centres);
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
        const model = this.sources.model(layer.model).model;
        const stages =
          model instanceof CpuDiffusionModel
            ? model.trajectories(points, { steps: ODE_WARP_STEPS, every: 1 }).frames
            : model.trace(points, layer.direction);
        return { kind: 'warp', stages, geometry };
      }
      case 'trajectories': {
        const seed = layer.seed ?? 0;
        const model = this.sources.model(layer.model).model;
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
        const model = diffusionModel(this.sources.model(layer.model).model, layer.model);
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

  private drawables(): Layer2d[] {
    const out: Layer2d[] = [];
    this.layers.forEach((layer, i) => {
      const prepared = this.states[i]?.prepared;
      if (!prepared) return;
      if (layer.kind === 'points' && prepared.kind === 'points') {
        const { color, alpha } = layer;
        out.push({
          kind: 'points',
          points: prepared.points,
          color,
          alpha,
          sizePx: layer.sizePx ?? 2,
        });
      } else if (prepared.kind === 'heatmap') {
        out.push(prepared.layer);
      } else if (layer.kind === 'warp' && prepared.kind === 'warp') {
        out.push({
          kind: 'warp',
          stages: prepared.stages,
          geometry: prepared.geometry,
          stage: layer.stage,
          widthPx: layer.widthPx ?? 1.25,
          colors: WARP_COLORS,
        });
      } else if (layer.kind === 'trajectories' && prepared.kind === 'trajectories') {
        out.push({
          kind: 'paths',
          frames: prepared.frames,
          endFrame: endFrameAt(prepared.times, layer.upTo ?? 0),
          color: layer.color,
          alpha: layer.alpha,
          widthPx: 1,
        });
      } else if (layer.kind === 'field' && prepared.kind === 'field') {
        out.push({
          kind: 'arrows',
          arrows: prepared.arrows,
          lengthScale: prepared.lengthScale,
          color: layer.color,
          alpha: layer.alpha,
          ...ARROW_STYLE,
        });
      }
    });
    return out;
  }

  /** Validates a layer up front, so a bad one fails setViewLayers() rather than a later frame. */
  private check(layer: ViewLayer): void {
    switch (layer.kind) {
      case 'points': {
        if (!Number.isInteger(layer.count) || layer.count < 1 || layer.count > MAX_PATHS * 16) {
          throw new RangeError(
            `points.count must be an integer in [1, ${MAX_PATHS * 16}], got ${String(layer.count)}.`,
          );
        }
        if ('model' in layer.source) {
          const model = this.sources.model(layer.source.model).model;
          if (model instanceof CpuDiffusionModel) sampler(model, layer.sample, 0, 'points.sample');
        } else this.sources.dataset(layer.source.dataset);
        return;
      }
      case 'heatmap':
        heatmapGrid(DEFAULT_BOUNDS, layer.resolution ?? 128);
        if ('model' in layer.source) this.sources.model(layer.source.model);
        else if (!this.sources.dataset(layer.source.dataset).hasLogProb) {
          throw new RangeError(
            `${layer.source.dataset} has no closed-form density to draw; use a model's heatmap.`,
          );
        }
        return;
      case 'warp': {
        const model = this.sources.model(layer.model).model;
        if (model instanceof CpuDiffusionModel && layer.direction !== 'forward') {
          throw new RangeError(
            `The warp view of a ${model.spec.kind} model carries a data grid along its ODE towards ` +
              `the noise: use direction 'forward' (${layer.model} cannot pull a latent grid back).`,
          );
        }
        warpGridPoints(
          layer.bounds ?? DEFAULT_BOUNDS,
          layer.lines ?? 17,
          layer.pointsPerLine ?? 64,
        );
        return;
      }
      case 'trajectories': {
        const model = this.sources.model(layer.model).model;
        if (model instanceof CpuDiffusionModel)
          sampler(model, layer.sample, 0, 'trajectories.sample');
        if (!Number.isInteger(layer.count) || layer.count < 1 || layer.count > MAX_PATHS) {
          throw new RangeError(
            `trajectories.count must be an integer in [1, ${MAX_PATHS}], got ${String(layer.count)}.`,
          );
        }
        endFrameAt([1, 0], layer.upTo ?? 0);
        return;
      }
      case 'field':
        diffusionModel(this.sources.model(layer.model).model, layer.model);
        arrowGrid(DEFAULT_BOUNDS, layer.resolution);
        return;
      default:
        throw new TypeError(
          `A view layer has kind 'points', 'heatmap', 'warp', 'trajectories' or 'field', got "${String((layer as { kind: unknown }).kind)}".`,
        );
    }
  }
}

/** Fields that only change how a layer is drawn, not the data behind it. */
const DRAW_ONLY = new Set(['color', 'alpha', 'sizePx', 'colormap', 'stage', 'upTo', 'widthPx']);

function sampler(
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

function diffusionModel(model: CpuLabModel, id: ModelId): CpuDiffusionModel {
  if (!(model instanceof CpuDiffusionModel)) {
    throw new TypeError(
      `The field view shows the velocity of a diffusion or flow-matching model; ${id} is a ` +
        'flow. Use a warp or trajectories layer instead.',
    );
  }
  return model;
}

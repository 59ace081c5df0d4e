/**
 * A view without WebGPU: the same layers and reports as ViewController (views.ts), computed by
 * the CPU lab's models and datasets and drawn into the transferred OffscreenCanvas with a 2-D
 * context (render/canvas2d.ts). Nothing trains without WebGPU, so a model's pictures change
 * only on an import: layers are recomputed when their model's version or bounds changed.
 */
import {
  arrowGrid,
  axisTicks,
  checkBounds,
  checkSurfaceSize,
  drawScene2d,
  endFrameAt,
  fitView,
  heatmapGrid,
  warpGridPoints,
  type Bounds,
  type Layer2d,
  type PixelImage,
} from '../render';
import type {
  LiveOptions,
  PointSource,
  RenderOptions,
  RenderReport,
  ViewId,
  ViewLayer,
  ViewOptions,
  ViewStatus,
} from './api';
import {
  diffusionModel,
  MAX_PATHS,
  prepareLayer,
  type CpuViewSources,
  type Prepared,
} from './cpu-layers';
import { samplerOptions } from './sampler-options';

export type { CpuViewSources };

const DEFAULT_BOUNDS: Bounds = [-4, -4, 4, 4];
const DEFAULT_BACKGROUND: [number, number, number, number] = [0.06, 0.06, 0.08, 1];
const WARP_COLORS = [
  [0.98, 0.75, 0.3, 0.9],
  [0.35, 0.75, 0.98, 0.9],
];
const ARROW_STYLE = { widthPx: 1.5, headPx: 6 } as const;
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
      this.states[i] = { prepared: prepareLayer(this.sources, layer, visible), key };
      this.refreshes++;
    });
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
          samplerOptions(model, layer.sample, 0, 'points.sample');
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
        if (layer.direction !== 'forward' && !model.capabilities.inverseWarp) {
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
        samplerOptions(model, layer.sample, 0, 'trajectories.sample');
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

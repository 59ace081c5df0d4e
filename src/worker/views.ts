// Over 400 lines on purpose: the view registry: every overlay kind binds to one frame loop.
/**
 * A view: an OffscreenCanvas the page transferred, a list of layers (heatmap, warp grid, point
 * clouds, sample paths, field arrows, drawn in order), and the GPU data behind them. render() refreshes that data from the
 * current parameters and draws; a live view redraws on display frames while it is visible.
 */
import {
  createViewSurface,
  FieldArrows,
  Heatmap,
  PointCloud,
  TrajectoryPaths,
  arrowGrid,
  checkArrowStyle,
  checkPathStyle,
  endFrameAt,
  TextureSurface,
  WarpGrid,
  axisTicks,
  checkBounds,
  checkPointStyle,
  colormapStops,
  fitView,
  heatmapGrid,
  renderFrame,
  warpGridPoints,
  type Bounds,
  type Drawable,
  type HeatmapLegend,
  type PixelImage,
  type RenderTarget,
  type ViewSurface,
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
import { GpuDeviceLostError } from '../gpu/errors';
import type { DeviceScope, SessionHost } from './device-scope';
import {
  disposePrepared,
  fieldModelOf,
  prepareField,
  prepareHeatmap,
  preparePoints,
  prepareTrajectories,
  prepareWarp,
  resolveSource,
  sourceVersion,
  warpBounds,
  warpModelOf,
  MAX_PATHS,
  type Prepared,
} from './view-sources';
import { samplerOptions } from './sampler-options';

const DEFAULT_BOUNDS: Bounds = [-4, -4, 4, 4];
const DEFAULT_BACKGROUND: [number, number, number, number] = [0.06, 0.06, 0.08, 1];
const PATH_WIDTH_PX = 1;
const ARROW_STYLE = { widthPx: 1.5, headPx: 6 } as const;
const WARP_COLORS: [number[], number[]] = [
  [0.98, 0.75, 0.3, 0.9],
  [0.35, 0.75, 0.98, 0.9],
];

interface LayerState {
  prepared: Prepared;
  /** The source's parameter version and the bounds the data was made for. */
  version: number;
  bounds: Bounds | undefined;
}

export class ViewController {
  private readonly surface: ViewSurface;
  private layers: ViewLayer[] = [];
  private states: (LayerState | undefined)[] = [];
  private bounds: Bounds;
  private readonly background: [number, number, number, number];
  private legend: HeatmapLegend | null = null;
  private scope: DeviceScope;
  /** Serialises refresh/draw: they share the layer states. */
  private queue: Promise<unknown> = Promise.resolve();
  live: LiveOptions = { live: false, visible: false };
  private nextRefreshAt = 0;
  private dirty = true;
  private frames = 0;
  private refreshes = 0;

  constructor(
    readonly id: ViewId,
    canvas: OffscreenCanvas,
    options: ViewOptions,
    private readonly session: SessionHost,
    scope: DeviceScope,
  ) {
    this.scope = scope;
    this.bounds = checkBounds(options.bounds ?? DEFAULT_BOUNDS, 'view bounds');
    this.background = options.background ?? DEFAULT_BACKGROUND;
    this.surface = createViewSurface(
      canvas,
      scope.lab.runtime,
      { cssWidth: options.cssWidth, cssHeight: options.cssHeight, pixelRatio: options.pixelRatio },
      options.presentation,
    );
  }

  setLayers(layers: ViewLayer[]): Promise<void> {
    layers.forEach((layer) => checkLayer(this.session, layer));
    return this.serial(() => {
      // A layer whose data inputs did not change keeps its GPU data: moving a scrubber (upTo,
      // stage) or changing colours through setViewLayers recomputes nothing.
      const kept = new Set<number>();
      const states = layers.map((layer) => {
        const i = this.layers.findIndex(
          (old, j) => !kept.has(j) && this.states[j] && dataKey(old) === dataKey(layer),
        );
        if (i < 0) return undefined;
        kept.add(i);
        return this.states[i];
      });
      this.states.forEach((state, j) => {
        if (state && !kept.has(j)) disposePrepared(state.prepared);
      });
      this.layers = layers.map((layer) => ({ ...layer }));
      this.states = states;
      this.dirty = true;
    });
  }

  setBounds(bounds: Bounds): void {
    this.bounds = checkBounds(bounds, 'view bounds');
    this.dirty = true;
  }

  resize(cssWidth: number, cssHeight: number, pixelRatio: number): void {
    this.surface.resize({ cssWidth, cssHeight, pixelRatio });
    this.dirty = true;
  }

  setWarpStage(stage: number): void {
    if (!Number.isFinite(stage))
      throw new RangeError(`A warp stage must be a number, got ${stage}.`);
    let found = false;
    for (const layer of this.layers) {
      if (layer.kind === 'warp') {
        layer.stage = stage;
        found = true;
      }
    }
    if (!found) throw new Error(`View ${this.id} has no warp layer; add one with setViewLayers().`);
    this.dirty = true;
  }

  /** Refreshes what is stale (everything with refresh: true) and draws into the canvas. */
  render(options: RenderOptions = {}): Promise<RenderReport> {
    return this.serial(async () => {
      const started = performance.now();
      await this.refresh(options.refresh ?? false, true);
      const transform = await this.drawToCanvas();
      this.frames++;
      this.dirty = false;
      const { cssWidth, cssHeight } = this.surface.cssSize;
      const warp = this.states.find((s) => s?.prepared.kind === 'warp')?.prepared;
      const field = this.states.find((s) => s?.prepared.kind === 'field')?.prepared;
      const cssPerUnit = cssWidth / (transform.visible[2] - transform.visible[0]);
      return {
        view: this.id,
        width: this.surface.width,
        height: this.surface.height,
        ms: performance.now() - started,
        visible: transform.visible,
        ticks: axisTicks(transform, cssWidth, cssHeight),
        legend: this.legend,
        warpStages: warp?.kind === 'warp' ? warp.stageCount : null,
        nfe: this.sampleNfe(),
        field:
          field?.kind === 'field'
            ? {
                ...field.legend,
                maxArrowPx: field.lengthScale * field.legend.maxMagnitude * cssPerUnit,
              }
            : null,
      };
    });
  }

  /** NFE per sample of the first model points / trajectories layer with a sampler (else null). */
  private sampleNfe(): number | null {
    for (const state of this.states) {
      const p = state?.prepared;
      if ((p?.kind === 'points' || p?.kind === 'trajectories') && p.nfe !== null) return p.nfe;
    }
    return null;
  }

  /** The current frame drawn offscreen at the canvas's size and read back. */
  readPixels(): Promise<PixelImage> {
    return this.serial(async () => {
      await this.refresh(false, false);
      const target = new TextureSurface(
        this.scope.lab.runtime,
        this.surface.width,
        this.surface.height,
        this.surface.format,
      );
      try {
        await this.draw(() => target.acquire(), target.format);
        return await target.read();
      } finally {
        target.dispose();
      }
    });
  }

  /** One display frame of a live view: refresh when the models moved (rate-limited), draw if needed. */
  liveFrame(): Promise<void> {
    return this.serial(async () => {
      const now = performance.now();
      if (now >= this.nextRefreshAt && this.isStale()) {
        await this.refresh(false, false);
        const took = performance.now() - now;
        // Refreshing a million samples is slow on a CPU adapter: never spend most frames on it.
        this.nextRefreshAt =
          performance.now() + Math.max(this.live.refreshIntervalMs ?? 250, 3 * took);
        this.dirty = true;
      }
      // Hidden while the refresh ran: the frame would be drawn for nobody.
      if (!this.dirty || !this.live.visible) return;
      await this.drawToCanvas();
      this.frames++;
      this.dirty = false;
    });
  }

  status(): ViewStatus {
    return {
      frames: this.frames,
      refreshes: this.refreshes,
      live: { ...this.live },
      presentation: this.surface.presentation,
    };
  }

  /** A new device: rebind the canvas, and remake every layer's data on the next frame. */
  onDeviceChanged(scope: DeviceScope): void {
    this.scope = scope;
    this.surface.configure(scope.lab.runtime);
    this.disposeStates();
    this.states = this.layers.map(() => undefined);
    this.dirty = true;
  }

  dispose(): void {
    this.live = { live: false, visible: false };
    void this.serial(() => {
      this.disposeStates();
      this.surface.dispose();
    });
  }

  private visibleBounds(): Bounds {
    return fitView(this.bounds, this.surface.width, this.surface.height).visible;
  }

  private isStale(): boolean {
    const visible = this.visibleBounds();
    return this.layers.some((layer, i) => this.needsRefresh(layer, this.states[i], visible));
  }

  private needsRefresh(layer: ViewLayer, state: LayerState | undefined, visible: Bounds): boolean {
    if (!state) return true;
    const source = sourceOf(layer);
    if (sourceVersion(this.session, source) !== state.version) return true;
    const bounds = this.boundsOf(layer, visible);
    return bounds !== undefined && !sameBounds(bounds, state.bounds);
  }

  /** The bounds a layer's data depends on (none for point clouds and paths). */
  private boundsOf(layer: ViewLayer, visible: Bounds): Bounds | undefined {
    if (layer.kind === 'heatmap' || layer.kind === 'field') return visible;
    if (layer.kind === 'warp') return warpBounds(layer, visible);
    return undefined;
  }

  private async refresh(all: boolean, readLegend: boolean): Promise<void> {
    const scope = await this.session.ready();
    if (scope !== this.scope) this.onDeviceChanged(scope);
    const visible = this.visibleBounds();
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i]!;
      const old = this.states[i];
      if (!all && !this.needsRefresh(layer, old, visible)) continue;
      const source = sourceOf(layer);
      const version = sourceVersion(this.session, source);
      const prepared =
        layer.kind === 'points'
          ? await preparePoints(this.session, scope, layer)
          : layer.kind === 'heatmap'
            ? await prepareHeatmap(this.session, scope, layer, visible)
            : layer.kind === 'warp'
              ? await prepareWarp(this.session, scope, layer, visible)
              : layer.kind === 'trajectories'
                ? await prepareTrajectories(this.session, scope, layer)
                : await prepareField(this.session, scope, layer, visible);
      if (old) disposePrepared(old.prepared);
      this.states[i] = { prepared, version, bounds: this.boundsOf(layer, visible) };
      this.refreshes++;
    }
    if (readLegend) {
      const heat = this.layers.findIndex((l) => l.kind === 'heatmap');
      const prepared = this.states[heat]?.prepared;
      const layer = this.layers[heat];
      this.legend =
        prepared?.kind === 'heatmap' && layer?.kind === 'heatmap'
          ? await prepared.range.read(layer.colormap ?? 'viridis')
          : null;
    }
  }

  private drawables(): Drawable[] {
    const out: Drawable[] = [];
    this.layers.forEach((layer, i) => {
      const prepared = this.states[i]?.prepared;
      if (!prepared) return;
      if (layer.kind === 'points' && prepared.kind === 'points') {
        out.push(
          new PointCloud(prepared.buffer.buffer, prepared.count, {
            color: layer.color,
            alpha: layer.alpha,
            sizePx: layer.sizePx ?? 2,
          }),
        );
      } else if (layer.kind === 'heatmap' && prepared.kind === 'heatmap') {
        out.push(
          new Heatmap(
            prepared.values.buffer,
            prepared.range.buffer.buffer,
            prepared.grid,
            layer.colormap ?? 'viridis',
          ),
        );
      } else if (layer.kind === 'warp' && prepared.kind === 'warp') {
        out.push(
          new WarpGrid(
            prepared.stages.buffer,
            prepared.stageCount,
            prepared.geometry,
            layer.stage,
            {
              widthPx: layer.widthPx ?? 1.25,
              colors: WARP_COLORS,
            },
          ),
        );
      } else if (layer.kind === 'trajectories' && prepared.kind === 'trajectories') {
        out.push(
          new TrajectoryPaths(
            prepared.frames.buffer,
            prepared.count,
            prepared.times.length,
            endFrameAt(prepared.times, layer.upTo ?? 0),
            { color: layer.color, alpha: layer.alpha, widthPx: PATH_WIDTH_PX },
          ),
        );
      } else if (layer.kind === 'field' && prepared.kind === 'field') {
        out.push(
          new FieldArrows(prepared.arrows.buffer, prepared.count, prepared.lengthScale, {
            color: layer.color,
            alpha: layer.alpha,
            ...ARROW_STYLE,
          }),
        );
      }
    });
    return out;
  }

  /** One frame into the canvas: drawn, then presented (a copy surface waits for its pixels). */
  private async drawToCanvas() {
    const transform = await this.draw(() => this.surface.acquire(), this.surface.format);
    await this.surface.present();
    return transform;
  }

  private draw(acquire: () => RenderTarget, format: GPUTextureFormat) {
    return renderFrame(
      this.scope.lab.runtime,
      this.scope.renderPipelines,
      format,
      acquire,
      {
        bounds: this.bounds,
        pixelRatio: this.surface.cssSize.pixelRatio,
        background: this.background,
      },
      this.drawables(),
    );
  }

  private disposeStates(): void {
    for (const state of this.states) if (state) disposePrepared(state.prepared);
    this.states = [];
  }

  private serial<T>(work: () => T | Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch((error: unknown) => {
      // A compile can see a lost device before device.lost does: that starts the recovery.
      if (error instanceof GpuDeviceLostError) this.session.noticeLoss(this.scope, error);
    });
    return next;
  }
}

/** Validates a layer up front, so a bad one fails setViewLayers() rather than a later frame. */
function checkLayer(session: SessionHost, layer: ViewLayer): void {
  if (layer.kind === 'points') {
    checkPointStyle({ color: layer.color, alpha: layer.alpha, sizePx: layer.sizePx ?? 2 });
    const source = resolveSource(session, layer.source);
    if ('model' in source) {
      samplerOptions(source.model, layer.sample, layer.seed ?? 0, 'points.sample');
    }
  } else if (layer.kind === 'heatmap') {
    heatmapGrid(DEFAULT_BOUNDS, layer.resolution ?? 128);
    colormapStops(layer.colormap ?? 'viridis');
    if (!((layer.clipNats ?? 10) > 0)) {
      throw new RangeError(
        `heatmap.clipNats must be a positive number of nats, got ${layer.clipNats}.`,
      );
    }
    resolveSource(session, layer.source);
  } else if (layer.kind === 'warp') {
    session.models.get(layer.model); // an unknown id first, as before any other field
    warpGridPoints(layer.bounds ?? DEFAULT_BOUNDS, layer.lines ?? 17, layer.pointsPerLine ?? 64);
    if (layer.direction !== 'forward' && layer.direction !== 'inverse') {
      throw new RangeError(
        `warp.direction must be 'forward' or 'inverse', got "${String(layer.direction)}".`,
      );
    }
    if (!Number.isFinite(layer.stage)) {
      throw new RangeError(`warp.stage must be a number, got ${String(layer.stage)}.`);
    }
    warpModelOf(session, layer.model, layer.direction);
  } else if (layer.kind === 'trajectories') {
    checkPathStyle(
      { color: layer.color, alpha: layer.alpha, widthPx: PATH_WIDTH_PX },
      'trajectories',
    );
    endFrameAt([1, 0], layer.upTo ?? 0);
    const model = session.models.get(layer.model).model;
    samplerOptions(model, layer.sample, layer.seed ?? 0, 'trajectories.sample');
    if (!Number.isInteger(layer.count) || layer.count < 1 || layer.count > MAX_PATHS) {
      throw new RangeError(
        `trajectories.count must be an integer in [1, ${MAX_PATHS}], got ${String(layer.count)}.`,
      );
    }
  } else if (layer.kind === 'field') {
    checkArrowStyle({ color: layer.color, alpha: layer.alpha, ...ARROW_STYLE });
    arrowGrid(DEFAULT_BOUNDS, layer.resolution);
    const model = fieldModelOf(session, layer.model);
    if (!(layer.t >= 0 && layer.t <= 1) || (model.spec.kind === 'ddpm' && layer.t === 0)) {
      throw new RangeError(
        `field.t must be a time in ${model.spec.kind === 'ddpm' ? '(0, 1] (a DDPM model has no score without noise)' : '[0, 1]'}, got ${String(layer.t)}.`,
      );
    }
  } else {
    throw new TypeError(
      `A view layer has kind 'points', 'heatmap', 'warp', 'trajectories' or 'field', got "${String((layer as { kind: unknown }).kind)}".`,
    );
  }
}

function sameBounds(a: Bounds, b: Bounds | undefined): boolean {
  return b !== undefined && a.every((v, i) => v === b[i]);
}

function sourceOf(layer: ViewLayer): PointSource {
  return 'source' in layer ? layer.source : { model: layer.model };
}

/** Fields that only change how a layer is drawn, not the GPU data behind it. */
const DRAW_ONLY = new Set(['color', 'alpha', 'sizePx', 'colormap', 'stage', 'upTo', 'widthPx']);

function dataKey(layer: ViewLayer): string {
  return JSON.stringify(Object.entries(layer).filter(([key]) => !DRAW_ONLY.has(key)));
}

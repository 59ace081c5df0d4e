/**
 * A view: an OffscreenCanvas the page transferred, a list of layers (heatmap, warp grid, point
 * clouds, drawn in order), and the GPU data behind them. render() refreshes that data from the
 * current parameters and draws; a live view redraws on display frames while it is visible.
 */
import {
  CanvasSurface,
  Heatmap,
  PointCloud,
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
import type { DeviceScope, LabSession } from './session';
import {
  disposePrepared,
  prepareHeatmap,
  preparePoints,
  prepareWarp,
  resolveSource,
  sourceVersion,
  tracerOf,
  warpBounds,
  type Prepared,
} from './view-sources';

const DEFAULT_BOUNDS: Bounds = [-4, -4, 4, 4];
const DEFAULT_BACKGROUND: [number, number, number, number] = [0.06, 0.06, 0.08, 1];
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
  private readonly surface: CanvasSurface;
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
    private readonly session: LabSession,
    scope: DeviceScope,
  ) {
    this.scope = scope;
    this.bounds = checkBounds(options.bounds ?? DEFAULT_BOUNDS, 'view bounds');
    this.background = options.background ?? DEFAULT_BACKGROUND;
    this.surface = new CanvasSurface(canvas, scope.lab.runtime.device, {
      cssWidth: options.cssWidth,
      cssHeight: options.cssHeight,
      pixelRatio: options.pixelRatio,
    });
  }

  setLayers(layers: ViewLayer[]): Promise<void> {
    layers.forEach((layer) => checkLayer(this.session, layer));
    return this.serial(() => {
      this.disposeStates();
      this.layers = layers.map((layer) => ({ ...layer }));
      this.states = layers.map(() => undefined);
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

  /** Refreshes what is stale (or everything with refresh: true) and draws into the canvas. */
  render(options: RenderOptions = {}): Promise<RenderReport> {
    return this.serial(async () => {
      const started = performance.now();
      await this.refresh(options.refresh ?? true, true);
      const transform = await this.draw(() => this.surface.acquire(), this.surface.format);
      this.frames++;
      this.dirty = false;
      const { cssWidth, cssHeight } = this.surface.cssSize;
      const warp = this.states.find((s) => s?.prepared.kind === 'warp')?.prepared;
      return {
        view: this.id,
        width: this.surface.width,
        height: this.surface.height,
        ms: performance.now() - started,
        visible: transform.visible,
        ticks: axisTicks(transform, cssWidth, cssHeight),
        legend: this.legend,
        warpStages: warp?.kind === 'warp' ? warp.stageCount : null,
        nfe: null,
        field: null,
      };
    });
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
      if (!this.dirty) return;
      await this.draw(() => this.surface.acquire(), this.surface.format);
      this.frames++;
      this.dirty = false;
    });
  }

  status(): ViewStatus {
    return { frames: this.frames, refreshes: this.refreshes, live: { ...this.live } };
  }

  /** A new device: rebind the canvas, and remake every layer's data on the next frame. */
  onDeviceChanged(scope: DeviceScope): void {
    this.scope = scope;
    this.surface.configure(scope.lab.runtime.device);
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

  /** The bounds a layer's data depends on (none for point clouds). */
  private boundsOf(layer: ViewLayer, visible: Bounds): Bounds | undefined {
    if (layer.kind === 'heatmap') return visible;
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
              : unsupported(layer);
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
      }
    });
    return out;
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
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** Validates a layer up front, so a bad one fails setViewLayers() rather than a later frame. */
function checkLayer(session: LabSession, layer: ViewLayer): void {
  if (layer.kind === 'points') {
    checkPointStyle({ color: layer.color, alpha: layer.alpha, sizePx: layer.sizePx ?? 2 });
    resolveSource(session, layer.source);
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
    tracerOf(session, layer.model);
    warpGridPoints(layer.bounds ?? DEFAULT_BOUNDS, layer.lines ?? 17, layer.pointsPerLine ?? 64);
    if (layer.direction !== 'forward' && layer.direction !== 'inverse') {
      throw new RangeError(
        `warp.direction must be 'forward' or 'inverse', got "${String(layer.direction)}".`,
      );
    }
    if (!Number.isFinite(layer.stage)) {
      throw new RangeError(`warp.stage must be a number, got ${String(layer.stage)}.`);
    }
  } else if (layer.kind === 'trajectories' || layer.kind === 'field') {
    unsupported(layer);
  } else {
    throw new TypeError(
      `A view layer has kind 'points', 'heatmap' or 'warp', got "${String((layer as { kind: unknown }).kind)}".`,
    );
  }
}

function sameBounds(a: Bounds, b: Bounds | undefined): boolean {
  return b !== undefined && a.every((v, i) => v === b[i]);
}

function sourceOf(layer: ViewLayer): PointSource {
  return 'source' in layer ? layer.source : { model: layer.model };
}

function unsupported(layer: ViewLayer): never {
  throw new Error(`View layers of kind '${layer.kind}' are not drawn by this worker yet.`);
}

/**
 * GPU views as the playground sees them: layers in the notebook's terms (Train cell ids and
 * data sources rather than the worker's handles), drawn by the GPU side onto canvases the page
 * transfers. Part of the LabClient interface (its optional `views`).
 */
import type { DataSource, SamplerName } from '../../notebook';
import type {
  AxisTicks,
  Bounds,
  FieldLegend,
  HeatmapLegend,
  LiveOptions,
  PixelImage,
} from '../../worker/api';

export type { AxisTicks, Bounds, FieldLegend, HeatmapLegend, LiveOptions, PixelImage };

/** A sampler of a diffusion / flow-matching model and its step count. */
export interface SamplerChoice {
  sampler: SamplerName;
  steps: number;
}

/** sRGB in [0, 1]. */
export type Rgb = [number, number, number];

/** Where a layer's points or density come from: a Train cell's model, or a data source. */
export type LayerSource = { run: string } | { data: DataSource };

/** A view layer in the notebook's terms (Train cell ids, data sources), not the worker's handles. */
export type ViewLayerRequest =
  | {
      kind: 'points';
      source: LayerSource;
      count: number;
      seed: number;
      color: Rgb;
      alpha: number;
      sample?: SamplerChoice;
    }
  | { kind: 'heatmap'; source: LayerSource; resolution?: number }
  /** stage: 0 … stages − 1 (flows: layers; ODE models: time steps); fractions blend. */
  | { kind: 'warp'; run: string; stage: number; lines?: number; pointsPerLine?: number }
  | {
      kind: 'trajectories';
      run: string;
      count: number;
      seed: number;
      /** Paths from noise (1) down to this time in [0, 1]. */
      upTo: number;
      color: Rgb;
      alpha: number;
      sample?: SamplerChoice;
    }
  | { kind: 'field'; run: string; t: number; resolution: number; color: Rgb; alpha: number };

export interface ViewSetup {
  cssWidth: number;
  cssHeight: number;
  pixelRatio: number;
  bounds: Bounds;
}

/** What a render drew: sizes, axis ticks, legends and the sampler's cost. */
export interface ViewReport {
  width: number;
  height: number;
  visible: Bounds;
  ticks: AxisTicks;
  legend: HeatmapLegend | null;
  warpStages: number | null;
  /** Network evaluations per sample of the diffusion / flow-matching sampler drawn, or null. */
  nfe: number | null;
  field: FieldLegend | null;
}

export interface ViewClient {
  /** Takes over `canvas` (transferred) and returns the view's id. */
  createView(canvas: OffscreenCanvas, setup: ViewSetup): Promise<string>;
  setLayers(view: string, layers: ViewLayerRequest[]): Promise<void>;
  setBounds(view: string, bounds: Bounds): Promise<void>;
  resize(view: string, cssWidth: number, cssHeight: number, pixelRatio: number): Promise<void>;
  /** Recomputes the layers from the current parameters and draws. */
  render(view: string): Promise<ViewReport>;
  /** Moves the warp layer's stage without recomputing it. */
  setWarpStage(view: string, stage: number): Promise<ViewReport>;
  setLive(view: string, live: LiveOptions): Promise<void>;
  /** The current frame read back (straight RGBA, top row first). */
  readPixels(view: string): Promise<PixelImage>;
  dispose(view: string): Promise<void>;
}

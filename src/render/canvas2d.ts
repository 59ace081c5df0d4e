/**
 * The views drawn with a 2-D canvas context, for browsers without WebGPU: the same layers as
 * the WebGPU pipelines (density heatmap, warp grid, points, sample paths, field arrows) from
 * CPU arrays, in the same places (view-transform.ts) and colours (colormaps.ts). Simpler
 * pixels than the GPU's (no analytic anti-aliasing), the same picture.
 */
import { colormapAt, type ColormapName } from './colormaps';
import type { HeatmapGrid, HeatmapLegend } from './heatmap';
import type { WarpGeometry } from './warp';
import { fitView, type Bounds, type ViewTransform } from './view-transform';

type Rgb = readonly [number, number, number];
type Context2d = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

export type Layer2d =
  | {
      kind: 'heatmap';
      grid: HeatmapGrid;
      /** log p per cell, row-major from yMin (gridCentres' order). */
      values: Float32Array;
      /** The colour range (heatmapRange2d), null when no value is finite. */
      range: { min: number; max: number } | null;
      colormap: ColormapName;
    }
  | {
      kind: 'warp';
      /** Every stage's points (warpGridPoints' order). */
      stages: readonly Float32Array[];
      geometry: WarpGeometry;
      /** 0 … stages − 1; fractions blend neighbours. */
      stage: number;
      widthPx: number;
      /** RGBA of the two line families. */
      colors: readonly (readonly number[])[];
    }
  | { kind: 'points'; points: Float32Array; color: Rgb; alpha: number; sizePx: number }
  | {
      kind: 'paths';
      /** Frame-major positions, frame 0 at the noise end. */
      frames: readonly Float32Array[];
      /** Fractional last frame (endFrameAt). */
      endFrame: number;
      color: Rgb;
      alpha: number;
      widthPx: number;
    }
  | {
      kind: 'arrows';
      /** (x, y, vx, vy) per arrow, centred on (x, y). */
      arrows: Float32Array;
      lengthScale: number;
      color: Rgb;
      alpha: number;
      widthPx: number;
      headPx: number;
    };

export interface Scene2d {
  bounds: Bounds;
  /** Device pixels per CSS pixel. */
  pixelRatio: number;
  /** Straight RGBA in [0, 1]. */
  background: readonly [number, number, number, number];
  layers: readonly Layer2d[];
}

/**
 * The colour range of a grid of log p, as shaders/render/heatmap-range.wgsl computes it: the top
 * is the largest finite value, the bottom at most `clipNats` below it.
 */
export function heatmapRange2d(
  values: ArrayLike<number>,
  clipNats: number,
  colormap: ColormapName,
): HeatmapLegend | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi >= lo)) return null;
  const bottom = Math.max(lo, hi - clipNats);
  return { min: bottom, max: Math.max(hi, bottom + 1e-3), lowest: lo, unit: 'nats', colormap };
}

function css(color: Rgb, alpha: number): string {
  const [r, g, b] = color.map((c) => Math.round(Math.min(1, Math.max(0, c)) * 255));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** Draws `scene` over the whole context (width × height device pixels); returns the transform. */
export function drawScene2d(
  context: Context2d,
  width: number,
  height: number,
  scene: Scene2d,
): ViewTransform {
  const transform = fitView(scene.bounds, width, height);
  const [xMin, yMin, xMax, yMax] = transform.visible;
  const px = (x: number) => ((x - xMin) / (xMax - xMin)) * width;
  const py = (y: number) => ((yMax - y) / (yMax - yMin)) * height;
  const [r, g, b, a] = scene.background;
  context.clearRect(0, 0, width, height);
  context.fillStyle = css([r, g, b], a);
  context.fillRect(0, 0, width, height);
  const ratio = scene.pixelRatio;
  for (const layer of scene.layers) {
    switch (layer.kind) {
      case 'heatmap':
        drawHeatmap(context, layer, px, py);
        break;
      case 'warp':
        drawWarp(context, layer, px, py, ratio);
        break;
      case 'points': {
        context.fillStyle = css(layer.color, layer.alpha);
        const size = Math.max(1, layer.sizePx * ratio);
        const p = layer.points;
        for (let i = 0; i + 1 < p.length; i += 2) {
          const x = px(p[i]!);
          const y = py(p[i + 1]!);
          if (Number.isFinite(x) && Number.isFinite(y)) {
            context.fillRect(x - size / 2, y - size / 2, size, size);
          }
        }
        break;
      }
      case 'paths':
        drawPaths(context, layer, px, py, ratio);
        break;
      case 'arrows':
        drawArrows(context, layer, px, py, ratio);
        break;
    }
  }
  return transform;
}

type Axis = (v: number) => number;

function drawHeatmap(
  context: Context2d,
  layer: Extract<Layer2d, { kind: 'heatmap' }>,
  px: Axis,
  py: Axis,
): void {
  const { grid, values, range } = layer;
  if (!range) return;
  const image = new ImageData(grid.width, grid.height);
  const span = Math.max(range.max - range.min, 1e-6);
  for (let j = 0; j < grid.height; j++) {
    for (let i = 0; i < grid.width; i++) {
      const v = values[j * grid.width + i]!;
      // −∞ (no mass) and NaN draw as the bottom of the range.
      const t = Number.isFinite(v) ? (v - range.min) / span : 0;
      const [cr, cg, cb] = colormapAt(layer.colormap, t);
      // Row 0 of the grid is at yMin: the bottom row of the image.
      const k = 4 * ((grid.height - 1 - j) * grid.width + i);
      image.data[k] = cr * 255;
      image.data[k + 1] = cg * 255;
      image.data[k + 2] = cb * 255;
      image.data[k + 3] = 255;
    }
  }
  const cells = new OffscreenCanvas(grid.width, grid.height);
  cells.getContext('2d')!.putImageData(image, 0, 0);
  const [xMin, yMin, xMax, yMax] = grid.bounds;
  context.imageSmoothingEnabled = true;
  context.drawImage(cells, px(xMin), py(yMax), px(xMax) - px(xMin), py(yMin) - py(yMax));
}

function drawWarp(
  context: Context2d,
  layer: Extract<Layer2d, { kind: 'warp' }>,
  px: Axis,
  py: Axis,
  ratio: number,
): void {
  const { stages, geometry } = layer;
  if (stages.length === 0) return;
  const s = Math.min(stages.length - 1, Math.max(0, layer.stage));
  const k = Math.min(Math.floor(s), stages.length - 2);
  const f = stages.length > 1 ? s - k : 0;
  const from = stages[Math.max(0, k)]!;
  const to = stages[Math.min(stages.length - 1, k + 1)]!;
  const at = (i: number): [number, number] => [
    from[2 * i]! + (to[2 * i]! - from[2 * i]!) * f,
    from[2 * i + 1]! + (to[2 * i + 1]! - from[2 * i + 1]!) * f,
  ];
  context.lineWidth = layer.widthPx * ratio;
  for (let line = 0; line < geometry.lineCount; line++) {
    const color = layer.colors[line < geometry.firstFamily ? 0 : 1] ?? [1, 1, 1, 1];
    context.strokeStyle = css([color[0]!, color[1]!, color[2]!], color[3] ?? 1);
    context.beginPath();
    for (let p = 0; p < geometry.pointsPerLine; p++) {
      const [x, y] = at(line * geometry.pointsPerLine + p);
      if (p === 0) context.moveTo(px(x), py(y));
      else context.lineTo(px(x), py(y));
    }
    context.stroke();
  }
}

function drawPaths(
  context: Context2d,
  layer: Extract<Layer2d, { kind: 'paths' }>,
  px: Axis,
  py: Axis,
  ratio: number,
): void {
  const { frames } = layer;
  if (frames.length < 2) return;
  const end = Math.min(frames.length - 1, Math.max(0, layer.endFrame));
  const whole = Math.floor(end);
  const f = end - whole;
  const count = frames[0]!.length / 2;
  context.strokeStyle = css(layer.color, layer.alpha);
  context.lineWidth = layer.widthPx * ratio;
  context.beginPath();
  for (let i = 0; i < count; i++) {
    context.moveTo(px(frames[0]![2 * i]!), py(frames[0]![2 * i + 1]!));
    for (let k = 1; k <= whole; k++) {
      context.lineTo(px(frames[k]![2 * i]!), py(frames[k]![2 * i + 1]!));
    }
    if (f > 0 && whole + 1 < frames.length) {
      const [a, b] = [frames[whole]!, frames[whole + 1]!];
      const x = a[2 * i]! + (b[2 * i]! - a[2 * i]!) * f;
      const y = a[2 * i + 1]! + (b[2 * i + 1]! - a[2 * i + 1]!) * f;
      context.lineTo(px(x), py(y));
    }
  }
  context.stroke();
}

function drawArrows(
  context: Context2d,
  layer: Extract<Layer2d, { kind: 'arrows' }>,
  px: Axis,
  py: Axis,
  ratio: number,
): void {
  const { arrows, lengthScale } = layer;
  context.strokeStyle = css(layer.color, layer.alpha);
  context.lineWidth = layer.widthPx * ratio;
  context.beginPath();
  for (let i = 0; i + 3 < arrows.length; i += 4) {
    const [x, y, vx, vy] = [arrows[i]!, arrows[i + 1]!, arrows[i + 2]!, arrows[i + 3]!];
    const hx = 0.5 * vx * lengthScale;
    const hy = 0.5 * vy * lengthScale;
    const [ax, ay, bx, by] = [px(x - hx), py(y - hy), px(x + hx), py(y + hy)];
    const length = Math.hypot(bx - ax, by - ay);
    if (!Number.isFinite(length) || length < 0.5) continue;
    context.moveTo(ax, ay);
    context.lineTo(bx, by);
    const head = Math.min(layer.headPx * ratio, 0.5 * length);
    const [ux, uy] = [(bx - ax) / length, (by - ay) / length];
    context.moveTo(bx - head * (ux + 0.5 * uy), by - head * (uy - 0.5 * ux));
    context.lineTo(bx, by);
    context.lineTo(bx - head * (ux - 0.5 * uy), by - head * (uy + 0.5 * ux));
  }
  context.stroke();
}

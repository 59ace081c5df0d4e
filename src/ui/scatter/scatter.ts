import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { cssomStyle } from '../cssom-style';
import { customElement, property, state } from 'lit/decorators.js';
import { scatterStyles } from './scatter.styles';
import { pngFromRgba, PictureUrls } from '../picture';

/** Okabe–Ito colours (safe for the common colour-vision deficiencies). */
export const PALETTE = { data: '#0072B2', samples: '#D55E00' } as const;

export interface ScatterLayer {
  label: string;
  color: string;
  points: Float32Array;
}

/** [xMin, yMin, xMax, yMax] of a square that holds most of `points`, with a margin. */
export function squareBounds(points: Float32Array | undefined): [number, number, number, number] {
  if (!points || points.length < 2) return [-4, -4, 4, 4];
  let xMin = Infinity;
  let yMin = Infinity;
  let xMax = -Infinity;
  let yMax = -Infinity;
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = points[i]!;
    const y = points[i + 1]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    xMin = Math.min(xMin, x);
    xMax = Math.max(xMax, x);
    yMin = Math.min(yMin, y);
    yMax = Math.max(yMax, y);
  }
  if (!Number.isFinite(xMin)) return [-4, -4, 4, 4];
  const half = (Math.max(xMax - xMin, yMax - yMin, 1e-3) / 2) * 1.15;
  const cx = (xMin + xMax) / 2;
  const cy = (yMin + yMax) / 2;
  return [cx - half, cy - half, cx + half, cy + half];
}

/** The plot's side in pixels. */
export const SCATTER_SIDE = 400;
/** Opacity of one point and of a grid line. */
const POINT_ALPHA = 0.55;
const GRID = { rgb: [128, 128, 128], alpha: 0.35 } as const;

/** Blends colour `rgb` at opacity `alpha` over pixel `i` of straight-alpha RGBA `image`. */
function blend(image: Uint8ClampedArray, i: number, rgb: readonly number[], alpha: number): void {
  const below = image[i + 3]! / 255;
  const out = alpha + below * (1 - alpha);
  for (let c = 0; c < 3; c++) {
    image[i + c] = (rgb[c]! * alpha + image[i + c]! * below * (1 - alpha)) / out;
  }
  image[i + 3] = out * 255;
}

/**
 * The plot's pixels (straight RGBA, top row first, transparent background): grid lines at the
 * integers, then each layer's points as 3×3 squares at opacity 0.55, in order.
 */
export function rasterizeScatter(
  layers: readonly ScatterLayer[],
  [xMin, yMin, xMax, yMax]: readonly [number, number, number, number],
  side = SCATTER_SIDE,
): Uint8ClampedArray {
  const image = new Uint8ClampedArray(side * side * 4);
  const sx = side / (xMax - xMin);
  const sy = side / (yMax - yMin);
  for (let t = Math.ceil(xMin); t <= Math.floor(xMax); t++) {
    const x = Math.min(side - 1, Math.floor((t - xMin) * sx));
    for (let y = 0; y < side; y++) blend(image, 4 * (y * side + x), GRID.rgb, GRID.alpha);
  }
  for (let t = Math.ceil(yMin); t <= Math.floor(yMax); t++) {
    const y = Math.min(side - 1, Math.floor(side - (t - yMin) * sy));
    for (let x = 0; x < side; x++) blend(image, 4 * (y * side + x), GRID.rgb, GRID.alpha);
  }
  for (const layer of layers) {
    const rgb = [1, 3, 5].map((i) => parseInt(layer.color.slice(i, i + 2), 16));
    const points = layer.points;
    for (let i = 0; i + 1 < points.length; i += 2) {
      const px = (points[i]! - xMin) * sx;
      const py = side - (points[i + 1]! - yMin) * sy;
      if (!(px >= 0 && px < side && py >= 0 && py < side)) continue;
      const cx = Math.floor(px);
      const cy = Math.floor(py);
      for (let y = Math.max(0, cy - 1); y <= Math.min(side - 1, cy + 1); y++) {
        for (let x = Math.max(0, cx - 1); x <= Math.min(side - 1, cx + 1); x++) {
          blend(image, 4 * (y * side + x), rgb, POINT_ALPHA);
        }
      }
    }
  }
  return image;
}

/**
 * A square point plot: several layers of 2-D points, drawn in order. Renders only. The plot is a
 * PNG picture drawn in JavaScript, not a canvas (see picture.ts: a 2-D canvas blocked the page).
 */
@customElement('ff-scatter')
export class FfScatter extends LitElement {
  static override styles = scatterStyles;

  @property({ attribute: false }) layers: ScatterLayer[] = [];
  /** Fixed bounds; by default those of the first layer. */
  @property({ attribute: false }) bounds?: [number, number, number, number];
  /** The plot's accessible name. */
  @property() label = 'Point plot';
  /** The PNG of the plot now shown (undefined before the first draw). */
  png: Blob | undefined;
  @state() private url = '';
  private readonly urls = new PictureUrls();

  override render() {
    return html`<img
        src=${this.url || nothing}
        width=${SCATTER_SIDE}
        height=${SCATTER_SIDE}
        alt=${this.label}
        decoding="async"
        draggable="false"
      />
      ${
        this.layers.length
          ? html`<div class="legend" aria-hidden="true">
              ${this.layers.map(
                (layer) =>
                  html`<span
                    ><span class="swatch" ${cssomStyle({ background: layer.color })}></span
                    >${layer.label}</span
                  >`,
              )}
            </div>`
          : nothing
      }`;
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('layers') || changed.has('bounds') || !this.png) this.draw();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Moved in the page: its pictures were released on leaving; draw them again.
    if (this.hasUpdated) this.requestUpdate();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.urls.dispose();
    this.url = '';
    this.png = undefined;
  }

  private draw(): void {
    const bounds = this.bounds ?? squareBounds(this.layers[0]?.points);
    this.png = pngFromRgba(rasterizeScatter(this.layers, bounds), SCATTER_SIDE, SCATTER_SIDE);
    this.url = this.urls.add(this.png);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-scatter': FfScatter;
  }
}

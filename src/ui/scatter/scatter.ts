import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { styleMap } from 'lit/directives/style-map.js';
import { scatterStyles } from './scatter.styles';

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

/** A square point plot on a canvas: several layers of 2-D points, drawn in order. Renders only. */
@customElement('ff-scatter')
export class FfScatter extends LitElement {
  static override styles = scatterStyles;

  @property({ attribute: false }) layers: ScatterLayer[] = [];
  /** Fixed bounds; by default those of the first layer. */
  @property({ attribute: false }) bounds?: [number, number, number, number];
  /** The canvas's accessible name. */
  @property() label = 'Point plot';

  @query('canvas') canvas!: HTMLCanvasElement;

  override render() {
    return html`<canvas width="400" height="400" role="img" aria-label=${this.label}></canvas> ${
        this.layers.length
          ? html`<div class="legend" aria-hidden="true">
              ${this.layers.map(
                (layer) =>
                  html`<span
                    ><span class="swatch" style=${styleMap({ background: layer.color })}></span
                    >${layer.label}</span
                  >`,
              )}
            </div>`
          : nothing
      }`;
  }

  protected override updated(_changed: PropertyValues): void {
    this.draw();
  }

  draw(): void {
    const context = this.canvas?.getContext('2d');
    if (!context) return;
    const { width, height } = this.canvas;
    context.clearRect(0, 0, width, height);
    const [xMin, yMin, xMax, yMax] = this.bounds ?? squareBounds(this.layers[0]?.points);
    context.strokeStyle = 'rgba(128,128,128,0.35)';
    context.lineWidth = 1;
    const sx = width / (xMax - xMin);
    const sy = height / (yMax - yMin);
    context.beginPath();
    for (let t = Math.ceil(xMin); t <= Math.floor(xMax); t++) {
      context.moveTo((t - xMin) * sx, 0);
      context.lineTo((t - xMin) * sx, height);
    }
    for (let t = Math.ceil(yMin); t <= Math.floor(yMax); t++) {
      context.moveTo(0, height - (t - yMin) * sy);
      context.lineTo(width, height - (t - yMin) * sy);
    }
    context.stroke();
    for (const layer of this.layers) {
      context.fillStyle = layer.color;
      context.globalAlpha = 0.55;
      const points = layer.points;
      for (let i = 0; i + 1 < points.length; i += 2) {
        const px = (points[i]! - xMin) * sx;
        const py = height - (points[i + 1]! - yMin) * sy;
        if (px >= 0 && px < width && py >= 0 && py < height)
          context.fillRect(px - 1.5, py - 1.5, 3, 3);
      }
    }
    context.globalAlpha = 1;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-scatter': FfScatter;
  }
}

import { LitElement, html, svg, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { lossPlotStyles } from './loss-plot.styles';

/** Exponential moving average with factor `alpha` (0: none), bias-corrected like TensorBoard's. */
export function smooth(values: readonly number[], alpha: number): number[] {
  const out: number[] = [];
  let average = 0;
  for (let i = 0; i < values.length; i++) {
    average = alpha * average + (1 - alpha) * values[i]!;
    out.push(average / (1 - alpha ** (i + 1)));
  }
  return out;
}

/** Buckets along x: each draws its first value (smoothed curve) or its min and max (raw). */
export const MAX_POINTS = 600;

/** Smallest and largest finite value, by a loop (Math.min(...xs) throws past ~10⁵ values). */
export function finiteRange(values: readonly number[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}
const W = 600;
const H = 160;
const PAD = { left: 44, right: 8, top: 8, bottom: 18 };

/** The loss curve as SVG: raw losses faint, the smoothed curve on top; linear or log scale. */
@customElement('ff-loss-plot')
export class FfLossPlot extends LitElement {
  static override styles = lossPlotStyles;

  @property({ attribute: false }) losses: readonly number[] = [];
  @property({ type: Number }) smoothing = 0.6;
  @property({ type: Boolean, attribute: 'log-scale' }) logScale = false;

  override render() {
    const losses = this.losses;
    const summary = losses.length
      ? `Loss curve over ${losses.length} steps, from ${losses[0]!.toFixed(3)} to ${losses[losses.length - 1]!.toFixed(3)}.`
      : 'Loss curve: no steps yet.';
    if (losses.length < 2) {
      return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${summary}>
        <text x=${W / 2} y=${H / 2} text-anchor="middle">No training steps yet</text>
      </svg>`;
    }
    const smoothed = smooth(losses, this.smoothing);
    // Log scale of a loss that may be negative (NLL in nats): shift so the minimum sits at 1.
    const { min, max } = finiteRange(losses);
    if (!Number.isFinite(min)) {
      return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${summary}>
        <text x=${W / 2} y=${H / 2} text-anchor="middle">No finite loss yet</text>
      </svg>`;
    }
    const shift = this.logScale ? 1 - min : 0;
    const f = (v: number) => (this.logScale ? Math.log10(v + shift) : v);
    const lo = f(min);
    const hi = f(max) > lo ? f(max) : lo + 1;
    const stride = Math.max(1, Math.ceil(losses.length / MAX_POINTS));
    const x = (i: number) => PAD.left + (i / (losses.length - 1)) * (W - PAD.left - PAD.right);
    const y = (v: number) => PAD.top + (1 - (f(v) - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
    const path = (values: readonly number[], extremes: boolean) => {
      const points: string[] = [];
      const add = (i: number, v: number) =>
        points.push(`${points.length ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      for (let start = 0; start < values.length; start += stride) {
        if (!extremes || stride === 1) {
          const v = values[start]!;
          if (Number.isFinite(v)) add(start, v);
          continue;
        }
        // Raw losses: the bucket's min and max, in step order, so spikes stay visible.
        const end = Math.min(values.length, start + stride);
        let lo = -1;
        let hi = -1;
        for (let i = start; i < end; i++) {
          const v = values[i]!;
          if (!Number.isFinite(v)) continue;
          if (lo < 0 || v < values[lo]!) lo = i;
          if (hi < 0 || v > values[hi]!) hi = i;
        }
        for (const i of lo < 0 ? [] : lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) {
          add(i, values[i]!);
        }
      }
      return points.join('');
    };
    return html`<svg
      viewBox="0 0 ${W} ${H}"
      preserveAspectRatio="none"
      role="img"
      aria-label=${summary}
    >
      ${svg`<path class="raw" fill="none" d=${path(losses, true)}></path>
        <path class="smooth" fill="none" d=${path(smoothed, false)}></path>
        <text x="2" y=${PAD.top + 10}>${max.toPrecision(3)}</text>
        <text x="2" y=${H - PAD.bottom}>${min.toPrecision(3)}</text>
        <text x=${W - PAD.right} y=${H - 4} text-anchor="end">step ${losses.length}</text>
        ${this.logScale ? svg`<text x=${PAD.left + 4} y=${PAD.top + 10}>log scale</text>` : nothing}`}
    </svg>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-loss-plot': FfLossPlot;
  }
}

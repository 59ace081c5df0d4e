import { LitElement, html, svg, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { lossPlotStyles } from './loss-plot.styles';
import { EMPTY_LOSSES, type LossHistory } from '../controllers/loss-history';

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
export function finiteRange(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}
const W = 600;
const H = 160;
const PAD = { left: 44, right: 8, top: 8, bottom: 18 };

/**
 * EMA of per-bucket means: a bucket of `size` steps decays the average by alpha^size, which for
 * exact histories (size 1) is `smooth` itself. Non-finite means (a bucket with no finite loss,
 * a gap) leave the average as it was and give NaN at that point (not drawn).
 */
export function smoothBuckets(means: ArrayLike<number>, alpha: number, size: number): number[] {
  const decay = alpha ** size;
  const out: number[] = [];
  let average = 0;
  let weight = 0;
  for (let i = 0; i < means.length; i++) {
    const m = means[i]!;
    if (!Number.isFinite(m)) {
      out.push(Number.NaN);
      continue;
    }
    average = decay * average + (1 - decay) * m;
    weight = decay * weight + (1 - decay);
    out.push(average / weight);
  }
  return out;
}

/** A held-out evaluation at a training step. */
export interface HeldOutPoint {
  step: number;
  bits: number;
  /** Drawn as a bar from bits − SE to bits + SE where finite and positive (the ODE's estimate). */
  standardError?: number;
}

/** The half-length of a point's error bar, or 0 for none. */
function errorOf(p: HeldOutPoint): number {
  const se = p.standardError;
  return se !== undefined && Number.isFinite(se) && se > 0 ? se : 0;
}

/** The loss curve as SVG: raw losses faint, the smoothed curve on top; linear or log scale. */
@customElement('ff-loss-plot')
export class FfLossPlot extends LitElement {
  static override styles = lossPlotStyles;

  /** The run's history (mutable: `revision` tells when it changed). */
  @property({ attribute: false }) losses: LossHistory = EMPTY_LOSSES;
  @property({ type: Number }) revision = 0;
  @property({ type: Number }) smoothing = 0.6;
  @property({ type: Boolean, attribute: 'log-scale' }) logScale = false;
  /** Held-out evaluations (an image flow's bits/dim) drawn as dots over the training loss. */
  @property({ attribute: false }) heldOut: readonly HeldOutPoint[] = [];

  override render() {
    const history = this.losses;
    const steps = history.length;
    const buckets = history.bucketsView();
    const first = buckets.count ? buckets.mean[0]! : 0;
    const held = this.heldOut.filter((p) => Number.isFinite(p.bits));
    const lastHeld = held.at(-1);
    const summary =
      (steps
        ? `Loss curve over ${steps} steps, from ${first.toFixed(3)} to ${(history.last ?? Number.NaN).toFixed(3)}.`
        : 'Loss curve: no steps yet.') +
      (lastHeld
        ? ` Held-out ${lastHeld.bits.toFixed(3)}${errorOf(lastHeld) ? ` ± ${errorOf(lastHeld).toFixed(3)}` : ''} bits/dim at step ${lastHeld.step}.`
        : '');
    if (steps < 2) {
      return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${summary}>
        <text x=${W / 2} y=${H / 2} text-anchor="middle">No training steps yet</text>
      </svg>`;
    }
    const smoothed = smoothBuckets(buckets.mean, this.smoothing, buckets.size);
    const { min: lowest } = finiteRange(buckets.min);
    const { max: highest } = finiteRange(buckets.max);
    const [min, max] = [
      Math.min(lowest, ...held.map((p) => p.bits - errorOf(p))),
      Math.max(highest, ...held.map((p) => p.bits + errorOf(p))),
    ];
    if (!Number.isFinite(min)) {
      return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${summary}>
        <text x=${W / 2} y=${H / 2} text-anchor="middle">No finite loss yet</text>
      </svg>`;
    }
    // Log scale of a loss that may be negative (NLL in nats): shift so the minimum sits at 1.
    const shift = this.logScale ? 1 - min : 0;
    const f = (v: number) => (this.logScale ? Math.log10(v + shift) : v);
    const lo = f(min);
    const hi = f(max) > lo ? f(max) : lo + 1;
    const count = buckets.count;
    const stride = Math.max(1, Math.ceil(count / MAX_POINTS));
    const x = (i: number) => PAD.left + (i / Math.max(1, count - 1)) * (W - PAD.left - PAD.right);
    const y = (v: number) => PAD.top + (1 - (f(v) - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
    const path = (points: [number, number][]) =>
      points.map(([i, v], k) => `${k ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
    const raw: [number, number][] = [];
    const smooth: [number, number][] = [];
    for (let start = 0; start < count; start += stride) {
      const s = smoothed[start]!;
      if (Number.isFinite(s)) smooth.push([start, s]);
      if (stride === 1 && buckets.size === 1) {
        const v = buckets.mean[start]!;
        if (Number.isFinite(v)) raw.push([start, v]);
        continue;
      }
      // Raw losses: the extremes of the plot bucket, in step order, so spikes stay visible.
      const end = Math.min(count, start + stride);
      let lowAt = -1;
      let highAt = -1;
      for (let i = start; i < end; i++) {
        if (!Number.isFinite(buckets.min[i]!)) continue;
        if (lowAt < 0 || buckets.min[i]! < buckets.min[lowAt]!) lowAt = i;
        if (highAt < 0 || buckets.max[i]! > buckets.max[highAt]!) highAt = i;
      }
      if (lowAt < 0) continue;
      const low: [number, number] = [lowAt, buckets.min[lowAt]!];
      const high: [number, number] = [highAt, buckets.max[highAt]!];
      if (low[0] === high[0] && low[1] === high[1]) raw.push(low);
      else raw.push(...(lowAt <= highAt ? [low, high] : [high, low]));
    }
    return html`<svg
      viewBox="0 0 ${W} ${H}"
      preserveAspectRatio="none"
      role="img"
      aria-label=${summary}
    >
      ${svg`<path class="raw" fill="none" d=${path(raw)}></path>
        <path class="smooth" fill="none" d=${path(smooth)}></path>
        ${held.map((p) => {
          const cx = x(Math.min(count - 1, Math.max(0, (p.step - 1) / buckets.size))).toFixed(1);
          const se = errorOf(p);
          return svg`${se ? svg`<line class="held-out-error" x1=${cx} x2=${cx} y1=${y(p.bits + se).toFixed(1)} y2=${y(p.bits - se).toFixed(1)}></line>` : nothing}<circle class="held-out" r="2.5" cx=${cx} cy=${y(p.bits).toFixed(1)}></circle>`;
        })}
        <text x="2" y=${PAD.top + 10}>${max.toPrecision(3)}</text>
        <text x="2" y=${H - PAD.bottom}>${min.toPrecision(3)}</text>
        <text x=${W - PAD.right} y=${H - 4} text-anchor="end">step ${steps}</text>
        ${this.logScale ? svg`<text x=${PAD.left + 4} y=${PAD.top + 10}>log scale</text>` : nothing}`}
    </svg>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-loss-plot': FfLossPlot;
  }
}

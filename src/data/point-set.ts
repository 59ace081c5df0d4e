/**
 * A point set as a density source (sampling with replacement plus optional Gaussian jitter).
 */
import type { Bounds } from './builtins';
import type { PointDraws } from './draws';
import { DatasetSpecError } from './errors';
import type { Moments } from './grid';
import { MAX_POINTS } from './point-text';

/** A point set as a density source: uniform choice with replacement, plus jitter·N(0, I). */
export class PointSet {
  readonly count: number;
  private constructor(
    /** x0, y0, x1, y1, … in data coordinates (f32, as the GPU holds them). */
    readonly points: Float32Array,
    /** Standard deviation of the Gaussian jitter (0: exact points). */
    readonly jitter: number,
  ) {
    this.count = points.length / 2;
  }

  /** Validates points (flat x0, y0, … or [[x, y], …]) and jitter; field names for errors. */
  static from(points: unknown, jitter: unknown = 0, field = 'points'): PointSet {
    let flat: Float32Array;
    if (points instanceof Float32Array || points instanceof Float64Array) {
      flat = Float32Array.from(points);
    } else if (Array.isArray(points) && points.length > 0 && Array.isArray(points[0])) {
      flat = new Float32Array(points.length * 2);
      points.forEach((pair: unknown, i) => {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new DatasetSpecError(
            `${field}[${i}]`,
            `${field}[${i}] must be a pair [x, y], got ${JSON.stringify(pair)}.`,
          );
        }
        flat[2 * i] = pair[0] as number;
        flat[2 * i + 1] = pair[1] as number;
      });
    } else if (Array.isArray(points)) {
      flat = Float32Array.from(points as number[]);
    } else {
      throw new DatasetSpecError(
        field,
        `${field} must be a Float32Array or an array of numbers x0, y0, x1, y1, … (or of pairs); ` +
          `parse text with parsePoints() first. Got ${typeof points}.`,
      );
    }
    if (flat.length === 0 || flat.length % 2 !== 0) {
      throw new DatasetSpecError(
        field,
        `${field} must hold an even, non-zero number of coordinates (x0, y0, x1, y1, …), got ${flat.length}.`,
      );
    }
    if (flat.length / 2 > MAX_POINTS) {
      throw new DatasetSpecError(
        field,
        `${field} holds ${flat.length / 2} points; at most ${MAX_POINTS} are allowed.`,
      );
    }
    for (let i = 0; i < flat.length; i++) {
      if (!Number.isFinite(flat[i]!)) {
        const raw = Array.isArray(points) ? 'given' : 'stored';
        throw new DatasetSpecError(
          field,
          `${field}: coordinate ${i} (point ${i >> 1}) must be a finite number (f32), ${raw} ${String(flat[i])}.`,
        );
      }
    }
    if (typeof jitter !== 'number' || !Number.isFinite(jitter) || jitter < 0 || jitter > 100) {
      throw new DatasetSpecError(
        'jitter',
        `jitter must be a number in [0, 100] (the std of the Gaussian noise added to each draw), got ${String(jitter)}.`,
      );
    }
    return new PointSet(flat, jitter);
  }

  /** Twin of sample_points in shaders/data/sample.wgsl. */
  sample(d: PointDraws): [number, number] {
    const j = d.choice(this.count);
    let x = this.points[2 * j]!;
    let y = this.points[2 * j + 1]!;
    if (this.jitter > 0) {
      const [n1, n2] = d.normal();
      x += this.jitter * n1;
      y += this.jitter * n2;
    }
    return [x, y];
  }

  /** Exact mean and variance of the sampling distribution (points plus jitter). */
  moments(): Moments {
    let mx = 0;
    let my = 0;
    for (let i = 0; i < this.count; i++) {
      mx += this.points[2 * i]!;
      my += this.points[2 * i + 1]!;
    }
    mx /= this.count;
    my /= this.count;
    let vx = 0;
    let vy = 0;
    for (let i = 0; i < this.count; i++) {
      vx += (this.points[2 * i]! - mx) ** 2;
      vy += (this.points[2 * i + 1]! - my) ** 2;
    }
    const j2 = this.jitter * this.jitter;
    return { mean: [mx, my], variance: [vx / this.count + j2, vy / this.count + j2] };
  }

  /** The points' bounding box, padded by 5% and 3 jitter standard deviations. */
  view(): Bounds {
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < this.count; i++) {
      x0 = Math.min(x0, this.points[2 * i]!);
      x1 = Math.max(x1, this.points[2 * i]!);
      y0 = Math.min(y0, this.points[2 * i + 1]!);
      y1 = Math.max(y1, this.points[2 * i + 1]!);
    }
    const pad = 0.05 * Math.max(x1 - x0, y1 - y0, 1e-6) + 3 * this.jitter;
    return [x0 - pad, y0 - pad, x1 + pad, y1 + pad];
  }
}

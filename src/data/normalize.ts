/**
 * Normalisation for training: model coordinates z = (x − shift) / scale, per axis. Models train
 * on z; plots and log-densities are reported in data coordinates x. Since x = scale ⊙ z + shift,
 *   log p_x(x) = log p_z(z) − log(scale_x · scale_y)      (the Jacobian of z ↦ x).
 */
import type { Moments } from './grid';

/**
 * 'per-axis': zero mean, unit variance along x and y (sklearn's StandardScaler).
 * 'isotropic': zero mean, one scale for both axes (√ of the mean variance): keeps the shape.
 * 'none': the identity.
 */
export type NormalizationMode = 'per-axis' | 'isotropic' | 'none';

/** The affine map between data and model coordinates, x_model = (x_data − shift) / scale, as data. */
export interface Normalization {
  shift: [number, number];
  scale: [number, number];
}

export const NORMALIZATION_MODES: readonly NormalizationMode[] = ['per-axis', 'isotropic', 'none'];

export class AffineNormalizer {
  constructor(
    readonly shift: readonly [number, number],
    readonly scale: readonly [number, number],
  ) {
    if (!(scale[0] > 0 && scale[1] > 0) || !shift.every(Number.isFinite)) {
      throw new RangeError(
        `A normaliser needs finite shifts and positive scales, got shift [${shift.join(', ')}], ` +
          `scale [${scale.join(', ')}].`,
      );
    }
  }

  static identity(): AffineNormalizer {
    return new AffineNormalizer([0, 0], [1, 1]);
  }

  /** The standardising map of a distribution with these moments. A constant axis keeps scale 1. */
  static fromMoments(moments: Moments, mode: NormalizationMode): AffineNormalizer {
    if (mode === 'none') return AffineNormalizer.identity();
    const [vx, vy] = moments.variance;
    const positive = (v: number) => (v > 1e-12 ? Math.sqrt(v) : 1);
    const scale: [number, number] =
      mode === 'per-axis'
        ? [positive(vx), positive(vy)]
        : [positive((vx + vy) / 2), positive((vx + vy) / 2)];
    return new AffineNormalizer(moments.mean, scale);
  }

  /** log |det ∂x/∂z| = log(scale_x · scale_y). */
  get logDetToData(): number {
    return Math.log(this.scale[0] * this.scale[1]);
  }

  /** z = (x − shift) / scale for flat (x0, y0, x1, y1, …) points. */
  toModel(points: ArrayLike<number>): Float64Array {
    const out = new Float64Array(points.length);
    for (let i = 0; i < points.length; i += 2) {
      out[i] = (points[i]! - this.shift[0]) / this.scale[0];
      out[i + 1] = (points[i + 1]! - this.shift[1]) / this.scale[1];
    }
    return out;
  }

  /** x = scale ⊙ z + shift. */
  toData(points: ArrayLike<number>): Float64Array {
    const out = new Float64Array(points.length);
    for (let i = 0; i < points.length; i += 2) {
      out[i] = points[i]! * this.scale[0] + this.shift[0];
      out[i + 1] = points[i + 1]! * this.scale[1] + this.shift[1];
    }
    return out;
  }

  /** A model-space log-density log q_z(z) as a data-space one: log q_z(z) − log det. */
  logDensityToData(logDensityModel: number): number {
    return logDensityModel - this.logDetToData;
  }

  /** A data-space log-density as a model-space one: log p_x(x) + log det. */
  logDensityToModel(logDensityData: number): number {
    return logDensityData + this.logDetToData;
  }

  toJSON(): Normalization {
    return { shift: [this.shift[0], this.shift[1]], scale: [this.scale[0], this.scale[1]] };
  }
}

/**
 * Image pre-processing as an exactly invertible map with its log-det Jacobian, so that a model's
 * likelihood of z converts to bits per dimension on the original 8-bit pixels. The float64 twin
 * of shaders/data/image-preprocess.wgsl (forward, log|dz/dv|, inverse side by side).
 *
 * A pixel x ∈ {0…255} becomes v = x + u with u ~ U(0, 1) (uniform dequantization; u lies on a
 * 2^-15 grid so that x + u is exact in f32) or u = ½ without dequantization, then y = v / 256 and
 *   'pixels'  z = v
 *   'unit'    z = y                                    (dequantized pixels in (0, 1))
 *   'logit'   z = logit(α + (1 − 2α) y)                (RealNVP, α = 0.05 by default)
 *   'scale'   z = 2y − 1 ∈ (−1, 1)                     (diffusion)
 * Each map acts pixel by pixel, so log|det ∂z/∂v| = Σ_pixels log|dz/dv|, and for a model density
 * p_Z: log p(v) = log p_Z(z) + log|det ∂z/∂v| on v ∈ [0, 256)^D; bits/dim = −log p(v) / (D ln 2).
 * The inverse is x = clamp(⌊256 y⌋, 0, 255): exact for every v the forward map produces.
 */
import { DatasetSpecError } from '../errors';

export const IMAGE_TRANSFORMS = ['pixels', 'unit', 'logit', 'scale'] as const;
export type ImageTransform = (typeof IMAGE_TRANSFORMS)[number];

export interface ImagePreprocessSpec {
  /** The map after dequantization. Default 'unit'. */
  transform?: ImageTransform;
  /** α of the logit transform, in (0, ½). Default 0.05 (RealNVP). */
  alpha?: number;
  /** Add uniform noise u ~ U(0, 1) to each pixel (default true); off: u = ½, the bin's centre. */
  dequantize?: boolean;
}

export interface ImagePreprocess {
  transform: ImageTransform;
  alpha: number;
  dequantize: boolean;
}

export const DEFAULT_LOGIT_ALPHA = 0.05;

/** Validates a pre-processing spec and fills the defaults (DatasetSpecError names the field). */
export function resolvePreprocess(spec: ImagePreprocessSpec = {}): ImagePreprocess {
  const transform = spec.transform ?? 'unit';
  if (!IMAGE_TRANSFORMS.includes(transform)) {
    throw new DatasetSpecError(
      'preprocess.transform',
      `preprocess.transform must be one of ${IMAGE_TRANSFORMS.map((t) => `'${t}'`).join(', ')}, ` +
        `got ${JSON.stringify(transform)}.`,
    );
  }
  const alpha = spec.alpha ?? DEFAULT_LOGIT_ALPHA;
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 0.5)) {
    throw new DatasetSpecError(
      'preprocess.alpha',
      `preprocess.alpha (the logit transform's α) must be a number in (0, 0.5), got ${String(alpha)}; RealNVP used 0.05.`,
    );
  }
  const dequantize = spec.dequantize ?? true;
  if (typeof dequantize !== 'boolean') {
    throw new DatasetSpecError(
      'preprocess.dequantize',
      `preprocess.dequantize must be true or false, got ${JSON.stringify(dequantize)}.`,
    );
  }
  return { transform, alpha, dequantize };
}

/** The id of a transform in the WGSL switch. */
export function transformId(transform: ImageTransform): number {
  return IMAGE_TRANSFORMS.indexOf(transform);
}

/** u from a Philox word: (top 15 bits + ½) / 2^15, exactly as image_noise in WGSL. */
export function imageNoise(bits: number): number {
  return ((bits >>> 17) + 0.5) / 32768;
}

const LN_256 = Math.log(256);

/** z of one pixel value v = x + u. */
export function preprocessForward(v: number, p: ImagePreprocess): number {
  const y = v / 256;
  switch (p.transform) {
    case 'unit':
      return y;
    case 'logit': {
      const s = p.alpha + (1 - 2 * p.alpha) * y;
      return Math.log(s) - Math.log(1 - s);
    }
    case 'scale':
      return 2 * y - 1;
    default:
      return v;
  }
}

/** log|dz/dv| of one pixel value. */
export function preprocessLogDet(v: number, p: ImagePreprocess): number {
  switch (p.transform) {
    case 'unit':
      return -LN_256;
    case 'logit': {
      const s = p.alpha + (1 - 2 * p.alpha) * (v / 256);
      return -LN_256 + Math.log(1 - 2 * p.alpha) - Math.log(s) - Math.log(1 - s);
    }
    case 'scale':
      return Math.LN2 - LN_256;
    default:
      return 0;
  }
}

/** v / 256 from z: the inverse of the transform, before the floor. */
export function preprocessInverseUnit(z: number, p: ImagePreprocess): number {
  switch (p.transform) {
    case 'unit':
      return z;
    case 'logit': {
      const s = 1 / (1 + Math.exp(-z));
      return (s - p.alpha) / (1 - 2 * p.alpha);
    }
    case 'scale':
      return 0.5 * (z + 1);
    default:
      return z / 256;
  }
}

/** The 8-bit pixel of z: clamp(⌊256 y⌋, 0, 255). */
export function preprocessInverse(z: number, p: ImagePreprocess): number {
  const level = Math.floor(256 * preprocessInverseUnit(z, p));
  return Math.min(255, Math.max(0, Number.isNaN(level) ? 0 : level));
}

/**
 * Bits per dimension on the original 8-bit pixels from a model's log p_Z(z) (nats) and the
 * pre-processing log-det of the same image (nats, as draw_items / the twin report it):
 * −(log p_Z(z) + log|det ∂z/∂v|) / (D ln 2). A model that is uniform on the pixel bins scores 8.
 */
export function bitsPerDim(logProbZ: number, logDet: number, dims: number): number {
  if (!Number.isInteger(dims) || dims < 1) {
    throw new RangeError(`bitsPerDim needs the number of values per image (≥ 1), got ${dims}.`);
  }
  return -(logProbZ + logDet) / (dims * Math.LN2);
}

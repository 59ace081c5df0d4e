/**
 * Image → grid density. Pixels become weights: Rec. 601 luma of the pixel composited over white
 * (transparent = white paper), weight = 1 − luma (ink is mass) or luma with `invert`; the image is
 * box-downscaled to fit MAX_GRID_SIDE; weights below `threshold` become 0, and with `binary` the
 * rest become 1. Pure functions on RGBA bytes, plus a browser decode path for files and blobs.
 */
import type { Bounds } from './builtins';
import { DatasetSpecError } from './errors';
import { MAX_GRID_SIDE, checkBounds, type GridSpec } from './grid';

/** RGBA bytes, as ImageData holds them. */
export interface RgbaPixels {
  width: number;
  height: number;
  /** width·height·4 bytes R, G, B, A, row-major from the top-left pixel. */
  data: ArrayLike<number>;
}

export interface ImageGridOptions {
  /** Light pixels carry the mass instead of dark ones. Default false. */
  invert?: boolean;
  /** Weights (in [0, 1]) below this become 0. Default 0. */
  threshold?: number;
  /** Every weight left above the threshold becomes 1. Default false. */
  binary?: boolean;
  /** Longest side of the grid (1–256); larger images are box-averaged down. Default 256. */
  maxSize?: number;
  /** Where the grid lies; default: the image's aspect ratio fitted into [-4, 4]². */
  bounds?: Bounds;
}

function checkOptions(options: ImageGridOptions): Required<Omit<ImageGridOptions, 'bounds'>> {
  const threshold = options.threshold ?? 0;
  if (!(typeof threshold === 'number' && threshold >= 0 && threshold <= 1)) {
    throw new DatasetSpecError(
      'threshold',
      `threshold must be a number in [0, 1], got ${String(threshold)}.`,
    );
  }
  const maxSize = options.maxSize ?? MAX_GRID_SIDE;
  if (!Number.isInteger(maxSize) || maxSize < 1 || maxSize > MAX_GRID_SIDE) {
    throw new DatasetSpecError(
      'maxSize',
      `maxSize must be an integer in [1, ${MAX_GRID_SIDE}], got ${String(maxSize)}.`,
    );
  }
  return {
    invert: options.invert ?? false,
    threshold,
    binary: options.binary ?? false,
    maxSize,
  };
}

/** The default bounds: the longer side spans [-4, 4], the other is centred with the same scale. */
export function fitBounds(width: number, height: number): Bounds {
  const scale = 8 / Math.max(width, height);
  const hw = (width * scale) / 2;
  const hh = (height * scale) / 2;
  return [-hw, -hh, hw, hh];
}

/** A grid density payload from RGBA pixels (see the module comment for the mapping). */
export function gridFromPixels(pixels: RgbaPixels, options: ImageGridOptions = {}): GridSpec {
  const { width, height, data } = pixels;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new DatasetSpecError(
      'image',
      `The image must have a positive integer width and height, got ${width}×${height}.`,
    );
  }
  if (data.length !== width * height * 4) {
    throw new DatasetSpecError(
      'image',
      `A ${width}×${height} RGBA image has ${width * height * 4} bytes, got ${data.length}.`,
    );
  }
  const { invert, threshold, binary, maxSize } = checkOptions(options);
  const factor = Math.ceil(Math.max(width, height) / maxSize);
  const gw = Math.ceil(width / factor);
  const gh = Math.ceil(height / factor);
  const sums = new Float64Array(gw * gh);
  const counts = new Uint32Array(gw * gh);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / factor) * gw;
    for (let x = 0; x < width; x++) {
      const o = 4 * (y * width + x);
      const alpha = data[o + 3]! / 255;
      const luma = (0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!) / 255;
      const onWhite = alpha * luma + (1 - alpha);
      const cell = row + Math.floor(x / factor);
      sums[cell] = sums[cell]! + (invert ? onWhite : 1 - onWhite);
      counts[cell] = counts[cell]! + 1;
    }
  }
  const weights = new Float32Array(gw * gh);
  for (let i = 0; i < weights.length; i++) {
    // Rounding keeps pure white exactly 0 (luma weights sum to 1 only up to float error).
    const w = Math.round((sums[i]! / counts[i]!) * 1e6) / 1e6;
    weights[i] = w < threshold || w <= 0 ? 0 : binary ? 1 : w;
  }
  const bounds = options.bounds
    ? checkBounds(options.bounds, 'bounds')
    : fitBounds(gw * factor, gh * factor);
  return { width: gw, height: gh, weights, bounds };
}

/**
 * Decodes an image file or blob in the browser (createImageBitmap + OffscreenCanvas, also in a
 * worker) and converts it with gridFromPixels.
 */
export async function gridFromImage(
  source: ImageBitmapSource,
  options: ImageGridOptions = {},
): Promise<GridSpec> {
  const bitmap = await createImageBitmap(source);
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('OffscreenCanvas 2-D context is unavailable in this browser.');
    context.drawImage(bitmap, 0, 0);
    const image = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return gridFromPixels(image, options);
  } finally {
    bitmap.close();
  }
}

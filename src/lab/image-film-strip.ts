/**
 * The lab's denoising film strip (issue #16's views): the model's column-major strip of states
 * (src/models/image-diffusion/fm-model.ts filmStrip) as rows of samples (image-diffusion.ts maps them to intensities, as sample()).
 */
import type { FmFilmStrip } from '../models/image-diffusion/fm-model';

/**
 * The denoising film strip of sample(): n samples (rows) at evenly spaced solver steps
 * (columns), from x_T (the prior, column 0) to x₀ (the sample, the last column).
 */
export interface ImageFilmStrip {
  /** Solver steps taken before each column (0 … total). */
  columns: number[];
  /** The sampler's steps (DDPM's ancestral sampler: T). */
  total: number;
  /** Rows of samples: image (i, c) at (i·columns + c)·C·H·W, intensities clamped to [0, 1]. */
  images: Float32Array;
}

/** Default columns of a film strip. */
export const FILM_STRIP_COLUMNS = 8;

export function checkColumnCount(columns = FILM_STRIP_COLUMNS): number {
  if (!Number.isInteger(columns) || columns < 2 || columns > 64) {
    throw new RangeError(
      `filmStrip() columns must be an integer in [2, 64] (x_T, …, x₀), got ${String(columns)}.`,
    );
  }
  return columns;
}

/** A model film strip (column-major) as rows per sample, still in model space. */
export function rowsOfStrip(strip: FmFilmStrip, n: number, dims: number): Float32Array {
  const count = strip.columns.length;
  const rows = new Float32Array(n * count * dims);
  for (let c = 0; c < count; c++) {
    for (let i = 0; i < n; i++) {
      const from = (c * n + i) * dims;
      rows.set(strip.values.subarray(from, from + dims), (i * count + c) * dims);
    }
  }
  return rows;
}

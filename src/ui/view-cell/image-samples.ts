/**
 * An image model's samples as one picture: the images in a near-square grid, 1-pixel gaps, grey
 * or RGB, as RGBA bytes for picture.ts's PNG (the page draws no 2-D canvas, see picture.ts).
 * The samples themselves are drawn in the worker from the model; this only lays them out.
 */
import type { ImageSamples } from '../controllers/lab-client';

export interface GridPicture {
  width: number;
  height: number;
  /** Columns and rows of images. */
  columns: number;
  rows: number;
  rgba: Uint8Array;
}

/** Background of the gaps between images (mid grey, so black and white images both stand out). */
export const GAP = 128;

/** Intensity in [0, 1] → the 8-bit value the model's pixel v means ((v + ½) / 256 ↔ v). */
export function intensityByte(y: number): number {
  return Math.min(255, Math.max(0, Math.floor(y * 256)));
}

/**
 * Paints one image (channels × h × w intensities at `values[from]`, grey or RGB) into a picture's
 * RGBA bytes, `width` pixels wide, with its top-left corner at (left, top).
 */
export function paintImage(
  rgba: Uint8Array,
  width: number,
  left: number,
  top: number,
  values: ArrayLike<number>,
  from: number,
  [channels, h, w]: readonly [number, number, number],
): void {
  const plane = h * w;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const at = ((top + y) * width + left + x) * 4;
      for (let c = 0; c < 3; c++) {
        rgba[at + c] = intensityByte(values[from + Math.min(c, channels - 1) * plane + y * w + x]!);
      }
      rgba[at + 3] = 255;
    }
  }
}

export function sampleGrid(samples: ImageSamples): GridPicture {
  const { count, values, shape } = samples;
  const [channels, side, width] = shape;
  const columns = Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / columns);
  const picture = {
    width: columns * (width + 1) + 1,
    height: rows * (side + 1) + 1,
    columns,
    rows,
  };
  const rgba = new Uint8Array(picture.width * picture.height * 4).fill(GAP);
  for (let n = 0; n < count; n++) {
    const left = (n % columns) * (width + 1) + 1;
    const top = Math.floor(n / columns) * (side + 1) + 1;
    paintImage(rgba, picture.width, left, top, values, n * channels * side * width, shape);
  }
  return { ...picture, rgba };
}

/**
 * Images to density grids: a picture's darkness (or lightness, inverted) becomes the data's
 * probability mass. Pure functions over RGBA pixels, plus the browser decode step.
 */
import { errorMessage } from '../error-message';

/** Side of the square grid an image becomes (bounded, so links and files stay small). */
export const IMAGE_GRID_SIDE = 64;
export const IMAGE_TYPES = ['image/png', 'image/jpeg'] as const;

export interface DensityGrid {
  width: number;
  height: number;
  /** Row-major, top row first, in [0, 1]. */
  weights: number[];
}

export class ImageLoadError extends Error {
  override readonly name = 'ImageLoadError';
}

/**
 * Mass per pixel of straight RGBA bytes: 1 − luminance (dark = mass), or the luminance itself
 * when `invert`. Transparent pixels carry no mass either way (composited over white, or black
 * when inverted). Luminance uses the Rec. 709 weights on the 8-bit values.
 */
export function rgbaToMass(rgba: ArrayLike<number>, invert: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i + 3 < rgba.length; i += 4) {
    const alpha = rgba[i + 3]! / 255;
    const y = (0.2126 * rgba[i]! + 0.7152 * rgba[i + 1]! + 0.0722 * rgba[i + 2]!) / 255;
    // Over the background that carries no mass: white, or black when inverted.
    const over = alpha * y + (1 - alpha) * (invert ? 0 : 1);
    out.push(invert ? over : 1 - over);
  }
  return out;
}

/** Weights rounded to 1/1000 (as drawings are), with a check that some mass is left. */
export function finishGrid(width: number, height: number, mass: number[]): DensityGrid {
  const weights = mass.map((w) => Math.round(Math.min(1, Math.max(0, w)) * 1000) / 1000);
  if (!weights.some((w) => w > 0)) {
    throw new ImageLoadError(
      'The image has no mass: every pixel is white (or black with Invert on). Try the Invert option or another image.',
    );
  }
  return { width, height, weights };
}

/**
 * Decodes a PNG or JPEG file and scales it into a side × side grid, letterboxed so that its
 * aspect ratio is kept (the grid covers a square of data space); the border has no mass.
 * Rejects with an ImageLoadError that says what was wrong.
 */
export async function imageFileToGrid(
  file: File,
  invert: boolean,
  side = IMAGE_GRID_SIDE,
): Promise<DensityGrid> {
  if (!(IMAGE_TYPES as readonly string[]).includes(file.type)) {
    throw new ImageLoadError(
      `“${file.name}” is ${file.type ? `a ${file.type} file` : 'not a recognised file type'}; expected a PNG or JPEG image.`,
    );
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (error) {
    throw new ImageLoadError(
      `“${file.name}” could not be decoded as a ${file.type === 'image/png' ? 'PNG' : 'JPEG'} image (${errorMessage(error)}). Check that the file is a complete, valid image.`,
    );
  }
  try {
    const canvas = new OffscreenCanvas(side, side);
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    context.fillStyle = invert ? '#000' : '#fff';
    context.fillRect(0, 0, side, side);
    const scale = side / Math.max(bitmap.width, bitmap.height);
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, (side - w) / 2, (side - h) / 2, w, h);
    const pixels = context.getImageData(0, 0, side, side).data;
    return finishGrid(side, side, rgbaToMass(pixels, invert));
  } finally {
    bitmap.close();
  }
}

/** Pixel checks for rendering tests: how much is drawn, and where the brightest spot is. */
import type { PixelImage } from '../../src/render';

/** Pixels whose colour differs from `background` (RGB, 0–255) by more than `tolerance`. */
export function pixelsDifferentFrom(
  image: PixelImage,
  background: readonly [number, number, number],
  tolerance = 8,
): number {
  let count = 0;
  const d = image.data;
  for (let i = 0; i < d.length; i += 4) {
    const diff =
      Math.abs(d[i]! - background[0]) +
      Math.abs(d[i + 1]! - background[1]) +
      Math.abs(d[i + 2]! - background[2]);
    if (diff > tolerance) count++;
  }
  return count;
}

export function luminance(image: PixelImage, index: number): number {
  const d = image.data;
  return 0.2126 * d[4 * index]! + 0.7152 * d[4 * index + 1]! + 0.0722 * d[4 * index + 2]!;
}

/**
 * Centre (in pixels from the top-left) of the brightest pixels: a heatmap peak is flat at the
 * top, so several pixels share the brightest 8-bit colour; their centroid is the peak.
 */
export function brightestSpot(image: PixelImage): { x: number; y: number; count: number } {
  let best = -1;
  for (let i = 0; i < image.width * image.height; i++) best = Math.max(best, luminance(image, i));
  let sx = 0;
  let sy = 0;
  let count = 0;
  for (let i = 0; i < image.width * image.height; i++) {
    if (luminance(image, i) >= best - 1e-6) {
      sx += (i % image.width) + 0.5;
      sy += Math.floor(i / image.width) + 0.5;
      count++;
    }
  }
  return { x: sx / count, y: sy / count, count };
}

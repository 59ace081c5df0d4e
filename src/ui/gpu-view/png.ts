/** A view's pixels (straight RGBA, top row first) as a PNG file. */
import type { PixelImage } from '../controllers/lab-client';

export async function pngFromPixels(image: PixelImage): Promise<Blob> {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser cannot make a 2-D canvas to encode the PNG.');
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  rgba.set(image.data.subarray(0, rgba.length));
  context.putImageData(new ImageData(rgba, image.width, image.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** Offers `blob` as a download named `name`. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * What the screen shows of an element (through the runner's screenshot-rect command), decoded to
 * RGBA pixels. Put the element at a fixed place in the viewport first: the clip is in viewport
 * CSS pixels.
 */
import { executeServerCommand } from '@web/test-runner-commands';
import type { PixelImage } from '../../src/render';

export async function screenshotOf(element: Element): Promise<PixelImage> {
  const r = element.getBoundingClientRect();
  const clip = { x: r.left, y: r.top, width: r.width, height: r.height };
  const base64 = await executeServerCommand<string, typeof clip>('screenshot-rect', clip);
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  return { width: bitmap.width, height: bitmap.height, data };
}

/** Test helper: reading back the PNG pictures of src/ui/picture.ts. */

/** The pixels of a PNG as the browser's own decoder reads them (straight RGBA). */
export async function decodePng(blob: Blob): Promise<{ data: Uint8ClampedArray; width: number }> {
  const bitmap = await createImageBitmap(blob, {
    premultiplyAlpha: 'none',
    colorSpaceConversion: 'none',
  });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  return {
    data: context.getImageData(0, 0, bitmap.width, bitmap.height).data,
    width: bitmap.width,
  };
}

/** The pixels an <img> of the page shows (straight RGBA), read from its PNG. */
export async function imgPixels(img: HTMLImageElement): Promise<Uint8ClampedArray> {
  return (await decodePng(await (await fetch(img.src)).blob())).data;
}

/**
 * DOM helpers of the built-site e2e tests (test/e2e/*.test.ts): waiting for the app inside its
 * iframe, reaching into shadow roots, changing a control as a user would, reading an <img>'s
 * pixels.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | null | false,
  timeoutMs: number,
): Promise<T> {
  const start = performance.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function shadow(el: Element | null | undefined, selector: string): HTMLElement | null {
  return (el?.shadowRoot?.querySelector(selector) as HTMLElement | null) ?? null;
}

export function change(control: HTMLInputElement | HTMLSelectElement, value: string): void {
  control.value = value;
  control.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
}

/** The RGBA bytes an <img> shows, decoded by the browser. */
export async function imgPixels(img: HTMLImageElement): Promise<Uint8ClampedArray> {
  const bitmap = await createImageBitmap(await (await fetch(img.src)).blob());
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  return context.getImageData(0, 0, bitmap.width, bitmap.height).data;
}

/**
 * Data coordinates ↔ clip space ↔ CSS pixels for a view. The requested bounds are widened on
 * one axis to the target's aspect ratio, so one data unit spans the same number of pixels on
 * both axes (circles stay round) and the whole requested rectangle stays visible.
 */

/** [xMin, yMin, xMax, yMax] in data coordinates. */
export type Bounds = readonly [number, number, number, number];

export interface ViewTransform {
  /** The rectangle actually shown (the bounds widened to the aspect ratio). */
  readonly visible: Bounds;
  /** clip = data · scale + offset. */
  readonly scale: readonly [number, number];
  readonly offset: readonly [number, number];
}

export function checkBounds(bounds: Bounds, what = 'bounds'): Bounds {
  const [xMin, yMin, xMax, yMax] = bounds;
  if (bounds.length !== 4 || !bounds.every(Number.isFinite) || !(xMax > xMin) || !(yMax > yMin)) {
    throw new RangeError(
      `${what} must be [xMin, yMin, xMax, yMax] with finite numbers, xMax > xMin and ` +
        `yMax > yMin; got [${bounds.join(', ')}].`,
    );
  }
  return bounds;
}

/** Fits `bounds` into a target of width × height (any unit, only the ratio matters). */
export function fitView(bounds: Bounds, width: number, height: number): ViewTransform {
  const [xMin, yMin, xMax, yMax] = checkBounds(bounds);
  const aspect = width > 0 && height > 0 ? width / height : 1;
  let halfW = (xMax - xMin) / 2;
  let halfH = (yMax - yMin) / 2;
  if (halfW / halfH < aspect) halfW = halfH * aspect;
  else halfH = halfW / aspect;
  const cx = (xMin + xMax) / 2;
  const cy = (yMin + yMax) / 2;
  const visible: Bounds = [cx - halfW, cy - halfH, cx + halfW, cy + halfH];
  return {
    visible,
    scale: [1 / halfW, 1 / halfH],
    offset: [-cx / halfW, -cy / halfH],
  };
}

/** The 32-byte View uniform of shaders/render/view.wgsl. */
export function viewUniform(
  transform: ViewTransform,
  widthPx: number,
  heightPx: number,
): Float32Array {
  return Float32Array.of(
    transform.scale[0],
    transform.scale[1],
    transform.offset[0],
    transform.offset[1],
    widthPx,
    heightPx,
    0,
    0,
  );
}

/** Where a data point lands in CSS pixels from the top-left corner of a cssWidth × cssHeight view. */
export function toCssPixels(
  transform: ViewTransform,
  cssWidth: number,
  cssHeight: number,
  x: number,
  y: number,
): [number, number] {
  const [xMin, yMin, xMax, yMax] = transform.visible;
  return [((x - xMin) / (xMax - xMin)) * cssWidth, ((yMax - y) / (yMax - yMin)) * cssHeight];
}

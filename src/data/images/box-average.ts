/**
 * Fitting a decoded picture to a small square by box averaging: every output pixel is the
 * area-weighted mean of the source pixels it covers (a source pixel cut by a box edge counts
 * with the part inside), so 56→14 averages 4×4 blocks exactly and 28→8 uses 3.5-pixel boxes.
 * Done here rather than by the browser's canvas scaling, whose filter is unspecified and differs
 * between browsers; the result is the same on every machine and can be checked by hand.
 */

/** One output pixel's source range along an axis: the first source index and each weight. */
interface AxisBox {
  start: number;
  weights: number[];
}

/** The boxes that map `from` source pixels onto `to` output pixels (to ≤ from). */
function axisBoxes(from: number, to: number): AxisBox[] {
  const boxes: AxisBox[] = [];
  for (let o = 0; o < to; o++) {
    const lo = (o * from) / to;
    const hi = ((o + 1) * from) / to;
    const start = Math.floor(lo);
    const weights: number[] = [];
    for (let x = start; x < Math.ceil(hi); x++) weights.push(Math.min(hi, x + 1) - Math.max(lo, x));
    boxes.push({ start, weights });
  }
  return boxes;
}

/**
 * The size×size values of a side×side RGBA picture (`rgba`: side·side·4 bytes, rows top to
 * bottom): each pixel composited over white (transparent = white), box-averaged to size×size,
 * then grey = Rec. 601 luma (0.299 R + 0.587 G + 0.114 B) or the three channels as planes
 * (R, G, B) for RGB, rounded; `invert` stores 255 − value. `size` ≤ `side`.
 */
export function boxAverageRgba(
  rgba: ArrayLike<number>,
  side: number,
  size: number,
  channels: 1 | 3,
  invert = false,
): Uint8Array {
  if (!Number.isInteger(side) || !Number.isInteger(size) || size < 1 || size > side) {
    throw new RangeError(
      `boxAverageRgba: expected whole sizes with 1 ≤ size ≤ side, received size ${size} and side ${side}.`,
    );
  }
  if (rgba.length !== side * side * 4) {
    throw new RangeError(
      `boxAverageRgba: expected ${side * side * 4} RGBA bytes for a ${side}×${side} picture, received ${rgba.length}.`,
    );
  }
  // Composite over white once per source pixel (alpha is not averaged separately: a half
  // transparent black pixel is the grey it shows on the page).
  const over = new Float64Array(side * side * 3);
  for (let i = 0; i < side * side; i++) {
    const alpha = rgba[4 * i + 3]! / 255;
    for (let c = 0; c < 3; c++) over[3 * i + c] = alpha * rgba[4 * i + c]! + (1 - alpha) * 255;
  }
  const boxes = axisBoxes(side, size);
  // Σ of the weights of one box: the box's area, divided out once at the end.
  const area = (side / size) ** 2;
  const out = new Uint8Array(size * size * channels);
  const sums = [0, 0, 0];
  for (let oy = 0; oy < size; oy++) {
    const rows = boxes[oy]!;
    for (let ox = 0; ox < size; ox++) {
      const cols = boxes[ox]!;
      sums.fill(0);
      rows.weights.forEach((wy, dy) => {
        const row = (rows.start + dy) * side;
        cols.weights.forEach((wx, dx) => {
          const at = 3 * (row + cols.start + dx);
          const w = wy * wx;
          for (let c = 0; c < 3; c++) sums[c]! += w * over[at + c]!;
        });
      });
      const [r, g, b] = sums.map((sum) => sum / area) as [number, number, number];
      const values = channels === 1 ? [0.299 * r + 0.587 * g + 0.114 * b] : [r, g, b];
      values.forEach((value, c) => {
        const byte = Math.min(255, Math.max(0, Math.round(value)));
        out[c * size * size + oy * size + ox] = invert ? 255 - byte : byte;
      });
    }
  }
  return out;
}

/** Point clouds drawn straight from GPU buffers of (x, y) pairs: model samples, data samples. */
import type { Drawable, Frame } from './frame';
import { POINTS_PIXEL_PROGRAM, POINTS_QUAD_PROGRAM, type ProgramRequest } from './programs';

export type Rgb = readonly [number, number, number];

export interface PointStyle {
  /** sRGB in [0, 1]. */
  color: Rgb;
  /** Opacity of one point in [0, 1]; overlapping points add up. */
  alpha: number;
  /** Diameter in CSS pixels (scaled by the device pixel ratio). */
  sizePx: number;
}

/** Largest point count one layer draws (matches the model and dataset sampling limits we use). */
export const MAX_POINTS_PER_LAYER = 4_000_000;

export function checkColor(color: readonly number[], what: string): void {
  if (color.length < 3 || color.length > 4 || !color.every((c) => c >= 0 && c <= 1)) {
    throw new RangeError(`${what} must be 3 or 4 numbers in [0, 1], got [${color.join(', ')}].`);
  }
}

export function checkPointStyle(style: PointStyle): PointStyle {
  checkColor(style.color, 'points.color');
  if (!(style.alpha >= 0 && style.alpha <= 1)) {
    throw new RangeError(`points.alpha must be in [0, 1], got ${style.alpha}.`);
  }
  if (!(style.sizePx > 0 && style.sizePx <= 64)) {
    throw new RangeError(`points.sizePx must be in (0, 64] CSS pixels, got ${style.sizePx}.`);
  }
  return style;
}

/** Up to this many device pixels a point is one pixel of a point list; above it, a quad. */
const PIXEL_POINT_MAX = 1.5;

export class PointCloud implements Drawable {
  readonly programs: readonly ProgramRequest[] = [
    { program: POINTS_QUAD_PROGRAM },
    { program: POINTS_PIXEL_PROGRAM },
  ];

  constructor(
    /** STORAGE-usage buffer of `count` vec2<f32> points in data coordinates. */
    private readonly points: GPUBuffer,
    private readonly count: number,
    private readonly style: PointStyle,
  ) {}

  encode(pass: GPURenderPassEncoder, frame: Frame): void {
    if (this.count === 0) return;
    // Under a device pixel a quad may cover no pixel centre at all: never draw smaller.
    const size = Math.max(1, this.style.sizePx * frame.pixelRatio);
    const pixels = size <= PIXEL_POINT_MAX;
    const bytes = new ArrayBuffer(32);
    const [r, g, b] = this.style.color;
    new Float32Array(bytes, 0, 5).set([r, g, b, this.style.alpha, size]);
    // Discs only where roundness shows; tiny points stay squares so none vanish.
    new Uint32Array(bytes, 20, 1)[0] = size >= 2.5 ? 1 : 0;
    const program = frame.program(pixels ? POINTS_PIXEL_PROGRAM : POINTS_QUAD_PROGRAM);
    pass.setPipeline(program.pipeline);
    pass.setBindGroup(
      0,
      program.bind(
        [
          frame.view,
          frame.uniform(new Uint8Array(bytes), 'point style'),
          { buffer: this.points, offset: 0, size: this.count * 8 },
        ],
        'points',
      ),
    );
    pass.draw(pixels ? this.count : 6 * this.count);
  }
}

/**
 * The field view: arrows of a 2-D vector field on a grid, lengths proportional to the
 * magnitude with one scale for the whole field, so the longest arrow spans most of a cell and
 * the legend can say what that length means.
 */
import type { Drawable, Frame } from './frame';
import { checkColor } from './points';
import { ARROWS_PROGRAM, type ProgramRequest } from './programs';
import type { Bounds } from './view-transform';

export const FIELD_RESOLUTION_LIMITS = [2, 128] as const;
/** The longest arrow spans this fraction of the grid spacing. */
const LONGEST_ARROW_FRACTION = 0.9;

export interface ArrowGrid {
  /** Arrow centres, flat (x0, y0, …), row by row from the bottom-left cell. */
  points: Float32Array;
  /** Distance between neighbouring arrows along the shorter spacing, data units. */
  spacing: number;
}

/** `resolution` × `resolution` cell centres across `bounds`. */
export function arrowGrid(bounds: Bounds, resolution: number): ArrowGrid {
  const [min, max] = FIELD_RESOLUTION_LIMITS;
  if (!Number.isInteger(resolution) || resolution < min || resolution > max) {
    throw new RangeError(
      `field.resolution must be an integer in [${min}, ${max}] arrows per side, got ${String(resolution)}.`,
    );
  }
  const [x0, y0, x1, y1] = bounds;
  const dx = (x1 - x0) / resolution;
  const dy = (y1 - y0) / resolution;
  const points = new Float32Array(2 * resolution * resolution);
  for (let j = 0; j < resolution; j++) {
    for (let i = 0; i < resolution; i++) {
      points[2 * (j * resolution + i)] = x0 + (i + 0.5) * dx;
      points[2 * (j * resolution + i) + 1] = y0 + (j + 0.5) * dy;
    }
  }
  return { points, spacing: Math.min(dx, dy) };
}

/**
 * Interleaves centres and vectors as (x, y, vx, vy) per arrow, and the scale that makes the
 * longest finite vector LONGEST_ARROW_FRACTION of the spacing (data units per unit magnitude).
 */
export function arrowData(
  grid: ArrowGrid,
  vectors: ArrayLike<number>,
): { arrows: Float32Array; maxMagnitude: number; lengthScale: number } {
  const n = grid.points.length / 2;
  if (vectors.length !== 2 * n) {
    throw new RangeError(`A field needs ${2 * n} vector components, got ${vectors.length}.`);
  }
  const arrows = new Float32Array(4 * n);
  let maxMagnitude = 0;
  for (let i = 0; i < n; i++) {
    const [vx, vy] = [vectors[2 * i]!, vectors[2 * i + 1]!];
    arrows.set([grid.points[2 * i]!, grid.points[2 * i + 1]!, vx, vy], 4 * i);
    const magnitude = Math.hypot(vx, vy);
    if (Number.isFinite(magnitude)) maxMagnitude = Math.max(maxMagnitude, magnitude);
  }
  const lengthScale = maxMagnitude > 0 ? (LONGEST_ARROW_FRACTION * grid.spacing) / maxMagnitude : 0;
  return { arrows, maxMagnitude, lengthScale };
}

export interface ArrowStyle {
  color: readonly [number, number, number];
  alpha: number;
  /** Shaft width and head length in CSS pixels. */
  widthPx: number;
  headPx: number;
}

export function checkArrowStyle(style: ArrowStyle): ArrowStyle {
  checkColor(style.color, 'field.color');
  if (!(style.alpha >= 0 && style.alpha <= 1)) {
    throw new RangeError(`field.alpha must be in [0, 1], got ${style.alpha}.`);
  }
  return style;
}

export class FieldArrows implements Drawable {
  readonly programs: readonly ProgramRequest[] = [{ program: ARROWS_PROGRAM }];

  constructor(
    /** count vec4<f32> (centre x, centre y, vx, vy) in data coordinates. */
    private readonly arrows: GPUBuffer,
    private readonly count: number,
    /** Data units of arrow per unit of magnitude. */
    private readonly lengthScale: number,
    private readonly style: ArrowStyle,
  ) {}

  encode(pass: GPURenderPassEncoder, frame: Frame): void {
    if (this.count === 0 || !(this.lengthScale > 0)) return;
    const bytes = new ArrayBuffer(32);
    const [r, g, b] = this.style.color;
    new Float32Array(bytes, 0, 8).set([
      this.lengthScale,
      Math.max(1, this.style.widthPx * frame.pixelRatio),
      this.style.headPx * frame.pixelRatio,
      0,
      r,
      g,
      b,
      this.style.alpha,
    ]);
    const program = frame.program(ARROWS_PROGRAM);
    pass.setPipeline(program.pipeline);
    pass.setBindGroup(
      0,
      program.bind(
        [
          frame.view,
          frame.uniform(new Uint8Array(bytes), 'arrow style'),
          { buffer: this.arrows, offset: 0, size: this.count * 16 },
        ],
        'field arrows',
      ),
    );
    pass.draw(this.count * 9);
  }
}

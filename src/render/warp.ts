/**
 * The warp view: a grid of lines whose points are traced through the flow (model.trace) and
 * stored, every stage, in one GPU buffer. Drawing picks a stage, or blends two neighbouring
 * stages for smooth scrubbing, without recomputing anything.
 */
import type { Drawable, Frame } from './frame';
import { checkColor } from './points';
import { WARP_PROGRAM, type ProgramRequest } from './programs';
import type { Bounds } from './view-transform';

export interface WarpGeometry {
  /** Lines of constant y first (`firstFamily` of them), then lines of constant x. */
  readonly lineCount: number;
  readonly firstFamily: number;
  readonly pointsPerLine: number;
}

export const WARP_LIMITS = { lines: [2, 128], pointsPerLine: [2, 512] } as const;

/** Points of `lines` horizontal and `lines` vertical lines across `bounds`, line by line. */
export function warpGridPoints(
  bounds: Bounds,
  lines: number,
  pointsPerLine: number,
): { points: Float32Array; geometry: WarpGeometry } {
  for (const [field, value] of [
    ['lines', lines],
    ['pointsPerLine', pointsPerLine],
  ] as const) {
    const [min, max] = WARP_LIMITS[field];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`warp.${field} must be an integer in [${min}, ${max}], got ${value}.`);
    }
  }
  const [xMin, yMin, xMax, yMax] = bounds;
  const points = new Float32Array(2 * lines * pointsPerLine * 2);
  let k = 0;
  for (let family = 0; family < 2; family++) {
    for (let l = 0; l < lines; l++) {
      const across = l / (lines - 1);
      for (let i = 0; i < pointsPerLine; i++) {
        const along = i / (pointsPerLine - 1);
        const u = family === 0 ? along : across;
        const v = family === 0 ? across : along;
        points[k++] = xMin + u * (xMax - xMin);
        points[k++] = yMin + v * (yMax - yMin);
      }
    }
  }
  return { points, geometry: { lineCount: 2 * lines, firstFamily: lines, pointsPerLine } };
}

export interface WarpStyle {
  /** Line width in CSS pixels. */
  widthPx: number;
  /** Straight RGBA of the lines of constant y and of constant x. */
  colors: readonly [readonly number[], readonly number[]];
}

export class WarpGrid implements Drawable {
  readonly programs: readonly ProgramRequest[] = [{ program: WARP_PROGRAM }];

  constructor(
    /** stageCount · lineCount · pointsPerLine vec2<f32>, stage after stage. */
    private readonly stages: GPUBuffer,
    private readonly stageCount: number,
    private readonly geometry: WarpGeometry,
    /** Which stage to draw; fractions blend two neighbours. */
    private readonly stage: number,
    private readonly style: WarpStyle,
  ) {
    style.colors.forEach((c, i) => checkColor(c, `warp.colors[${i}]`));
    if (!(style.widthPx > 0 && style.widthPx <= 16)) {
      throw new RangeError(`warp.widthPx must be in (0, 16] CSS pixels, got ${style.widthPx}.`);
    }
  }

  encode(pass: GPURenderPassEncoder, frame: Frame): void {
    const { lineCount, firstFamily, pointsPerLine } = this.geometry;
    const stage = Math.min(Math.max(this.stage, 0), this.stageCount - 1);
    const a = Math.floor(stage);
    const b = Math.min(a + 1, this.stageCount - 1);
    const bytes = new ArrayBuffer(64);
    new Uint32Array(bytes, 0, 6).set([
      pointsPerLine,
      lineCount,
      lineCount * pointsPerLine,
      firstFamily,
      a,
      b,
    ]);
    new Float32Array(bytes, 24, 2).set([
      stage - a,
      Math.max(1, this.style.widthPx * frame.pixelRatio),
    ]);
    const [first, second] = this.style.colors;
    new Float32Array(bytes, 32, 8).set([...rgba(first), ...rgba(second)]);
    const program = frame.program(WARP_PROGRAM);
    pass.setPipeline(program.pipeline);
    pass.setBindGroup(
      0,
      program.bind(
        [
          frame.view,
          frame.uniform(new Uint8Array(bytes), 'warp uniforms'),
          { buffer: this.stages },
        ],
        'warp grid',
      ),
    );
    pass.draw(lineCount * (pointsPerLine - 1) * 6);
  }
}

function rgba(color: readonly number[]): [number, number, number, number] {
  return [color[0]!, color[1]!, color[2]!, color[3] ?? 1];
}

/**
 * The trajectories view: sample paths from noise to data, drawn from one GPU buffer of frames
 * (frame-major: every path's position at frame 0, then at frame 1, …; frame 0 at the noise
 * end). A fractional end frame cuts the paths for the time scrubber without recomputing them.
 */
import type { Drawable, Frame } from './frame';
import { checkColor } from './points';
import { TRAJECTORIES_LINES_PROGRAM, TRAJECTORIES_PROGRAM, type ProgramRequest } from './programs';

export interface PathStyle {
  color: readonly [number, number, number];
  alpha: number;
  /** Line width in CSS pixels. */
  widthPx: number;
}

export function checkPathStyle(style: PathStyle, what: string): PathStyle {
  checkColor(style.color, `${what}.color`);
  if (!(style.alpha >= 0 && style.alpha <= 1)) {
    throw new RangeError(`${what}.alpha must be in [0, 1], got ${style.alpha}.`);
  }
  if (!(style.widthPx > 0 && style.widthPx <= 16)) {
    throw new RangeError(`${what}.widthPx must be in (0, 16] CSS pixels, got ${style.widthPx}.`);
  }
  return style;
}

/**
 * The fractional frame at which paths recorded at `times` (decreasing from the noise end)
 * reach time `upTo`: 0 … frames − 1, interpolated between the two frames around it.
 */
export function endFrameAt(times: readonly number[], upTo: number): number {
  if (!(upTo >= 0 && upTo <= 1)) {
    throw new RangeError(`trajectories.upTo must be a time in [0, 1], got ${String(upTo)}.`);
  }
  for (let f = 0; f + 1 < times.length; f++) {
    const [a, b] = [times[f]!, times[f + 1]!];
    if (upTo <= a && upTo >= b) return a === b ? f + 1 : f + (a - upTo) / (a - b);
  }
  return upTo > (times[0] ?? 0) ? 0 : times.length - 1;
}

/** Up to this many device pixels wide, paths are drawn as a line-list. */
const LINE_MAX_PX = 1.5;

export class TrajectoryPaths implements Drawable {
  readonly programs: readonly ProgramRequest[] = [
    { program: TRAJECTORIES_PROGRAM },
    { program: TRAJECTORIES_LINES_PROGRAM },
  ];

  constructor(
    /** frameCount · pathCount vec2<f32>, frame-major. */
    private readonly frames: GPUBuffer,
    private readonly pathCount: number,
    private readonly frameCount: number,
    /** Draw up to this (fractional) frame. */
    private readonly endFrame: number,
    private readonly style: PathStyle,
  ) {}

  encode(pass: GPURenderPassEncoder, frame: Frame): void {
    const end = Math.min(Math.max(this.endFrame, 0), this.frameCount - 1);
    if (this.pathCount === 0 || this.frameCount < 2 || end <= 0) return;
    const bytes = new ArrayBuffer(48);
    new Uint32Array(bytes, 0, 2).set([this.pathCount, this.frameCount]);
    const [r, g, b] = this.style.color;
    const width = Math.max(1, this.style.widthPx * frame.pixelRatio);
    new Float32Array(bytes, 16, 6).set([r, g, b, this.style.alpha, end, width]);
    // A line of one device pixel is what a thin quad would cover, at a third of the vertices.
    const lines = width <= LINE_MAX_PX;
    const program = frame.program(lines ? TRAJECTORIES_LINES_PROGRAM : TRAJECTORIES_PROGRAM);
    pass.setPipeline(program.pipeline);
    pass.setBindGroup(
      0,
      program.bind(
        [
          frame.view,
          frame.uniform(new Uint8Array(bytes), 'trajectories uniforms'),
          { buffer: this.frames, offset: 0, size: this.frameCount * this.pathCount * 8 },
        ],
        'trajectories',
      ),
    );
    // Only the segments up to the end frame; the shader cuts the last one part-way.
    pass.draw(Math.ceil(end) * this.pathCount * (lines ? 2 : 6));
  }
}

/**
 * Density heatmaps: a grid of cell centres (whose log p the caller writes into a GPU buffer:
 * model.logProbToBuffer, or a dataset's exact log-density encoder), its colour range reduced on
 * the GPU, and the fragment pass that colours every pixel.
 */
import { type CompiledKernel, type GpuRuntime, type PooledBuffer, STORAGE_USAGE } from '../gpu';
import { colormapUniform, colormapStops, type ColormapName } from './colormaps';
import type { Drawable, Frame } from './frame';
import { HEATMAP_PROGRAM, HEATMAP_RANGE_KERNEL, type ProgramRequest } from './programs';
import type { Bounds } from './view-transform';

/** Square cells covering `bounds`; the longer side has `resolution` cells. */
export interface HeatmapGrid {
  readonly bounds: Bounds;
  readonly width: number;
  readonly height: number;
}

export const HEATMAP_RESOLUTION_LIMITS = [8, 512] as const;

export function heatmapGrid(bounds: Bounds, resolution: number): HeatmapGrid {
  const [min, max] = HEATMAP_RESOLUTION_LIMITS;
  if (!Number.isInteger(resolution) || resolution < min || resolution > max) {
    throw new RangeError(
      `heatmap.resolution must be an integer in [${min}, ${max}] cells, got ${String(resolution)}.`,
    );
  }
  const [xMin, yMin, xMax, yMax] = bounds;
  const w = xMax - xMin;
  const h = yMax - yMin;
  const cell = Math.max(w, h) / resolution;
  const width = Math.max(1, Math.round(w / cell));
  const height = Math.max(1, Math.round(h / cell));
  return { bounds, width, height };
}

/** Cell centres, row-major, row 0 at yMin: (x0, y0, x1, y1, …). */
export function gridCentres(grid: HeatmapGrid): Float32Array {
  const [xMin, yMin, xMax, yMax] = grid.bounds;
  const out = new Float32Array(grid.width * grid.height * 2);
  for (let j = 0; j < grid.height; j++) {
    const y = yMin + ((j + 0.5) / grid.height) * (yMax - yMin);
    for (let i = 0; i < grid.width; i++) {
      const k = 2 * (j * grid.width + i);
      out[k] = xMin + ((i + 0.5) / grid.width) * (xMax - xMin);
      out[k + 1] = y;
    }
  }
  return out;
}

/** The colour range of a grid of log p, in nats. */
export interface HeatmapLegend {
  /** Bottom of the colour range (at most `clipNats` below the top). */
  min: number;
  max: number;
  /** The smallest finite log p on the grid (below `min` when clipped). */
  lowest: number;
  unit: 'nats';
  colormap: ColormapName;
}

/** Owns the 16-byte range buffer the heatmap pass reads: [lo, hi, any finite, lowest]. */
export class HeatmapRange {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly kernel: CompiledKernel,
    readonly buffer: PooledBuffer,
  ) {}

  static async create(runtime: GpuRuntime): Promise<HeatmapRange> {
    const kernel = await runtime.pipelines.get(HEATMAP_RANGE_KERNEL);
    const buffer = runtime.pool.acquire(16, STORAGE_USAGE, 'heatmap range');
    return new HeatmapRange(runtime, kernel, buffer);
  }

  /** Records the reduction; returns its uniform buffer, to dispose after the submit. */
  encode(
    pass: GPUComputePassEncoder,
    values: GPUBuffer,
    count: number,
    clipNats: number,
  ): PooledBuffer {
    if (!(clipNats > 0)) {
      throw new RangeError(`heatmap.clipNats must be a positive number of nats, got ${clipNats}.`);
    }
    const bytes = new ArrayBuffer(16);
    new Uint32Array(bytes, 0, 1)[0] = count;
    new Float32Array(bytes, 4, 1)[0] = clipNats;
    const uniforms = this.runtime.pool.upload(
      new Uint8Array(bytes),
      GPUBufferUsage.UNIFORM,
      'heatmap range uniforms',
    );
    this.kernel.encode(
      pass,
      this.kernel.bind(this.runtime.device, [
        uniforms.binding,
        { buffer: values, offset: 0, size: count * 4 },
        this.buffer.binding,
      ]),
      1,
    );
    return uniforms;
  }

  /** Reduces `count` log p values into the range buffer in a submit of its own. */
  reduce(values: GPUBuffer, count: number, clipNats: number): void {
    const { device } = this.runtime;
    const encoder = device.createCommandEncoder({ label: 'heatmap range' });
    const pass = encoder.beginComputePass({ label: 'heatmap range' });
    let uniforms: PooledBuffer;
    try {
      uniforms = this.encode(pass, values, count, clipNats);
    } finally {
      pass.end();
    }
    device.queue.submit([encoder.finish()]);
    uniforms.dispose();
  }

  /** Reads the range back (16 bytes) for the page's legend; drawing never waits for this. */
  async read(colormap: ColormapName): Promise<HeatmapLegend | null> {
    const [lo, hi, any, lowest] = await this.runtime.readback.readFloat32(this.buffer.buffer, 0, 4);
    if (any! < 0.5) return null;
    return { min: lo!, max: hi!, lowest: lowest!, unit: 'nats', colormap };
  }

  dispose(): void {
    this.buffer.dispose();
  }
}

export class Heatmap implements Drawable {
  readonly programs: readonly ProgramRequest[];
  private readonly constants: { COLORMAP_STOPS: number };

  constructor(
    /** width · height log p values, row-major, row 0 at yMin. */
    private readonly values: GPUBuffer,
    private readonly range: GPUBuffer,
    private readonly grid: HeatmapGrid,
    private readonly colormap: ColormapName,
  ) {
    this.constants = { COLORMAP_STOPS: colormapStops(colormap).length };
    this.programs = [{ program: HEATMAP_PROGRAM, constants: this.constants }];
  }

  encode(pass: GPURenderPassEncoder, frame: Frame): void {
    const bytes = new ArrayBuffer(32);
    const [xMin, yMin, xMax, yMax] = this.grid.bounds;
    new Float32Array(bytes, 0, 4).set([xMin, yMin, xMax, yMax]);
    new Uint32Array(bytes, 16, 2).set([this.grid.width, this.grid.height]);
    const program = frame.program(HEATMAP_PROGRAM, this.constants);
    pass.setPipeline(program.pipeline);
    pass.setBindGroup(
      0,
      program.bind(
        [
          frame.view,
          frame.uniform(new Uint8Array(bytes), 'heatmap uniforms'),
          { buffer: this.values, offset: 0, size: this.grid.width * this.grid.height * 4 },
          { buffer: this.range, offset: 0, size: 16 },
          frame.uniform(colormapUniform(this.colormap), `${this.colormap} colormap`),
        ],
        'heatmap',
      ),
    );
    pass.draw(3);
  }
}

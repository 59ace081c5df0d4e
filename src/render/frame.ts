/**
 * One frame of a view: compile what its layers need (cached), fit the bounds to the target,
 * record every layer into one render pass and submit. Per-frame uniforms come from the buffer
 * pool and go back right after the submit (later writes execute after it, in queue order).
 */
import type { GpuRuntime, PooledBuffer } from '../gpu';
import type { ProgramRequest } from './programs';
import {
  renderKey,
  type CompiledRenderProgram,
  type RenderPipelineCache,
  type RenderProgram,
} from './render-pipelines';
import { fitView, viewUniform, type Bounds, type ViewTransform } from './view-transform';

/** A texture to draw into and its size in device pixels. */
export interface RenderTarget {
  readonly view: GPUTextureView;
  readonly width: number;
  readonly height: number;
}

/** Something a view draws: the programs it needs, then its commands. */
export interface Drawable {
  readonly programs: readonly ProgramRequest[];
  encode(pass: GPURenderPassEncoder, frame: Frame): void;
}

export class Frame {
  private readonly transient: PooledBuffer[] = [];
  /** The View uniform (shaders/render/view.wgsl) of this frame. */
  readonly view: GPUBufferBinding;

  constructor(
    readonly runtime: GpuRuntime,
    readonly format: GPUTextureFormat,
    readonly transform: ViewTransform,
    readonly width: number,
    readonly height: number,
    /** Device pixels per CSS pixel: sizes given in CSS pixels scale by it. */
    readonly pixelRatio: number,
    private readonly compiled: ReadonlyMap<string, CompiledRenderProgram>,
  ) {
    this.view = this.uniform(viewUniform(transform, width, height), 'view uniform');
  }

  program(
    program: RenderProgram,
    constants: ProgramRequest['constants'] = {},
  ): CompiledRenderProgram {
    const compiled = this.compiled.get(renderKey(program, this.format, constants));
    if (!compiled) {
      throw new Error(
        `Render program "${program.name}" was not compiled for this frame; list it in the ` +
          "drawable's programs.",
      );
    }
    return compiled;
  }

  /** A uniform buffer holding `data` until the frame is released. */
  uniform(data: ArrayBufferView, label: string): GPUBufferBinding {
    const owned = this.runtime.pool.upload(data, GPUBufferUsage.UNIFORM, label);
    this.transient.push(owned);
    return owned.binding;
  }

  release(): void {
    for (const owned of this.transient.splice(0)) owned.dispose();
  }
}

export interface FrameOptions {
  bounds: Bounds;
  pixelRatio: number;
  /** Straight RGBA in [0, 1]. */
  background: readonly [number, number, number, number];
}

/** Compiles (in parallel, cached) every program the drawables need for `format`. */
export async function compileFor(
  pipelines: RenderPipelineCache,
  format: GPUTextureFormat,
  drawables: readonly Drawable[],
): Promise<Map<string, CompiledRenderProgram>> {
  const requests = drawables.flatMap((d) => d.programs);
  const compiled = await Promise.all(
    requests.map((r) => pipelines.get(r.program, format, r.constants ?? {})),
  );
  return new Map(compiled.map((c) => [c.key, c]));
}

/**
 * Draws one frame. `acquire` is called only after compilation, right before recording: a
 * canvas's current texture must be taken in the same task that submits to it.
 */
export async function renderFrame(
  runtime: GpuRuntime,
  pipelines: RenderPipelineCache,
  format: GPUTextureFormat,
  acquire: () => RenderTarget,
  options: FrameOptions,
  drawables: readonly Drawable[],
): Promise<ViewTransform> {
  const compiled = await compileFor(pipelines, format, drawables);
  const target = acquire();
  const transform = fitView(options.bounds, target.width, target.height);
  const frame = new Frame(
    runtime,
    format,
    transform,
    target.width,
    target.height,
    options.pixelRatio,
    compiled,
  );
  const [r, g, b, a] = options.background;
  const encoder = runtime.device.createCommandEncoder({ label: 'view frame' });
  const pass = encoder.beginRenderPass({
    label: 'view frame',
    colorAttachments: [
      {
        view: target.view,
        // Premultiplied, like everything drawn over it.
        clearValue: { r: r * a, g: g * a, b: b * a, a },
        loadOp: 'clear',
        storeOp: 'store',
      },
    ],
  });
  for (const drawable of drawables) drawable.encode(pass, frame);
  pass.end();
  runtime.device.queue.submit([encoder.finish()]);
  frame.release();
  return transform;
}

/**
 * Where frames go: an OffscreenCanvas the page transferred (HiDPI: its pixel size is the CSS
 * size times the device pixel ratio), presented through WebGPU or copied into a 2-D context, or
 * an offscreen texture whose pixels can be read back (tests, image export). All hand out a
 * RenderTarget per frame.
 */
import type { GpuRuntime } from '../gpu';
import type { RenderTarget } from './frame';

export interface SurfaceSize {
  cssWidth: number;
  cssHeight: number;
  /** Device pixels per CSS pixel (window.devicePixelRatio on the page). */
  pixelRatio: number;
}

export function checkSurfaceSize(size: SurfaceSize): SurfaceSize {
  const { cssWidth, cssHeight, pixelRatio } = size;
  if (!(cssWidth > 0 && cssWidth <= 16384) || !(cssHeight > 0 && cssHeight <= 16384)) {
    throw new RangeError(
      `A view needs a CSS size in (0, 16384] on both axes, got ${cssWidth} × ${cssHeight}.`,
    );
  }
  if (!(pixelRatio > 0 && pixelRatio <= 8)) {
    throw new RangeError(
      `pixelRatio must be in (0, 8] (window.devicePixelRatio), got ${pixelRatio}.`,
    );
  }
  return size;
}

/** Device-pixel size of a CSS size, within the device's largest texture. */
export function devicePixels(size: SurfaceSize, device: GPUDevice): [number, number] {
  const largest = device.limits.maxTextureDimension2D;
  return [
    Math.min(largest, Math.max(1, Math.round(size.cssWidth * size.pixelRatio))),
    Math.min(largest, Math.max(1, Math.round(size.cssHeight * size.pixelRatio))),
  ];
}

/** The format canvases prefer here (bgra8unorm on most systems), for pipelines and readback. */
export function canvasFormat(): GPUTextureFormat {
  return navigator.gpu.getPreferredCanvasFormat();
}

/**
 * How a view's frames reach its canvas:
 * - 'canvas': a WebGPU canvas context (the frame is the canvas's own texture; no copy);
 * - 'copy': the frame is drawn into an offscreen texture, read back and put into a 2-D canvas
 *   context. On a CPU adapter (SwiftShader) this costs one memcpy-sized readback, and it avoids a
 *   Chromium failure: where the compositor has no shared-image backing for WebGPU canvases
 *   (headless or GPU-less Chromium without ANGLE on SwiftShader), the first presented WebGPU
 *   canvas frame drops the worker's whole WebGPU instance, and with it every device it made —
 *   reported as a loss with reason 'destroyed' although nothing called destroy().
 * - 'auto' (default): 'copy' on fallback (CPU) adapters, 'canvas' on real GPUs.
 */
export type Presentation = 'auto' | 'canvas' | 'copy';

/** The presentation 'auto' resolves to for an adapter. */
export function resolvePresentation(
  requested: Presentation,
  adapter: { isFallback: boolean },
): 'canvas' | 'copy' {
  if (requested === 'canvas' || requested === 'copy') return requested;
  if (requested !== 'auto') {
    throw new RangeError(
      `presentation must be 'auto', 'canvas' or 'copy', got "${String(requested)}".`,
    );
  }
  return adapter.isFallback ? 'copy' : 'canvas';
}

/** Where a view's frames go: acquire() a target, draw into it, then present() it. */
export interface ViewSurface {
  readonly presentation: 'canvas' | 'copy';
  readonly format: GPUTextureFormat;
  readonly cssSize: SurfaceSize;
  readonly width: number;
  readonly height: number;
  /** (Re)binds the surface to a runtime: at creation and after a device loss. */
  configure(runtime: GpuRuntime): void;
  resize(size: SurfaceSize): void;
  acquire(): RenderTarget;
  /** Shows the frame drawn into the last acquired target. */
  present(): Promise<void>;
  dispose(): void;
}

/** A view surface for `canvas` with the given presentation (see Presentation). */
export function createViewSurface(
  canvas: OffscreenCanvas,
  runtime: GpuRuntime,
  size: SurfaceSize,
  presentation: Presentation = 'auto',
): ViewSurface {
  return resolvePresentation(presentation, runtime.context.adapterInfo) === 'copy'
    ? new CopySurface(canvas, runtime, size)
    : new CanvasSurface(canvas, runtime, size);
}

/** A transferred canvas sized in device pixels from a CSS size; subclasses present into it. */
abstract class CanvasBackedSurface {
  private size: SurfaceSize;
  /** Set by configure(), which subclass constructors call. */
  protected runtime!: GpuRuntime;

  protected constructor(
    protected readonly canvas: OffscreenCanvas,
    size: SurfaceSize,
  ) {
    this.size = checkSurfaceSize(size);
  }

  /** (Re)binds the surface to a runtime: at creation and after a device loss. */
  configure(runtime: GpuRuntime): void {
    this.runtime = runtime;
    [this.canvas.width, this.canvas.height] = devicePixels(this.size, runtime.device);
  }

  resize(size: SurfaceSize): void {
    this.size = checkSurfaceSize(size);
    [this.canvas.width, this.canvas.height] = devicePixels(size, this.runtime.device);
  }

  get cssSize(): SurfaceSize {
    return this.size;
  }

  get width(): number {
    return this.canvas.width;
  }

  get height(): number {
    return this.canvas.height;
  }
}

/** Frames drawn straight into the canvas's WebGPU context. */
export class CanvasSurface extends CanvasBackedSurface implements ViewSurface {
  readonly presentation = 'canvas';
  readonly format = canvasFormat();
  private readonly context: GPUCanvasContext;

  constructor(canvas: OffscreenCanvas, runtime: GpuRuntime, size: SurfaceSize) {
    super(canvas, size);
    const context = canvas.getContext('webgpu');
    if (!context) {
      throw new Error(
        'The canvas gave no WebGPU context: it already has another context (2d, webgl), or ' +
          'WebGPU is unavailable. Transfer a fresh canvas (canvas.transferControlToOffscreen()).',
      );
    }
    this.context = context;
    this.configure(runtime);
  }

  override configure(runtime: GpuRuntime): void {
    super.configure(runtime);
    this.context.configure({
      device: runtime.device,
      format: this.format,
      alphaMode: 'premultiplied',
    });
  }

  acquire(): RenderTarget {
    const texture = this.context.getCurrentTexture();
    return {
      view: texture.createView({ label: 'canvas frame' }),
      width: texture.width,
      height: texture.height,
    };
  }

  /** The canvas context presents its texture by itself at the end of the task. */
  present(): Promise<void> {
    return Promise.resolve();
  }

  dispose(): void {
    this.context.unconfigure();
  }
}

/** Frames drawn offscreen, read back and put into the canvas's 2-D context. */
export class CopySurface extends CanvasBackedSurface implements ViewSurface {
  readonly presentation = 'copy';
  /** Straight RGBA bytes, the order ImageData wants: no swizzle on readback. */
  readonly format: GPUTextureFormat = 'rgba8unorm';
  private readonly context: OffscreenCanvasRenderingContext2D;
  private target: TextureSurface | undefined;

  constructor(canvas: OffscreenCanvas, runtime: GpuRuntime, size: SurfaceSize) {
    super(canvas, size);
    const context = canvas.getContext('2d');
    if (!context) {
      throw new Error(
        'The canvas gave no 2-D context: it already has another context (webgpu, webgl). ' +
          'Transfer a fresh canvas (canvas.transferControlToOffscreen()).',
      );
    }
    this.context = context;
    this.configure(runtime);
  }

  override configure(runtime: GpuRuntime): void {
    // The old texture belongs to the old device (gone after a loss): destroying it is harmless.
    this.target?.dispose();
    this.target = undefined;
    super.configure(runtime);
  }

  acquire(): RenderTarget {
    const { width, height } = this.canvas;
    if (this.target?.width !== width || this.target.height !== height) {
      this.target?.dispose();
      this.target = new TextureSurface(this.runtime, width, height, this.format);
    }
    return this.target.acquire();
  }

  async present(): Promise<void> {
    const target = this.target;
    if (!target) return;
    const image = await target.read();
    // A resize while the pixels were on their way: the next frame draws at the new size.
    if (image.width !== this.canvas.width || image.height !== this.canvas.height) return;
    unpremultiply(image.data);
    this.context.putImageData(new ImageData(image.data, image.width, image.height), 0, 0);
  }

  dispose(): void {
    this.target?.dispose();
    this.target = undefined;
  }
}

/** The frame's colours are premultiplied by alpha; ImageData holds straight colours. */
function unpremultiply(data: Uint8ClampedArray): void {
  for (let i = 3; i < data.length; i += 4) {
    const alpha = data[i]!;
    if (alpha === 255 || alpha === 0) continue;
    const scale = 255 / alpha;
    data[i - 3] = data[i - 3]! * scale;
    data[i - 2] = data[i - 2]! * scale;
    data[i - 1] = data[i - 1]! * scale;
  }
}

/** Raw pixels, RGBA8 row by row from the top, colours premultiplied by alpha. */
export interface PixelImage {
  width: number;
  height: number;
  data: Uint8ClampedArray<ArrayBuffer>;
}

/** An offscreen texture to draw a frame into and read it back. */
export class TextureSurface {
  readonly texture: GPUTexture;

  constructor(
    private readonly runtime: GpuRuntime,
    readonly width: number,
    readonly height: number,
    readonly format: GPUTextureFormat,
  ) {
    this.texture = runtime.device.createTexture({
      label: 'offscreen frame',
      size: { width, height },
      format,
      usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC,
    });
  }

  acquire(): RenderTarget {
    return { view: this.texture.createView(), width: this.width, height: this.height };
  }

  /** Copies the texture into a buffer and reads it back as RGBA8 (swizzled from BGRA if needed). */
  async read(): Promise<PixelImage> {
    const { width, height } = this;
    // copyTextureToBuffer needs rows aligned to 256 bytes.
    const bytesPerRow = Math.ceil((width * 4) / 256) * 256;
    const staging = this.runtime.pool.acquire(
      bytesPerRow * height,
      GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      'offscreen frame pixels',
    );
    try {
      const encoder = this.runtime.device.createCommandEncoder({ label: 'read frame pixels' });
      encoder.copyTextureToBuffer(
        { texture: this.texture },
        { buffer: staging.buffer, bytesPerRow },
        { width, height },
      );
      this.runtime.device.queue.submit([encoder.finish()]);
      const padded = new Uint8Array(
        await this.runtime.readback.read(staging.buffer, 0, bytesPerRow * height),
      );
      const data = new Uint8ClampedArray(width * height * 4);
      const bgra = this.format.startsWith('bgra');
      for (let y = 0; y < height; y++) {
        const row = padded.subarray(y * bytesPerRow, y * bytesPerRow + width * 4);
        data.set(row, y * width * 4);
        if (bgra) {
          for (let i = y * width * 4; i < (y + 1) * width * 4; i += 4) {
            const blue = data[i]!;
            data[i] = data[i + 2]!;
            data[i + 2] = blue;
          }
        }
      }
      return { width, height, data };
    } finally {
      staging.dispose();
    }
  }

  dispose(): void {
    this.texture.destroy();
  }
}

/**
 * Where frames go: an OffscreenCanvas the page transferred (HiDPI: its pixel size is the CSS
 * size times the device pixel ratio), or an offscreen texture whose pixels can be read back
 * (tests, image export). Both hand out a RenderTarget per frame.
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

export class CanvasSurface {
  private readonly context: GPUCanvasContext;
  readonly format = canvasFormat();
  private size: SurfaceSize;
  /** Set by configure(), which the constructor calls. */
  private device!: GPUDevice;

  constructor(
    private readonly canvas: OffscreenCanvas,
    device: GPUDevice,
    size: SurfaceSize,
  ) {
    const context = canvas.getContext('webgpu');
    if (!context) {
      throw new Error(
        'The canvas gave no WebGPU context: it already has another context (2d, webgl), or ' +
          'WebGPU is unavailable. Transfer a fresh canvas (canvas.transferControlToOffscreen()).',
      );
    }
    this.context = context;
    this.size = checkSurfaceSize(size);
    this.configure(device);
  }

  /** (Re)binds the canvas to a device: at creation and after a device loss. */
  configure(device: GPUDevice): void {
    [this.canvas.width, this.canvas.height] = devicePixels(this.size, device);
    this.context.configure({ device, format: this.format, alphaMode: 'premultiplied' });
    this.device = device;
  }

  resize(size: SurfaceSize): void {
    this.size = checkSurfaceSize(size);
    [this.canvas.width, this.canvas.height] = devicePixels(size, this.device);
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

  acquire(): RenderTarget {
    const texture = this.context.getCurrentTexture();
    return {
      view: texture.createView({ label: 'canvas frame' }),
      width: texture.width,
      height: texture.height,
    };
  }

  dispose(): void {
    this.context.unconfigure();
  }
}

/** Raw pixels, RGBA8 row by row from the top, colours premultiplied by alpha. */
export interface PixelImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
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

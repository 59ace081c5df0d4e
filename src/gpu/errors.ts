/** Errors of the GPU core. Each says what was expected, what happened and what to do. */

export type WebGpuUnavailableReason = 'no-navigator-gpu' | 'no-adapter' | 'device-request-failed';

const ENABLE_WEBGPU_HINT =
  'WebGPU is available in Chrome and Edge 113+, Safari 26+, and Firefox with WebGPU enabled ' +
  '(dom.webgpu.enabled). On Linux, Chromium may need --enable-unsafe-webgpu and ' +
  '--enable-features=Vulkan; headless Chromium without a GPU can use SwiftShader with ' +
  '--use-vulkan=swiftshader --use-webgpu-adapter=swiftshader.';

/** WebGPU could not be obtained at all: no API, no adapter, or the device request failed. */
export class WebGpuUnavailableError extends Error {
  override readonly name = 'WebGpuUnavailableError';
  constructor(
    readonly reason: WebGpuUnavailableReason,
    detail: string,
  ) {
    super(`${detail} ${ENABLE_WEBGPU_HINT}`);
  }
}

/** One message of a shader compilation, with its position in the kernel's own WGSL file. */
export interface ShaderMessage {
  type: GPUCompilationMessageType;
  message: string;
  /** File the line belongs to (the kernel itself or one of its WGSL libraries). */
  file: string;
  /** 1-based line within `file`. */
  line: number;
  /** 1-based column. */
  column: number;
}

/** A kernel failed to compile or to build its pipeline. */
export class ShaderError extends Error {
  override readonly name = 'ShaderError';
  constructor(
    readonly kernel: string,
    readonly messages: readonly ShaderMessage[],
    readonly source: string,
  ) {
    const errors = messages.filter((m) => m.type === 'error');
    const lines = errors.map((m) =>
      m.line > 0 ? `  ${m.file}:${m.line}:${m.column}: ${m.message}` : `  ${m.file}: ${m.message}`,
    );
    // Only a compiler message with a position points into the WGSL; one without (a pipeline or
    // layout refused) is about bindings, entry points or limits.
    const hint = errors.some((m) => m.line > 0)
      ? 'Fix the WGSL at the positions above; the positions are within the named .wgsl file.'
      : "The compiler gave no position: check the kernel's bindings, entry point and constants " +
        "against the adapter's limits.";
    super(
      `Kernel "${kernel}" failed to compile:\n${lines.join('\n') || '  (no compiler message)'}\n` +
        hint,
    );
  }
}

/** The GPU device was lost (driver reset, destroy(), tab in the background for too long). */
export class GpuDeviceLostError extends Error {
  override readonly name = 'GpuDeviceLostError';
  constructor(
    readonly reason: GPUDeviceLostReason,
    detail: string,
  ) {
    super(
      `The GPU device was lost (${reason}): ${detail.replace(/\.$/, '') || 'no detail given'}. ` +
        'Acquire a new device and rebuild from the last checkpoint.',
    );
  }
}

/** A request was outside what the adapter or the library allows. */
export class GpuLimitError extends Error {
  override readonly name = 'GpuLimitError';
}

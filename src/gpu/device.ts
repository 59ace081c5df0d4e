import { WebGpuUnavailableError } from './errors';
import { GpuErrorReporter } from './reporter';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True when the adapter is a CPU implementation (SwiftShader, WARP, lavapipe). */
  isFallback: boolean;
}

export interface GpuOptions {
  powerPreference?: GPUPowerPreference;
  /** Features used when the adapter offers them (e.g. 'timestamp-query'). */
  optionalFeatures?: GPUFeatureName[];
}

/** An acquired device with its adapter description and the reporter of its asynchronous errors. */
export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  readonly adapterInfo: AdapterSummary;
  readonly reporter: GpuErrorReporter;
  /** Resolves when the device is lost, for any reason (including dispose()). */
  readonly lost: Promise<GPUDeviceLostInfo>;
  dispose(): void;
}

const FALLBACK_ARCHITECTURES = /swiftshader|warp|llvmpipe|lavapipe/i;

export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const fallback =
    (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    FALLBACK_ARCHITECTURES.test(`${info.architecture} ${info.description} ${info.vendor}`);
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallback: fallback,
  };
}

/**
 * Acquires a WebGPU device in a page or a worker.
 * Throws WebGpuUnavailableError with the specific step that failed.
 */
export async function acquireGpu(options: GpuOptions = {}): Promise<GpuContext> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new WebGpuUnavailableError(
      'no-navigator-gpu',
      'This browser exposes no WebGPU API (navigator.gpu is undefined).',
    );
  }
  const adapterOptions: GPURequestAdapterOptions = {};
  if (options.powerPreference) adapterOptions.powerPreference = options.powerPreference;
  const adapter = await gpu.requestAdapter(adapterOptions);
  if (!adapter) {
    throw new WebGpuUnavailableError(
      'no-adapter',
      'navigator.gpu.requestAdapter() returned no adapter (no usable GPU or driver, or WebGPU is blocklisted).',
    );
  }
  const requiredFeatures = (options.optionalFeatures ?? []).filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label: 'flowfield device',
      requiredFeatures,
      requiredLimits: pickLimits(adapter),
    });
  } catch (error) {
    throw new WebGpuUnavailableError(
      'device-request-failed',
      `adapter.requestDevice() failed: ${(error as Error).message}.`,
    );
  }
  const reporter = new GpuErrorReporter();
  let disposed = false;
  const lost = device.lost.then((info) => {
    if (!disposed) {
      reporter.report({ kind: 'device-lost', reason: info.reason, message: info.message });
    }
    return info;
  });
  device.addEventListener('uncapturederror', (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    reporter.report({
      kind: 'uncaptured-error',
      errorType: error.constructor.name,
      message: error.message,
    });
  });
  return {
    device,
    adapter,
    adapterInfo: summarizeAdapter(adapter),
    reporter,
    lost,
    dispose() {
      disposed = true;
      device.destroy();
    },
  };
}

/** Ask for the adapter's storage limits: training buffers outgrow the 128 MiB default quickly. */
function pickLimits(adapter: GPUAdapter): Record<string, number> {
  const limits = adapter.limits;
  return {
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxBufferSize: limits.maxBufferSize,
    maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
  };
}

/**
 * Shader modules and pipelines with their failures told apart: a WGSL problem becomes a
 * ShaderError with file:line:column; a device lost (or a WebGPU instance dropped) while compiling
 * becomes a GpuDeviceLostError, so callers recover instead of asking for a WGSL fix.
 */
import { GpuDeviceLostError, ShaderError, type ShaderMessage } from './errors';
import { locateLine, type SourceSegment } from './kernel';

/** What is being compiled: the cache key (the label), the assembled WGSL and where lines come from. */
export interface CompileSource {
  readonly key: string;
  readonly code: string;
  readonly segments: readonly SourceSegment[];
  /** The kernel's own file, named by messages that have no position. */
  readonly file: string;
}

/**
 * How long a failed compile waits for device.lost: the failure can arrive first. Only failures
 * wait, so a healthy compile never pays it.
 */
const LOSS_GRACE_MS = 1000;

/** A GpuDeviceLostError if `device` is lost within `ms`, else undefined. */
export function lostWithin(device: GPUDevice, ms: number): Promise<GpuDeviceLostError | undefined> {
  return Promise.race([
    device.lost.then((info) => new GpuDeviceLostError(info.reason, info.message)),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms)),
  ]);
}

/**
 * A rejected getCompilationInfo / popErrorScope / pipeline promise that is not a validation
 * error: the device or its instance is gone ("Instance dropped …"). Always a loss.
 */
async function lossFrom(device: GPUDevice, reason: unknown): Promise<GpuDeviceLostError> {
  const message = reason instanceof Error ? reason.message : String(reason);
  return (await lostWithin(device, LOSS_GRACE_MS)) ?? new GpuDeviceLostError('unknown', message);
}

/** createShaderModule, checked: compiler errors throw ShaderError, a lost device throws its loss. */
export async function createCheckedModule(
  device: GPUDevice,
  source: CompileSource,
): Promise<GPUShaderModule> {
  // Pop the scope before any await: error scopes are a per-device stack, so a scope left open
  // across an await would catch (and misattribute) the errors of concurrent compiles.
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: source.key, code: source.code });
  const scope = device.popErrorScope();
  // Both settle before either is looked at: a dropped instance rejects both, and an unobserved
  // rejection would surface as an unhandled error in the worker.
  const [info, scopeError] = await Promise.allSettled([module.getCompilationInfo(), scope]);
  if (info.status === 'rejected') throw await lossFrom(device, info.reason);
  if (scopeError.status === 'rejected') throw await lossFrom(device, scopeError.reason);
  const messages = info.value.messages.map((m): ShaderMessage => {
    const where = locateLine(source.segments, m.lineNum);
    return {
      type: m.type,
      message: m.message,
      file: where.file,
      line: where.line,
      column: m.linePos,
    };
  });
  if (messages.some((m) => m.type === 'error')) {
    throw new ShaderError(source.key, messages, source.code);
  }
  if (scopeError.value) {
    throw (
      (await lostWithin(device, LOSS_GRACE_MS)) ??
      new ShaderError(
        source.key,
        [
          {
            type: 'error',
            message: scopeError.value.message,
            file: source.file,
            line: 0,
            column: 0,
          },
        ],
        source.code,
      )
    );
  }
  return module;
}

/**
 * Waits for a pipeline (createComputePipelineAsync / createRenderPipelineAsync) and, if given,
 * the error scope around its creation: a failure on a lost device is the loss; otherwise it is a
 * ShaderError without a position (layouts, limits, entry points).
 */
export async function settlePipeline<T>(
  device: GPUDevice,
  source: CompileSource,
  pending: Promise<T>,
  scope: Promise<GPUError | null> = Promise.resolve(null),
): Promise<T> {
  const [pipeline, scopeError] = await Promise.allSettled([pending, scope]);
  if (scopeError.status === 'rejected') throw await lossFrom(device, scopeError.reason);
  const failure =
    pipeline.status === 'rejected' ? (pipeline.reason as Error) : (scopeError.value ?? undefined);
  if (!failure) return (pipeline as PromiseFulfilledResult<T>).value;
  throw (
    (await lostWithin(device, LOSS_GRACE_MS)) ??
    new ShaderError(
      source.key,
      [{ type: 'error', message: failure.message, file: source.file, line: 0, column: 0 }],
      source.code,
    )
  );
}

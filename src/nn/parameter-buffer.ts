/**
 * A model's flat float32 parameter buffer read back and written whole (exportParams and
 * importParams of the image models), with the one check and message every such model gives.
 */
import type { GpuRuntime } from '../gpu';

export function readParameters(
  runtime: GpuRuntime,
  buffer: GPUBuffer,
  count: number,
): Promise<Float32Array> {
  return runtime.readback.readFloat32(buffer, 0, count);
}

/** Writes `values` (a copy) after checking it is a Float32Array of exactly `count` values. */
export function writeParameters(
  runtime: GpuRuntime,
  buffer: GPUBuffer,
  values: Float32Array,
  count: number,
): void {
  if (!(values instanceof Float32Array) || values.length !== count) {
    throw new RangeError(
      `importParams needs a Float32Array of this model's ${count} parameters, got ` +
        `${values instanceof Float32Array ? values.length : typeof values} values; export them from a model of the same spec.`,
    );
  }
  runtime.device.queue.writeBuffer(buffer, 0, values.slice());
}

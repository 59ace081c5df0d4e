/**
 * Where a data kernel reads or writes: a whole buffer, a pooled one, or a range of one, as a
 * GPUBufferBinding; and the u32 check of a count handed to a kernel. Shared by the point
 * samplers (kernels.ts) and the image draws (images/kernels.ts).
 */
import type { PooledBuffer } from '../gpu';

export type BindingTarget = GPUBuffer | GPUBufferBinding | PooledBuffer;

export function bindingOf(target: BindingTarget): GPUBufferBinding {
  if ('binding' in target) return target.binding;
  if ('usage' in target) return { buffer: target, offset: 0, size: target.size };
  return target;
}

/** Bytes a binding spans (to the buffer's end when it names no size). */
export function bindingBytes(binding: GPUBufferBinding): number {
  return binding.size ?? binding.buffer.size - (binding.offset ?? 0);
}

/** `value` when it fits a WGSL u32, else a RangeError naming `field`. */
export function u32(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${field} must be an integer in [0, 2^32), got ${value}.`);
  }
  return value;
}

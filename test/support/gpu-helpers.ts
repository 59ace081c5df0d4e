/** Small helpers for GPU tests: one compute pass, upload, read back. */
import type { GpuRuntime, PooledBuffer } from '../../src/gpu';

export const STORAGE_RW =
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Runs `encode` in one compute pass and submits it. */
export function runPass(gpu: GpuRuntime, encode: (pass: GPUComputePassEncoder) => void): void {
  const encoder = gpu.device.createCommandEncoder({ label: 'test pass' });
  const pass = encoder.beginComputePass({ label: 'test pass' });
  encode(pass);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
}

export function uploadFloats(
  gpu: GpuRuntime,
  values: ArrayLike<number>,
  label: string,
): PooledBuffer {
  return gpu.pool.upload(Float32Array.from(values), STORAGE_RW, label);
}

export function zeros(gpu: GpuRuntime, floats: number, label: string): PooledBuffer {
  return uploadFloats(gpu, new Float32Array(Math.max(4, floats)), label);
}

export async function readFloats(
  gpu: GpuRuntime,
  owned: PooledBuffer,
  count?: number,
): Promise<Float32Array> {
  return gpu.readback.readFloat32(owned.buffer, 0, count ?? owned.byteLength / 4);
}

/** max |a − b| / max(1, |b|) over all elements. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  }
  return worst;
}

/** Deterministic pseudo-random values in [−scale, scale] (a tiny LCG: tests only). */
export function testValues(count: number, seed: number, scale = 1): Float64Array {
  const out = new Float64Array(count);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

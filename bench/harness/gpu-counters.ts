/**
 * Counts WebGPU calls made from this page (not from workers): compute dispatches, queue submits
 * and buffer maps. The wrappers add one integer increment per call, which is nothing next to a
 * dispatch, so they stay installed while timing. Dispatches per step = dispatches counted during
 * the timed runs ÷ steps, which is exact for anything that runs its GPU work in this page.
 */
export interface GpuCounts {
  dispatches: number;
  submits: number;
  maps: number;
}

const counts: GpuCounts = { dispatches: 0, submits: 0, maps: 0 };
let installed = false;

function wrap<T extends object>(proto: T, name: string, count: () => void): void {
  const target = proto as Record<string, unknown>;
  const original = target[name];
  if (typeof original !== 'function') return;
  target[name] = function (this: unknown, ...args: unknown[]) {
    count();
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
}

/** Installs the counters once; false where the page has no WebGPU. */
export function installGpuCounters(): boolean {
  if (installed) return true;
  if (typeof GPUComputePassEncoder === 'undefined') return false;
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', () => counts.dispatches++);
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroupsIndirect', () => counts.dispatches++);
  wrap(GPUQueue.prototype, 'submit', () => counts.submits++);
  wrap(GPUBuffer.prototype, 'mapAsync', () => counts.maps++);
  installed = true;
  return true;
}

export function gpuCounts(): GpuCounts {
  return { ...counts };
}

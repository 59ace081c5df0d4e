/**
 * Per-dispatch timing of one encoded step: the step is recorded on a pass that only remembers
 * its pipelines, bind groups and dispatch sizes, then every dispatch is replayed alone in its own
 * submit, `rounds` times, and the fastest of its rounds is kept (the minimum resists a loaded
 * machine better than the mean). On SwiftShader the GPU is the CPU, so these are the kernels'
 * CPU times at the real shapes; the per-submit round trip (~2 ms in Chromium) is included.
 * Dispatches are named by their bind group's label.
 */
interface RecordedDispatch {
  readonly pipeline: GPUComputePipeline;
  readonly groups: ReadonlyMap<number, GPUBindGroup>;
  readonly size: readonly [number, number, number];
  readonly name: string;
}

export interface DispatchTime {
  /** Position in the step (0-based) and the bind group's label. */
  readonly index: number;
  readonly name: string;
  readonly ms: number;
}

function record(encode: (pass: GPUComputePassEncoder) => void): RecordedDispatch[] {
  const dispatches: RecordedDispatch[] = [];
  let pipeline: GPUComputePipeline | undefined;
  const groups = new Map<number, GPUBindGroup>();
  const recorder = new Proxy(
    {},
    {
      get: (_, method) => {
        if (method === 'setPipeline') return (p: GPUComputePipeline) => void (pipeline = p);
        if (method === 'setBindGroup') {
          return (index: number, group: GPUBindGroup) => void groups.set(index, group);
        }
        if (method === 'dispatchWorkgroups') {
          return (x: number, y = 1, z = 1) => {
            if (!pipeline) throw new Error('dispatch recorded before any setPipeline');
            const name = [...groups.values()].map((g) => g.label).join(' + ');
            dispatches.push({ pipeline, groups: new Map(groups), size: [x, y, z], name });
          };
        }
        return () => undefined;
      },
    },
  ) as GPUComputePassEncoder;
  encode(recorder);
  return dispatches;
}

/** Times each dispatch `encode` records; slowest first. */
export async function profileDispatches(
  device: GPUDevice,
  encode: (pass: GPUComputePassEncoder) => void,
  rounds = 2,
): Promise<DispatchTime[]> {
  const dispatches = record(encode);
  const best = dispatches.map(() => Number.POSITIVE_INFINITY);
  for (let round = 0; round < rounds; round++) {
    for (const [i, dispatch] of dispatches.entries()) {
      const encoder = device.createCommandEncoder({ label: `profile ${dispatch.name}` });
      const pass = encoder.beginComputePass({ label: `profile ${dispatch.name}` });
      pass.setPipeline(dispatch.pipeline);
      for (const [index, group] of dispatch.groups) pass.setBindGroup(index, group);
      pass.dispatchWorkgroups(...dispatch.size);
      pass.end();
      const start = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      best[i] = Math.min(best[i]!, performance.now() - start);
    }
  }
  return dispatches
    .map((dispatch, index) => ({ index, name: dispatch.name, ms: best[index]! }))
    .sort((a, b) => b.ms - a.ms);
}

/** A table: ms, share of the total, position and name, slowest first. */
export function formatDispatchTimes(times: readonly DispatchTime[]): string {
  const total = times.reduce((sum, t) => sum + t.ms, 0);
  const rows = times.map(
    (t) =>
      `${t.ms.toFixed(1).padStart(9)} ms ${((100 * t.ms) / total).toFixed(1).padStart(5)} %  ` +
      `#${String(t.index).padStart(3)} ${t.name}`,
  );
  return [`${total.toFixed(0)} ms in ${times.length} dispatches`, ...rows].join('\n');
}

/**
 * GPU time of a training chunk from timestamp queries, where the adapter has 'timestamp-query'
 * (SwiftShader does). The trainer records its own pass, so the chunk is bracketed by two empty
 * passes submitted right before and right after it: the first writes a timestamp at its start,
 * the second at its end. One chunk is timed at a time (the scheduler gives one turn at a time).
 */
import type { GpuRuntime, PooledBuffer } from '../gpu';

export interface ChunkTiming {
  /** Call right after the chunk was submitted. */
  end(): void;
  /** GPU ms between the brackets; undefined when unavailable (never rejects). */
  read(): Promise<number | undefined>;
}

export class ChunkTimer {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly querySet: GPUQuerySet,
    private readonly resolved: PooledBuffer,
  ) {}

  /** A timer, or undefined where the device has no timestamp-query feature. */
  static create(runtime: GpuRuntime): ChunkTimer | undefined {
    const device = runtime.device;
    if (!device.features.has('timestamp-query')) return undefined;
    const querySet = device.createQuerySet({ label: 'chunk timer', type: 'timestamp', count: 2 });
    const resolved = runtime.pool.acquire(
      16,
      GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      'chunk timer timestamps',
    );
    return new ChunkTimer(runtime, querySet, resolved);
  }

  begin(): ChunkTiming {
    const device = this.runtime.device;
    const start = device.createCommandEncoder({ label: 'chunk timer start' });
    start
      .beginComputePass({
        label: 'chunk timer start',
        timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 0 },
      })
      .end();
    device.queue.submit([start.finish()]);
    let reading: Promise<ArrayBuffer> | undefined;
    return {
      end: () => {
        const stop = device.createCommandEncoder({ label: 'chunk timer end' });
        stop
          .beginComputePass({
            label: 'chunk timer end',
            timestampWrites: { querySet: this.querySet, endOfPassWriteIndex: 1 },
          })
          .end();
        stop.resolveQuerySet(this.querySet, 0, 2, this.resolved.buffer, 0);
        device.queue.submit([stop.finish()]);
        reading = this.runtime.readback.read(this.resolved.buffer, 0, 16);
      },
      read: async () => {
        if (!reading) return undefined;
        try {
          const [t0, t1] = new BigUint64Array(await reading);
          // Timestamps are ns; a reset or quantised clock can give t1 ≤ t0: no measurement then.
          return t1! > t0! ? Number(t1! - t0!) / 1e6 : undefined;
        } catch {
          return undefined;
        }
      },
    };
  }

  dispose(): void {
    this.querySet.destroy();
    this.resolved.dispose();
  }
}

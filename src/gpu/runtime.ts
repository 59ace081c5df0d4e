import { acquireGpu, type GpuContext, type GpuOptions } from './device';
import { BufferPool } from './buffer-pool';
import { PipelineCache } from './pipeline-cache';
import { ReadbackRing } from './readback';

/**
 * Everything GPU work needs, owned together: the device, its pipeline cache, buffer pool and
 * readback ring. Disposing it releases all of them and destroys the device.
 *
 * Buffers returned to the pool right after a submit are safe to reuse: queue.writeBuffer and
 * later submits execute after the submitted work, in queue order.
 */
export class GpuRuntime {
  readonly pipelines: PipelineCache;
  readonly pool: BufferPool;
  readonly readback: ReadbackRing;

  private constructor(readonly context: GpuContext) {
    this.pipelines = new PipelineCache(context.device);
    this.pool = new BufferPool(context.device);
    this.readback = new ReadbackRing(context.device);
  }

  /**
   * Asks for 'timestamp-query' and 'subgroups' where the adapter offers them ('subgroups': the
   * fused MLP's weight-sharing kernels on CPU adapters, see kernelTuning).
   */
  static async open(options: GpuOptions = {}): Promise<GpuRuntime> {
    return new GpuRuntime(
      await acquireGpu({ optionalFeatures: ['timestamp-query', 'subgroups'], ...options }),
    );
  }

  get device(): GPUDevice {
    return this.context.device;
  }

  dispose(): void {
    this.readback.dispose();
    this.pool.dispose();
    this.context.dispose();
  }
}

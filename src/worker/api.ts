/** The typed API the Flowfield worker exposes through comlink. Pages use it as Remote<WorkerApi>. */
import type { AdapterSummary } from '../gpu/device';

export interface WorkerGpuReport extends AdapterSummary {
  features: string[];
  limits: { maxStorageBufferBindingSize: number; maxComputeInvocationsPerWorkgroup: number };
}

export interface WorkerApi {
  /** Acquires WebGPU inside the worker and describes the adapter; rejects with a readable message. */
  probe(): Promise<WorkerGpuReport>;
}

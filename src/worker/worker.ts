/// <reference lib="webworker" />
// The module worker that owns the GPU device. The page talks to it only through comlink.
import { expose } from 'comlink';
import { GpuRuntime } from '../gpu/runtime';
import type { WorkerApi, WorkerGpuReport } from './api';

let runtime: Promise<GpuRuntime> | undefined;

function gpu(): Promise<GpuRuntime> {
  runtime ??= GpuRuntime.open().catch((error: unknown) => {
    runtime = undefined;
    throw error;
  });
  return runtime;
}

const api: WorkerApi = {
  async probe(): Promise<WorkerGpuReport> {
    const { context } = await gpu();
    const limits = context.device.limits;
    return {
      ...context.adapterInfo,
      features: [...context.device.features].sort(),
      limits: {
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    };
  },
};

expose(api);

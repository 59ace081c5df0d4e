/**
 * Which backend serves the worker's LabApi: the WebGPU lab session (service.ts) when WebGPU can
 * be had, else the CPU backend (cpu-service.ts), which shows a notebook's weights — samples,
 * densities, paths — and refuses to train. Decided once, on the first call that needs a lab:
 * opening the GPU lab either works, or throws WebGpuUnavailableError (no navigator.gpu, no
 * adapter, a failed device request), which picks the CPU for the rest of the worker's life.
 * Other errors pass through, and the next call tries again.
 */
import { WebGpuUnavailableError } from '../gpu/errors';
import type { LabApi } from './api';
import { cpuFallbackNote, createCpuService } from './cpu-service';
import { createLabService } from './service';
import type { LabSession } from './session';

const NO_LAB_NEEDED: ReadonlySet<keyof LabApi> = new Set(['subscribe', 'debugThrowUncaught']);

export function createBackendService(session: LabSession): LabApi {
  const gpu = createLabService(session);
  let chosen: Promise<LabApi> | undefined;
  const backend = (): Promise<LabApi> => {
    chosen ??= session.ready().then(
      () => gpu,
      (error: unknown) => {
        if (error instanceof WebGpuUnavailableError) {
          return createCpuService({ reason: error.reason, note: cpuFallbackNote(error.reason) });
        }
        chosen = undefined;
        throw error;
      },
    );
    return chosen;
  };
  // Every method goes to the chosen backend; comlink sees a plain object of functions. Worker
  // events (uncaught errors) come from the session whichever backend serves: subscribing and
  // the uncaught-error hook need no lab, so they do not wait for (or trigger) the choice.
  const methods = Object.keys(gpu) as (keyof LabApi)[];
  return Object.fromEntries(
    methods.map((name) => [
      name,
      NO_LAB_NEEDED.has(name)
        ? gpu[name]
        : async (...args: unknown[]) => {
            const api = await backend();
            return (api[name] as (...a: unknown[]) => unknown)(...args);
          },
    ]),
  ) as unknown as LabApi;
}

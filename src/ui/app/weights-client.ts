/**
 * Weights in and out of a Train cell's model, for sharing, files and the gallery. The worker
 * client keeps its model handles to itself, so this wrapper watches the LabApi calls a
 * createRun makes (createRun calls are serialised here, so the model created belongs to the
 * Train cell being created) and then reads and writes parameters through the same LabApi.
 */
import type { Remote } from 'comlink';
import type { LabApi, ModelId } from '../../worker/api';
import type { LabClient, ModelRequest, RunProgress, RunWeights } from '../controllers/lab-client';
import { workerLabClient } from '../controllers/worker-lab-client';
import { errorMessage } from '../error-message';

export type { RunWeights };

export interface WeightsClient {
  exportWeights(runId: string): Promise<RunWeights>;
  /** See LabClient.importWeights: resolves with the GPU side's report of the run afterwards. */
  importWeights(runId: string, weights: RunWeights, steps: number): Promise<RunProgress>;
}

export type ShareableClient = LabClient & WeightsClient;

export function hasWeights(client: LabClient | undefined): client is ShareableClient {
  return (
    !!client &&
    typeof (client as Partial<WeightsClient>).exportWeights === 'function' &&
    typeof (client as Partial<WeightsClient>).importWeights === 'function'
  );
}

const IDENTITY: RunWeights['normalization'] = { shift: [0, 0], scale: [1, 1] };

/** The worker's LabClient plus weights export/import. */
export function shareableWorkerClient(api: Remote<LabApi>): ShareableClient {
  const modelOf = new Map<string, ModelId>();
  let creating: string | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const tapped = new Proxy(api, {
    get(target, prop, receiver) {
      if (prop === 'createModel') {
        return async (spec: Parameters<LabApi['createModel']>[0]) => {
          const info = await target.createModel(spec);
          if (creating !== undefined) modelOf.set(creating, info.id);
          return info;
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  const inner = workerLabClient(tapped);

  function model(runId: string): ModelId {
    const id = modelOf.get(runId);
    if (!id) throw new Error('This model has not been created yet: press Train.');
    return id;
  }

  const createRun = (runId: string, request: ModelRequest): Promise<void> => {
    const next = queue.then(async () => {
      creating = runId;
      modelOf.delete(runId);
      try {
        await inner.createRun(runId, request);
      } finally {
        creating = undefined;
      }
    });
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    ...inner,
    createRun,
    async disposeRun(runId: string) {
      modelOf.delete(runId);
      await inner.disposeRun(runId);
    },
    async exportWeights(runId: string): Promise<RunWeights> {
      const id = model(runId);
      const params = new Float32Array(await api.exportParams(id));
      // The model's normalisation is set when training starts (or weights are imported), and
      // the checkpoint taken then carries it.
      const n = (await api.checkpoint(id))?.normalization ?? IDENTITY;
      return {
        params,
        normalization: { shift: [n.shift[0], n.shift[1]], scale: [n.scale[0], n.scale[1]] },
      };
    },
    importWeights: (runId: string, weights: RunWeights, steps: number): Promise<RunProgress> =>
      retryAcrossDeviceLoss(api, () => inner.importWeights(runId, weights, steps)),
  };
}

/** What the worker's errors say when the GPU device or WebGPU instance went away mid-call. */
const DEVICE_GONE =
  /device (was )?lost|lost the device|instance reference no longer exists|device is destroyed|destroyed device/i;
const RECOVERY_WAIT_MS = 30_000;

/**
 * Runs `call`; when it fails because the GPU device was lost, waits for the worker to recover
 * (it rebuilds every model on a new device, so model handles stay valid) and tries again, at
 * most twice. Opening a shared notebook must not end without samples because a driver reset
 * (or SwiftShader dropping its instance while compiling) hit the import.
 */
export async function retryAcrossDeviceLoss<T>(
  api: Pick<Remote<LabApi>, 'gpuStatus'>,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const generation = (await api.gpuStatus()).deviceGeneration;
    try {
      return await call();
    } catch (error) {
      const text = errorMessage(error);
      if (attempt >= 2 || !DEVICE_GONE.test(text)) throw error;
      const deadline = performance.now() + RECOVERY_WAIT_MS;
      while ((await api.gpuStatus()).deviceGeneration === generation) {
        if (performance.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

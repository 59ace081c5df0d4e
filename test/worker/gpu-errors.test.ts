/**
 * Uncaptured GPU errors (out of memory, failed validation) reach the page as 'gpu-error' events
 * with what to do, once per message however often the GPU repeats it. The error is raised on the
 * worker's real device through its uncapturederror event, as the browser raises it.
 */
import { expect } from '@esm-bundle/chai';
import { proxy } from 'comlink';
import type { LabEvent } from '../../src/worker/api';
import { sleep, startLabWorker, waitUntil } from './helpers';

describe('uncaptured GPU errors', () => {
  it('reach the page with advice, and a repeated one only once', async () => {
    const worker = startLabWorker();
    const api = worker.api;
    try {
      const events: LabEvent[] = [];
      await api.subscribe(proxy((e: LabEvent) => void events.push(e)));
      for (let i = 0; i < 5; i++) {
        await api.debugInjectGpuError('out-of-memory', 'Not enough memory left for buffer "x"');
      }
      await api.debugInjectGpuError('validation', 'Binding size is zero');
      await waitUntil(() => events.length >= 2, 10_000, 'two gpu-error events');
      await sleep(200);
      expect(events).to.deep.equal([
        {
          kind: 'gpu-error',
          message:
            'The GPU ran out of memory (Not enough memory left for buffer "x"). Use a smaller ' +
            'batch, fewer samples or a narrower model, then try again.',
        },
        {
          kind: 'gpu-error',
          message:
            'A GPU operation failed (GPUValidationError: Binding size is zero). If it happens ' +
            'again, reload the page; if it still does, please report it with the notebook ' +
            '(Share → settings only).',
        },
      ]);
    } finally {
      worker.terminate();
    }
  });
});

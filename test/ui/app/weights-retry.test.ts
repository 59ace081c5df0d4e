/**
 * Opening a notebook with weights survives a lost GPU device: the import waits for the worker's
 * recovery and lands on the new device (the start-up bench saw SwiftShader drop its instance
 * while a gallery notebook was opening, and the notebook then showed no samples).
 */
import { expect } from '@open-wc/testing';
import { createCell, type DataCell, type ModelCell } from '../../../src/notebook';
import { retryAcrossDeviceLoss, shareableWorkerClient } from '../../../src/ui/app/weights-client';
import { startWorker, type WorkerHandle } from '../../../src/worker/client';

describe('weights import across a device loss (real GPU)', function () {
  this.timeout(240_000);
  let worker: WorkerHandle;
  before(() => {
    worker = startWorker(new URL('../../../src/worker/worker.ts', import.meta.url));
  });
  after(() => worker.terminate());

  it('an import issued right after the device is lost is what the recovered device holds', async () => {
    const client = shareableWorkerClient(worker.api);
    const data = createCell('data', 'd') as DataCell;
    const cell = createCell('model', 'm') as ModelCell;
    const model = {
      ...cell.model,
      kind: 'realnvp' as const,
      layers: 2,
      hidden: 8,
      hiddenLayers: 1,
    };
    await client.createRun('r', { data: data.source, model, train: cell.train });
    const exported = await client.exportWeights('r');
    const wanted = exported.params.map((v, i) => v * 0.5 + (i % 7) * 1e-3);
    const before = (await worker.api.gpuStatus()).deviceGeneration;

    await worker.api.debugLoseDevice();
    const report = await client.importWeights(
      'r',
      { params: wanted, normalization: exported.normalization },
      40,
    );
    expect([report.state, report.step]).to.deep.equal(['done', 40]);

    // The import may finish before the worker even notices the loss (a write to a destroyed
    // device is silently dropped); it must still be what the recovered device holds.
    const deadline = performance.now() + 60_000;
    while ((await worker.api.gpuStatus()).deviceGeneration === before) {
      expect(performance.now(), 'the worker never recovered the device').to.be.below(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = await client.exportWeights('r');
    expect(Array.from(after.params)).to.deep.equal(Array.from(wanted));
  });

  it('retries a call that failed because the device or instance was lost, once recovered', async () => {
    let generation = 1;
    const api = {
      gpuStatus: async () => ({
        compiledKernels: 0,
        compiledRenderPipelines: 0,
        deviceGeneration: generation,
        expectedKernels: null,
      }),
    };
    const attempts: number[] = [];
    await retryAcrossDeviceLoss(api as never, async () => {
      attempts.push(generation);
      if (attempts.length === 1) {
        setTimeout(() => generation++, 150); // the worker recovers a little later
        throw new Error('A valid external Instance reference no longer exists.');
      }
    });
    expect(attempts).to.deep.equal([1, 2]);

    // Any other error is not retried.
    let calls = 0;
    let caught: unknown;
    try {
      await retryAcrossDeviceLoss(api as never, async () => {
        calls++;
        throw new Error('importParams got NaN or infinite values');
      });
    } catch (error) {
      caught = error;
    }
    expect(calls).to.equal(1);
    expect(String(caught)).to.contain('NaN');
  });
});

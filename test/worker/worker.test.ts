import { expect } from '@esm-bundle/chai';
import { startWorker, type WorkerHandle } from '../../src/worker/client';
import { NO_HOLD } from './helpers';

describe('the GPU worker', () => {
  let worker: WorkerHandle | undefined;
  afterEach(() => worker?.terminate());

  it('acquires WebGPU inside a module worker and reports the adapter through comlink', async () => {
    worker = startWorker(new URL('../../src/worker/worker.ts', import.meta.url), NO_HOLD);
    const report = await worker.api.probe();
    expect(report.vendor.length + report.architecture.length).to.be.greaterThan(0);
    expect(report.limits.maxComputeInvocationsPerWorkgroup).to.be.at.least(256);
    expect(report.features).to.be.an('array');
  });
});

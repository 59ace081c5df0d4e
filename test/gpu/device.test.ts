import { expect } from '@esm-bundle/chai';
import { GPU_EVENT_HISTORY, GpuErrorReporter, acquireGpu, type GpuEvent } from '../../src/gpu';
import { testGpu } from '../support/gpu';

describe('device acquisition and error reporting', () => {
  it('gets a real WebGPU adapter and prints it once', async () => {
    const gpu = await testGpu();
    const info = gpu.context.adapterInfo;
    console.log(
      `[flowfield tests] WebGPU adapter: vendor=${info.vendor} architecture=${info.architecture} ` +
        `description=${info.description || '-'} fallback=${info.isFallback}`,
    );
    expect(info.vendor.length + info.architecture.length).to.be.greaterThan(0);
    expect(gpu.device.limits.maxStorageBufferBindingSize).to.be.at.least(128 * 1024 * 1024);
  });

  it('routes uncaptured validation errors to the reporter', async () => {
    const gpu = await acquireGpu();
    const events: GpuEvent[] = [];
    gpu.reporter.subscribe((event) => events.push(event));
    // Invalid: MAP_READ may only be combined with COPY_DST.
    gpu.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    await gpu.device.queue.onSubmittedWorkDone();
    for (let i = 0; i < 50 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(events.length).to.be.greaterThan(0);
    expect(events[0]!.kind).to.equal('uncaptured-error');
    gpu.dispose();
  });

  it('reports a lost device, but not one that was disposed on purpose', async () => {
    const lostOne = await acquireGpu();
    const events: GpuEvent[] = [];
    lostOne.reporter.subscribe((event) => events.push(event));
    lostOne.device.destroy();
    await lostOne.lost;
    expect(events.map((e) => e.kind)).to.deep.equal(['device-lost']);

    const disposed = await acquireGpu();
    disposed.dispose();
    await disposed.lost;
    expect(disposed.reporter.events()).to.deep.equal([]);
  });

  it('keeps only the newest GPU_EVENT_HISTORY events, so an error per frame cannot grow memory', () => {
    const reporter = new GpuErrorReporter();
    reporter.subscribe(() => undefined);
    for (let i = 0; i < GPU_EVENT_HISTORY + 50; i++) {
      reporter.report({
        kind: 'uncaptured-error',
        errorType: 'GPUValidationError',
        message: `${i}`,
      });
    }
    const kept = reporter.events();
    expect(kept.length).to.equal(GPU_EVENT_HISTORY);
    expect(kept[0]!.message).to.equal('50');
    expect(kept.at(-1)!.message).to.equal(`${GPU_EVENT_HISTORY + 49}`);
  });
});

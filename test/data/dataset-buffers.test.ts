import { expect } from '@esm-bundle/chai';
import { Dataset } from '../../src/data/dataset';
import type { GpuRuntime } from '../../src/gpu';
import { HeatmapRange } from '../../src/render';
import { testGpu } from '../support/gpu';

/**
 * The buffers a view draws from (Dataset.sampleToBuffer / logProbToBuffer, HeatmapRange.reduce)
 * hold what the read-back calls return and what the float64 twins compute.
 */
describe('dataset buffers for views: the same numbers as the read-back calls and the twins', () => {
  let gpu: GpuRuntime;
  before(async () => {
    gpu = await testGpu();
  });

  it('sampleToBuffer: the points of sample() for the seed, and of the float64 twin', async () => {
    const dataset = new Dataset(gpu, { name: '8gaussians', seed: 2 });
    const n = 300;
    const buffer = await dataset.sampleToBuffer(n, { seed: 5 });
    expect(buffer.buffer.usage & GPUBufferUsage.VERTEX).to.not.equal(0);
    const onGpu = await gpu.readback.readFloat32(buffer.buffer, 0, 2 * n);
    buffer.dispose();
    const readBack = await dataset.sample(n, { seed: 5 });
    expect([...onGpu]).to.deep.equal([...readBack]);
    const twin = dataset.sampleCpu(n, { seed: 5 });
    // The twin tolerance of test/data/samplers.test.ts (f32 transcendentals): 4e-3 relative.
    for (let i = 0; i < 2 * n; i++) {
      expect(onGpu[i]).to.be.closeTo(twin[i]!, 4e-3 * Math.max(1, Math.abs(twin[i]!)));
    }
    dataset.dispose();
  });

  it('logProbToBuffer and HeatmapRange.reduce: log p and its range as the twin computes them', async () => {
    const dataset = new Dataset(gpu, { name: 'gaussian' });
    const points = Float32Array.from([0, 0, 1, -1, 2.5, 0.5, -3, 4, 0.2, 0.1]);
    const n = points.length / 2;
    const values = await dataset.logProbToBuffer(points);
    const range = await HeatmapRange.create(gpu);
    range.reduce(values.buffer, n, 4);
    const onGpu = await gpu.readback.readFloat32(values.buffer, 0, n);
    const legend = (await range.read('viridis'))!;
    values.dispose();
    range.dispose();
    const twin = dataset.logProbCpu(points);
    for (let i = 0; i < n; i++) expect(onGpu[i]).to.be.closeTo(twin[i]!, 1e-4);
    const peak = Math.max(...twin);
    expect(legend.max).to.be.closeTo(peak, 1e-4);
    expect(legend.min).to.be.closeTo(peak - 4, 1e-4);
    expect(legend.lowest).to.be.closeTo(Math.min(...twin), 1e-4);
    dataset.dispose();
  });

  it('logProbToBuffer rejects where no closed-form density is known, as logProb does', async () => {
    const dataset = new Dataset(gpu, { points: [0, 0, 1, 1, 2, 0.5], jitter: 0.1 });
    let message = '';
    await dataset.logProbToBuffer([0, 0]).catch((error: Error) => (message = error.message));
    expect(message).to.not.equal('');
    let expected = '';
    await dataset.logProb([0, 0]).catch((error: Error) => (expected = error.message));
    expect(message).to.equal(expected);
    dataset.dispose();
  });
});

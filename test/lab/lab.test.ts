import { expect } from '@esm-bundle/chai';
import { DensityUnavailableError, DatasetSpecError, openLab } from '../../src/index';
import { testGpu } from '../support/gpu';

const NAMES = [
  'gaussian',
  'moons',
  'circles',
  'rings',
  '8gaussians',
  '25gaussians',
  'pinwheel',
  'swissroll',
  '2spirals',
  'checkerboard',
  'line',
  'sine',
  'smiley',
];

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('openLab() and datasets (the public API)', () => {
  it('works as documented: names, sample, logProb, entropy, typed errors', async () => {
    const lab = await openLab({ runtime: await testGpu() });
    expect(lab.datasetNames()).to.deep.equal(NAMES);
    const d = lab.dataset({ name: 'moons', seed: 1 });
    const pts = await d.sample(4096, { seed: 2 });
    expect(pts).to.be.instanceOf(Float32Array);
    expect(pts.length).to.equal(8192);
    expect(maxDifference(pts, d.sampleCpu(4096, { seed: 2 }))).to.be.lessThan(4e-3);
    // Without a seed, sample() uses the spec's.
    expect(maxDifference(await d.sample(16), d.sampleCpu(16, { seed: 1 }))).to.be.lessThan(4e-3);
    let caught: unknown;
    await d.logProb(pts).catch((error: unknown) => (caught = error));
    expect(caught).to.be.instanceOf(DensityUnavailableError);

    const g = lab.dataset({ name: '8gaussians', seed: 1 });
    const lp = await g.logProb(await g.sample(1000));
    expect(lp.length).to.equal(1000);
    expect(lp.every(Number.isFinite)).to.equal(true);
    const h = await g.entropy({ samples: 100_000 });
    expect(Object.keys(h)).to.include.members(['value', 'stderr']);
    expect(h.value).to.be.closeTo(2.832, 0.02); // −∫p log p by quadrature: 2.8319
    expect(h.stderr).to.be.within(1e-4, 1e-2);

    expect(() => lab.dataset({ name: 'nope' } as never)).to.throw(DatasetSpecError);
    lab.dispose();
  });

  it('releases every buffer it made on dispose(), leaving a borrowed runtime usable', async () => {
    const gpu = await testGpu();
    const before = gpu.pool.stats().inUse;
    const lab = await openLab({ runtime: gpu });
    const datasets = [
      lab.dataset({ name: 'checkerboard' }),
      lab.dataset({ points: [0, 0, 1, 1] }),
      lab.dataset({ grid: { width: 1, height: 2, weights: [1, 3], bounds: [0, 0, 1, 1] } }),
    ];
    for (const d of datasets) await d.sample(100);
    await datasets[2]!.logProb([0.5, 0.5]);
    expect(gpu.pool.stats().inUse).to.be.greaterThan(before);
    datasets[0]!.dispose(); // disposing twice (here and through the lab) is fine
    lab.dispose();
    expect(gpu.pool.stats().inUse).to.equal(before);
    expect(() => lab.dataset({ name: 'moons' })).to.throw(/disposed/);
    let caught: unknown;
    await datasets[1]!.sample(4).catch((error: unknown) => (caught = error));
    expect(String(caught)).to.match(/disposed/);
    // The runtime still works.
    const again = await openLab({ runtime: gpu });
    expect((await again.dataset({ name: 'line' }).sample(8)).length).to.equal(16);
    again.dispose();
  });

  it('destroys the device it opened itself', async () => {
    const lab = await openLab();
    const lost = lab.runtime.context.lost;
    lab.dispose();
    expect((await lost).reason).to.equal('destroyed');
  });

  it('lets a trainer encode many steps into one submit and read back once', async () => {
    const gpu = await testGpu();
    const lab = await openLab({ runtime: gpu });
    const d = lab.dataset({ name: 'swissroll', seed: 9 });
    const sampler = await d.sampler();
    const batch = 256;
    const steps = 6;
    const buffer = gpu.pool.acquire(
      batch * steps * 8,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      'trainer batches',
    );
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const uniforms = [];
    for (let step = 0; step < steps; step++) {
      // A trainer would run its model on the batch between these dispatches.
      uniforms.push(
        sampler.encode(pass, buffer, {
          count: batch,
          seed: 9,
          step,
          offset: step * batch,
          space: 'model',
        }),
      );
    }
    pass.end();
    gpu.device.queue.submit([encoder.finish()]);
    uniforms.forEach((u) => u.dispose());
    const all = await gpu.readback.readFloat32(buffer.buffer, 0, batch * steps * 2);
    buffer.dispose();
    d.dispose();
    // A sampler kept past its dataset's disposal refuses to encode (its data buffer is gone).
    expect(() =>
      sampler.encode(gpu.device.createCommandEncoder().beginComputePass(), buffer.buffer, {
        count: 1,
        seed: 0,
      }),
    ).to.throw(/disposed dataset/);
    for (let step = 0; step < steps; step++) {
      const twin = d.sampleCpu(batch, { seed: 9, step, space: 'model' });
      const got = all.subarray(step * batch * 2, (step + 1) * batch * 2);
      expect(maxDifference(got, twin), `step ${step}`).to.be.lessThan(4e-3);
    }
    lab.dispose();
  });
});

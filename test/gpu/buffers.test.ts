import { expect } from '@esm-bundle/chai';
import { bucketSize, STORAGE_USAGE } from '../../src/gpu';
import { testGpu } from '../support/gpu';

describe('buffer pool and readback ring', () => {
  it('creating and disposing an owner leaves the pool as it was, and reuses the buffer', async () => {
    const gpu = await testGpu();
    const warm = gpu.pool.acquire(1000, GPUBufferUsage.STORAGE, 'warm');
    warm.dispose();
    const before = gpu.pool.stats();
    const owned = gpu.pool.acquire(1000, GPUBufferUsage.STORAGE, 'owned');
    expect(owned.buffer.label).to.equal('owned');
    expect(gpu.pool.stats().inUse).to.equal(before.inUse + 1);
    owned.dispose();
    owned.dispose(); // idempotent
    expect(gpu.pool.stats()).to.deep.equal(before);
    const again = gpu.pool.acquire(990, GPUBufferUsage.STORAGE, 'again');
    expect(again.buffer).to.equal(owned.buffer);
    again.dispose();
  });

  it("STORAGE_USAGE (spelled as numbers, so the library imports without WebGPU) is the browser's STORAGE | COPY_SRC | COPY_DST", () => {
    expect(STORAGE_USAGE).to.equal(
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    );
  });

  it('buckets sizes to multiples of 256 B, then powers of two', () => {
    expect(bucketSize(1)).to.equal(256);
    expect(bucketSize(257)).to.equal(512);
    expect(bucketSize(4096)).to.equal(4096);
    expect(bucketSize(4097)).to.equal(8192);
  });

  it('reads back many buffers concurrently through a small ring, each correctly', async () => {
    const gpu = await testGpu();
    const sources = Array.from({ length: 10 }, (_, k) =>
      gpu.pool.upload(
        new Float32Array(64 + 16 * k).map((_, i) => k * 1000 + i),
        GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
        `readback source ${k}`,
      ),
    );
    const results = await Promise.all(
      sources.map((s) => gpu.readback.readFloat32(s.buffer, 0, s.byteLength / 4)),
    );
    results.forEach((values, k) => {
      expect(values.length).to.equal(64 + 16 * k);
      expect(values[0]).to.equal(k * 1000);
      expect(values[values.length - 1]).to.equal(k * 1000 + values.length - 1);
    });
    expect(gpu.readback.size).to.be.at.most(gpu.readback.slots);
    for (const s of sources) s.dispose();
  });

  it('rejects misaligned readbacks with the sizes involved', async () => {
    const gpu = await testGpu();
    const owned = gpu.pool.acquire(
      64,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      'misaligned',
    );
    let message = '';
    await gpu.readback.read(owned.buffer, 2, 8).catch((e: Error) => (message = e.message));
    expect(message).to.contain('offset 2');
    owned.dispose();
  });
});

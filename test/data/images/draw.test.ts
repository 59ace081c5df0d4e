import { expect } from '@esm-bundle/chai';
import { drawImagesCpu } from '../../../src/data/images/draw';
import { ImageDataset } from '../../../src/data/images/image-dataset';
import type { ImageSet } from '../../../src/data/images/image-set';
import {
  IMAGE_TRANSFORMS,
  bitsPerDim,
  preprocessInverse,
  resolvePreprocess,
  type ImagePreprocess,
} from '../../../src/data/images/preprocess';
import type { GpuRuntime } from '../../../src/gpu';
import { testGpu } from '../../support/gpu';

/** 6 RGB images of 3×5 (odd width: flips move pixels; 45 values, not a multiple of 4). */
function tinySet(): ImageSet {
  const count = 6;
  const pixels = new Uint8Array(count * 3 * 3 * 5);
  let state = 12345;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    pixels[i] = state >>> 23;
  }
  pixels[0] = 0;
  pixels[1] = 255;
  return {
    count,
    channels: 3,
    height: 3,
    width: 5,
    pixels,
    labels: Uint8Array.of(4, 0, 9, 2, 2, 7),
  };
}

/** Draws on the GPU: z (f32) and the items (image, flip, label, log-det bits). */
async function drawGpu(
  gpu: GpuRuntime,
  dataset: ImageDataset,
  preprocess: ImagePreprocess,
  request: Parameters<typeof drawImagesCpu>[2],
  items: number,
) {
  const sampler = await dataset.sampler();
  const inverse = await dataset.inverse();
  const dims = dataset.dims;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
  const z = gpu.pool.acquire(items * dims * 4, usage, 'test z');
  const meta = gpu.pool.acquire(items * 16, usage, 'test items');
  const bytes = gpu.pool.acquire(Math.ceil((items * dims) / 4) * 4, usage, 'test bytes');
  try {
    const encoder = gpu.device.createCommandEncoder({ label: 'test image draw' });
    const pass = encoder.beginComputePass();
    const p1 = sampler.encode(pass, z, meta, preprocess, request);
    const p2 = inverse.encode(pass, z, bytes, items * dims, preprocess);
    pass.end();
    gpu.device.queue.submit([encoder.finish()]);
    p1.dispose();
    p2.dispose();
    const [zs, words, packed] = await Promise.all([
      gpu.readback.readFloat32(z.buffer, 0, items * dims),
      gpu.readback.readUint32(meta.buffer, 0, items * 4),
      gpu.readback.readUint32(bytes.buffer, 0, Math.ceil((items * dims) / 4)),
    ]);
    return { z: zs, words, pixels: new Uint8Array(packed.buffer, 0, items * dims) };
  } finally {
    z.dispose();
    meta.dispose();
    bytes.dispose();
  }
}

describe('image batches drawn on the GPU against the CPU twin', () => {
  it('same images, flips, labels, pre-processed values and log-dets for every transform', async () => {
    const gpu = await testGpu();
    const set = tinySet();
    const dataset = new ImageDataset(gpu, { images: set });
    const dims = dataset.dims;
    // 2 batches of 9 from step 3, written from item 1 on (item 0 stays as it was).
    const request = { count: 9, batches: 2, step: 3, seed: 77, flips: true, offset: 1 };
    const items = 1 + 18;
    try {
      for (const transform of IMAGE_TRANSFORMS) {
        for (const dequantize of [true, false]) {
          const p = resolvePreprocess({ transform, dequantize, alpha: 0.05 });
          const gpuDraw = await drawGpu(gpu, dataset, p, request, items);
          const cpu = drawImagesCpu(set, p, request);
          const what = `${transform}${dequantize ? '' : ' (no dequantization)'}`;
          let worstZ = 0;
          let worstLogDet = 0;
          const wrongBytes: number[] = [];
          for (let i = 0; i < 18; i++) {
            const at = 4 * (i + 1);
            expect(gpuDraw.words[at], `${what}: image of item ${i}`).to.equal(cpu.items.images[i]);
            expect(gpuDraw.words[at + 1], `${what}: flip of item ${i}`).to.equal(
              cpu.items.flips[i],
            );
            expect(gpuDraw.words[at + 2], `${what}: label of item ${i}`).to.equal(
              cpu.items.labels[i],
            );
            const logDet = new Float32Array(gpuDraw.words.buffer, (at + 3) * 4, 1)[0]!;
            const exact = cpu.items.logDets[i]!;
            worstLogDet = Math.max(
              worstLogDet,
              Math.abs(logDet - exact) / Math.max(1, Math.abs(exact)),
            );
            for (let d = 0; d < dims; d++) {
              const k = (i + 1) * dims + d;
              const z = cpu.z[i * dims + d]!;
              worstZ = Math.max(worstZ, Math.abs(gpuDraw.z[k]! - z) / Math.max(1, Math.abs(z)));
              // The inverse gives back the drawn pixel: the source pixel, mirrored if flipped.
              const x = d % set.width;
              const source = cpu.items.flips[i] ? d - x + (set.width - 1 - x) : d;
              const pixel = set.pixels[cpu.items.images[i]! * dims + source]!;
              if (gpuDraw.pixels[k] !== pixel) wrongBytes.push(k);
              expect(preprocessInverse(z, p), `${what}: float64 round trip`).to.equal(pixel);
            }
          }
          // Linear maps are exact in f32 (x + u is exact); the logit differs by f32 rounding.
          expect(worstZ, `${what}: z`).to.be.at.most(transform === 'logit' ? 2e-6 : 0);
          expect(worstLogDet, `${what}: log-det`).to.be.below(2e-6);
          expect(wrongBytes, `${what}: GPU inverse of the GPU draw`).to.deep.equal([]);
        }
      }
      // The draw really is random: several images, both flips.
      const cpu = drawImagesCpu(set, resolvePreprocess(), request);
      expect(new Set(cpu.items.images).size).to.be.at.least(4);
      expect(new Set(cpu.items.flips).size).to.equal(2);
      const unflipped = drawImagesCpu(set, resolvePreprocess(), { ...request, flips: false });
      expect([...unflipped.items.images]).to.deep.equal([...cpu.items.images]);
      expect(unflipped.items.flips.every((f) => f === 0)).to.equal(true);
    } finally {
      dataset.dispose();
    }
  });

  it('bits/dim from the GPU draw: a model uniform on the pixel bins scores 8', async () => {
    const gpu = await testGpu();
    const set = tinySet();
    const dataset = new ImageDataset(gpu, { images: set });
    try {
      const alpha = 0.05;
      const p = resolvePreprocess({ transform: 'logit', alpha });
      const draw = await drawGpu(gpu, dataset, p, { count: 12, seed: 3, flips: true }, 12);
      const dims = dataset.dims;
      let worst = 0;
      for (let i = 0; i < 12; i++) {
        // y uniform on (0, 1)^D ⇒ log p_Z(z) = Σ log|dy/dz| = Σ ln s + ln(1 − s) − ln(1 − 2α),
        // s = sigmoid(z): computed from the GPU's z alone, the log-det from its draw_items.
        let logPz = 0;
        for (let d = 0; d < dims; d++) {
          const s = 1 / (1 + Math.exp(-draw.z[i * dims + d]!));
          logPz += Math.log(s) + Math.log(1 - s) - Math.log(1 - 2 * alpha);
        }
        const logDet = new Float32Array(draw.words.buffer, (4 * i + 3) * 4, 1)[0]!;
        worst = Math.max(worst, Math.abs(bitsPerDim(logPz, logDet, dims) - 8));
      }
      expect(worst).to.be.below(1e-5);
    } finally {
      dataset.dispose();
    }
  });

  it('sequential draws walk the set in order; sample() equals its twin', async () => {
    const gpu = await testGpu();
    const set = tinySet();
    const inUse = gpu.pool.stats().inUse;
    const dataset = new ImageDataset(gpu, { images: set, seed: 5, flips: true });
    try {
      const p = resolvePreprocess({ transform: 'scale' });
      const request = { count: 8, seed: 1, flips: true, order: 'sequential' as const, first: 4 };
      const gpuDraw = await drawGpu(gpu, dataset, p, request, 8);
      const images = Array.from({ length: 8 }, (_, i) => gpuDraw.words[4 * i]);
      expect(images).to.deep.equal([4, 5, 0, 1, 2, 3, 4, 5]);
      expect(Array.from({ length: 8 }, (_, i) => gpuDraw.words[4 * i + 1])).to.deep.equal(
        Array(8).fill(0),
      );
      expect([...gpuDraw.pixels.subarray(0, 45)]).to.deep.equal([
        ...set.pixels.subarray(4 * 45, 5 * 45),
      ]);

      const batch = await dataset.sample(32, { step: 2 });
      const twin = await dataset.sampleCpu(32, { step: 2 });
      expect(batch.shape).to.deep.equal([3, 3, 5]);
      expect([...batch.images]).to.deep.equal([...twin.images]);
      expect([...batch.flips]).to.deep.equal([...twin.flips]);
      expect([...batch.labels]).to.deep.equal([...twin.labels]);
      expect([...batch.pixels]).to.deep.equal([...twin.pixels]);
      expect([...batch.labels]).to.deep.equal([...batch.images].map((i) => set.labels![i]));
    } finally {
      dataset.dispose();
    }
    expect(gpu.pool.stats().inUse, 'buffers left in use after dispose()').to.equal(inUse);
    await dataset.sampler().then(
      () => expect.fail('a disposed dataset must not hand out a sampler'),
      (error: Error) => expect(error.message).to.match(/was disposed/),
    );
  });
});

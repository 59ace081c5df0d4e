/**
 * The nearest-training-image search on the GPU (shaders/images/nearest.wgsl) against a float64
 * brute-force search: indices, distances, ties to the lower index, sets whose size is not a
 * multiple of the workgroup or whose images are not a multiple of 4 bytes.
 */
import { expect } from '@esm-bundle/chai';
import type { ImageSet } from '../../src/data/images/image-set';
import { NearestImageSearch, nearestImagesCpu } from '../../src/lab/image-nearest';
import { testGpu } from '../support/gpu';
import { testValues } from '../support/gpu-helpers';

function randomSet(count: number, channels: 1 | 3, side: number, seed: number): ImageSet {
  const dims = channels * side * side;
  const pixels = Uint8Array.from(testValues(count * dims, seed, 1), (v) =>
    Math.floor((v + 1) * 127.9),
  );
  return { count, channels, height: side, width: side, pixels };
}

describe('nearest training image (GPU search)', () => {
  it('finds the brute-force nearest image and distance; a tie goes to the lower index', async () => {
    const gpu = await testGpu();
    for (const [count, channels, side] of [
      [150, 1, 8],
      [70, 3, 3],
    ] as const) {
      const set = randomSet(count, channels, side, count);
      const dims = channels * side * side;
      // Image 90 (or 50) is a copy of image 7: the same distance to every query.
      const twin = count === 150 ? 90 : 50;
      set.pixels.copyWithin(twin * dims, 7 * dims, 8 * dims);
      const n = 6;
      const queries = Float32Array.from(testValues(n * dims, 3, 0.5), (v) => v + 0.5);
      // Query 0: image 7 at its bins' centres, nudged (nearest: 7, not its copy).
      for (let d = 0; d < dims; d++) {
        queries[d] = (set.pixels[7 * dims + d]! + 0.5) / 256 + (d % 2 ? 0.01 : -0.01);
      }
      // Query 1: exactly image 20 → distance 0.
      for (let d = 0; d < dims; d++) queries[dims + d] = (set.pixels[20 * dims + d]! + 0.5) / 256;
      const search = await NearestImageSearch.create(gpu, set);
      try {
        const found = await search.search(queries);
        const truth = nearestImagesCpu(queries, set);
        expect(Array.from(found.index), `${count} images`).to.deep.equal(truth.index);
        expect(found.index[0]).to.equal(7);
        expect(found.index[1]).to.equal(20);
        expect(found.distance[1]).to.equal(0);
        truth.distance.forEach((d, q) => {
          expect(Math.abs(found.distance[q]! - d), `distance ${q}`).to.be.lessThan(1e-5 * (1 + d));
        });
        // A query nearest to the copy's twin… is the original: ask for image `twin` itself.
        const copy = Float32Array.from(
          { length: dims },
          (_, d) => (set.pixels[twin * dims + d]! + 0.5) / 256,
        );
        expect((await search.search(copy)).index[0], 'tie → lower index').to.equal(7);
      } finally {
        search.dispose();
      }
      expect(search.isDisposed).to.equal(true);
    }
  });

  it('refuses queries that are not whole images', async () => {
    const gpu = await testGpu();
    const search = await NearestImageSearch.create(gpu, randomSet(4, 1, 2, 1));
    try {
      let refused: unknown;
      await search.search(new Float32Array(6)).catch((e: unknown) => (refused = e));
      expect(String(refused)).to.match(/whole images of 4 values, got 6 values/);
    } finally {
      search.dispose();
    }
  });
});

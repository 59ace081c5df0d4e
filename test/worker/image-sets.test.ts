import { expect } from '@esm-bundle/chai';
import { proxy, type Remote } from 'comlink';
import type { ImageSetProgress, LabApi } from '../../src/worker/api';
import type { WorkerHandle } from '../../src/worker/client';
import { rejection, startLabWorker } from './helpers';

const ASSET = '/dist/data/mnist-14.bin.gz';

/**
 * The shipped asset read directly (independent of the library's loader and parser): the gzip
 * bytes, then the header fields, labels and pixels at the offsets scripts/build-datasets.mjs
 * documents.
 */
async function readAsset() {
  const gz = new Uint8Array(await (await fetch(ASSET)).arrayBuffer());
  const stream = new Blob([gz]).stream().pipeThrough(new DecompressionStream('gzip'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  const view = new DataView(bytes.buffer);
  const count = view.getUint32(8, true);
  const train = view.getUint32(12, true);
  const side = view.getUint16(18, true);
  const labels = bytes.subarray(32, 32 + count);
  const pixelsAt = 32 + Math.ceil(count / 4) * 4;
  const image = (i: number) =>
    bytes.subarray(pixelsAt + i * side * side, pixelsAt + (i + 1) * side * side);
  return { gzipBytes: gz.length, count, train, side, labels, image };
}

describe('image sets through the worker API', () => {
  let worker: WorkerHandle;
  let api: Remote<LabApi>;
  before(() => {
    worker = startLabWorker();
    api = worker.api;
  });
  after(() => worker.terminate());

  it('opens MNIST 14×14 with monotone progress ending at total; the preview is the asset’s bytes', async () => {
    const asset = await readAsset();
    const progress: ImageSetProgress[] = [];
    const info = await api.openImageSet(
      { name: 'mnist', size: 14, seed: 3 },
      proxy((p: ImageSetProgress) => void progress.push(p)),
    );
    expect(info).to.deep.include({ name: 'mnist-14', shape: [1, 14, 14], labelled: true });
    expect(info.count).to.equal(asset.train);
    // Progress crosses its own port: wait until the last report arrived.
    for (let i = 0; i < 100 && progress.at(-1)?.phase !== 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(progress.length).to.be.at.least(2);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.loaded, `report ${i}`).to.be.at.least(progress[i - 1]!.loaded);
    }
    const last = progress.at(-1)!;
    expect(last).to.deep.equal({ phase: 'ready', loaded: asset.gzipBytes, total: asset.gzipBytes });

    const preview = await api.imageSetPreview(info.id, 12);
    expect(preview.count).to.equal(12);
    expect(preview.shape).to.deep.equal([1, 14, 14]);
    expect(preview.pixels.length).to.equal(12 * 196);
    for (let k = 0; k < 12; k++) {
      // The train split with every class is the asset's first `train` images, in order.
      const i = preview.images[k]!;
      expect(i).to.be.below(asset.train);
      expect(preview.labels[k]).to.equal(asset.labels[i]);
      expect([...preview.pixels.subarray(k * 196, (k + 1) * 196)]).to.deep.equal([
        ...asset.image(i),
      ]);
    }
    const again = await api.imageSetPreview(info.id, 12);
    expect([...again.images]).to.deep.equal(
      [...preview.images],
      'the same seed draws the same images',
    );
    await api.disposeImageSet(info.id);
    expect((await rejection(api.imageSetPreview(info.id, 4))).message).to.match(
      /No image set "image set:1".*openImageSet/,
    );
  });

  it('selects classes and split as the asset says; a cached set still ends at total', async () => {
    const asset = await readAsset();
    const progress: ImageSetProgress[] = [];
    const info = await api.openImageSet(
      { name: 'mnist', size: 14, classes: [3, 7], split: 'test' },
      proxy((p: ImageSetProgress) => void progress.push(p)),
    );
    const chosen: number[] = [];
    for (let i = asset.train; i < asset.count; i++) {
      if (asset.labels[i] === 3 || asset.labels[i] === 7) chosen.push(i);
    }
    expect(info.count).to.equal(chosen.length);
    const preview = await api.imageSetPreview(info.id, 8, { seed: 9 });
    for (let k = 0; k < 8; k++) {
      const i = chosen[preview.images[k]!]!;
      expect(preview.labels[k]).to.equal(asset.labels[i]);
      expect([...preview.pixels.subarray(k * 196, (k + 1) * 196)]).to.deep.equal([
        ...asset.image(i),
      ]);
    }
    for (let i = 0; i < 100 && progress.at(-1)?.phase !== 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(progress.at(-1)).to.deep.equal({
      phase: 'ready',
      loaded: asset.gzipBytes,
      total: asset.gzipBytes,
    });
    await api.disposeImageSet(info.id);
  });

  it('rejects a bad spec or preview size with a specific message', async () => {
    expect((await rejection(api.openImageSet({ name: 'mnist', size: 32 as 28 }))).message).to.match(
      /size must be 28 or 14.*got 32/,
    );
    const pixels = new Uint8Array(2 * 4);
    const info = await api.openImageSet({
      images: { count: 2, channels: 1, height: 2, width: 2, pixels },
    });
    expect(info).to.deep.include({ name: 'images', count: 2, labelled: false });
    expect((await rejection(api.imageSetPreview(info.id, 0))).message).to.equal(
      'imageSetPreview(n): expected a whole number of images from 1 to 256, received 0.',
    );
  });
});

import { expect } from '@esm-bundle/chai';
import { DatasetSpecError } from '../../../src/data/errors';
import type { ImageLoadProgress } from '../../../src/data/images/assets';
import { Lab } from '../../../src/lab/lab';
import { testGpu } from '../../support/gpu';

// The shipped assets are built by `npm run build` into dist/data/ (npm test builds first); the
// unbundled library finds them at /dist/data/ on the test server's origin.
describe('shipped image data sets, loaded lazily', () => {
  it('loads MNIST 14×14 on first use with progress; classes and split select the images', async () => {
    const lab = await Lab.open({ runtime: await testGpu() });
    const progress: ImageLoadProgress[] = [];
    try {
      const threes = lab.dataset(
        { name: 'mnist', size: 14, classes: [3], split: 'test', seed: 2 },
        { onProgress: (p) => progress.push({ ...p }) },
      );
      expect(threes.shape).to.deep.equal([1, 14, 14]);
      expect(threes.count, 'nothing is fetched before the data are needed').to.equal(undefined);
      expect(progress).to.deep.equal([]);
      const batch = await threes.sample(16);
      // MNIST's package has 1032 threes; the last ⌊1032/7⌋ = 147 are the held-out test split.
      expect(threes.count).to.equal(147);
      expect([...batch.labels]).to.deep.equal(Array(16).fill(3));
      expect(batch.pixels.length).to.equal(16 * 196);
      expect(Math.max(...batch.pixels), 'white ink on black').to.be.above(200);
      const downloads = progress.filter((p) => p.phase === 'download');
      expect(downloads.length).to.be.at.least(2);
      const last = downloads[downloads.length - 1]!;
      expect(last.total === undefined || last.loaded === last.total).to.equal(true);
      expect(last.loaded).to.be.above(100_000);
      expect(progress[progress.length - 1]!.phase).to.equal('decode');

      // A second dataset of the same asset shares the download: train split, two classes.
      const again: ImageLoadProgress[] = [];
      const train = lab.dataset(
        { name: 'mnist', size: 14, classes: [0, 1] },
        { onProgress: (p) => again.push({ ...p }) },
      );
      const set = await train.load();
      await Promise.resolve();
      // No second download: one report of the whole file, the bytes the first one received.
      expect(again).to.deep.equal([{ phase: 'decode', loaded: last.loaded, total: last.loaded }]);
      expect(set.count).to.equal(1001 - 143 + (1127 - 161));
      expect(new Set(set.labels)).to.deep.equal(new Set([0, 1]));
    } finally {
      lab.dispose();
    }
  });

  it('says what is wrong with a bad image dataset spec, and where the assets are missing', async () => {
    const lab = await Lab.open({ runtime: await testGpu() });
    try {
      const cases: [unknown, string, RegExp][] = [
        [{ name: 'mnist', size: 32 }, 'size', /size must be 28 or 14.*got 32/],
        [{ name: 'fashion-mnist', classes: [10] }, 'classes', /labels 0…9 \(0: T-shirt\/top/],
        [{ name: 'mnist', split: 'validation' }, 'split', /'train', 'test', 'all'/],
        [{ name: 'mnist', params: {} }, 'params', /allowed fields: name, size, classes, split/],
        [{ images: { count: 1 } }, 'images.count', /at least 2 images, got 1/],
      ];
      for (const [spec, field, message] of cases) {
        let error: unknown;
        try {
          lab.dataset(spec as never);
        } catch (e) {
          error = e;
        }
        expect(error, JSON.stringify(spec)).to.be.instanceOf(DatasetSpecError);
        expect((error as DatasetSpecError).field).to.equal(field);
        expect((error as Error).message).to.match(message);
      }
      const missing = lab.dataset({ name: 'mnist', size: 14 }, { baseUrl: '/no-such-folder/' });
      let error: Error | undefined;
      try {
        await missing.load();
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).to.match(
        /'mnist-14' from .*no-such-folder\/mnist-14\.bin\.gz: HTTP 404.*dist\/data\/.*baseUrl/,
      );
    } finally {
      lab.dispose();
    }
  });

  it('lab.train refuses an image dataset for a 2-D model, naming the image model to create', async () => {
    const lab = await Lab.open({ runtime: await testGpu() });
    try {
      const pixels = Uint8Array.from({ length: 3 * 16 }, (_, i) => (i * 37) % 256);
      const data = lab.dataset({ images: { count: 3, channels: 1, height: 4, width: 4, pixels } });
      const model = await lab.createModel({
        family: 'diffusion',
        kind: 'flow-matching',
        hidden: 8,
        layers: 1,
        seed: 1,
      });
      let error: Error | undefined;
      try {
        // The types refuse it already; a JavaScript caller gets the message.
        lab.train(model, data as never, {
          steps: 1,
          batch: 4,
          optimizer: { kind: 'adam', lr: 1e-3 },
        });
      } catch (e) {
        error = e as Error;
      }
      expect(error).to.be.instanceOf(TypeError);
      expect(error?.message).to.match(
        /image dataset for a 2-D model; image datasets train image models: lab.createModel\(\{ family: 'image-flow', kind: 'nice', shape: \[1, 4, 4\] \}\)/,
      );
      // The dataset is untouched: its set still holds the given pixels.
      const set = await data.load();
      expect([...set.pixels]).to.deep.equal([...pixels]);
    } finally {
      lab.dispose();
    }
  });
});

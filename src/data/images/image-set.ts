/**
 * An image set in memory: N images of C×H×W 8-bit values (C = 1 grey or 3 RGB, H, W ≤ 28),
 * image after image, channel planes then rows top to bottom, with optional labels. The shipped
 * sets (MNIST, Fashion-MNIST) come from their binary assets (scripts/build-datasets.mjs); a
 * user's set from readImageFiles() (src/export/image-files.ts) or from pixels directly.
 */
import { DatasetSpecError, shown } from '../errors';

/** Largest side of an image in a set. */
export const MAX_IMAGE_SIDE = 28;
/**
 * Most 8-bit values (images × channels × height × width) in one set: 64 Mi, i.e. 64 MiB of
 * pixels — 85 598 grey 28×28 images or 28 532 RGB ones. Keeps memory bounded and every set
 * inside one GPU storage binding (128 MiB on every WebGPU adapter).
 */
export const MAX_IMAGE_SET_VALUES = 1 << 26;

export interface ImageSet {
  /** Number of images (≥ 2). */
  count: number;
  channels: 1 | 3;
  height: number;
  width: number;
  /** count × channels × height × width bytes. */
  pixels: Uint8Array;
  /** One class label (0…255) per image, when the set has them. */
  labels?: Uint8Array;
}

/** Checks a set's shape and sizes; DatasetSpecError names the field and says what to do. */
export function checkImageSet(set: unknown, field = 'images'): ImageSet {
  if (set === null || typeof set !== 'object') {
    throw new DatasetSpecError(
      field,
      `${field} must be an image set { count, channels, height, width, pixels: Uint8Array, labels? } ` +
        `(readImageFiles() makes one from PNG/JPEG files or a .zip), got ${set === null ? 'null' : typeof set}.`,
    );
  }
  const s = set as Record<string, unknown>;
  const int = (key: string, min: number, max: number): number => {
    const value = s[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new DatasetSpecError(
        `${field}.${key}`,
        `${field}.${key} must be an integer in [${min}, ${max}], got ${shown(value)}.`,
      );
    }
    return value;
  };
  const count = s.count;
  if (count === 1) {
    throw new DatasetSpecError(
      `${field}.count`,
      'An image set needs at least 2 images, got 1: a model of one picture only memorises it. ' +
        'Add more images (several files, or a .zip of them).',
    );
  }
  int('count', 2, MAX_IMAGE_SET_VALUES);
  const channels = s.channels;
  if (channels !== 1 && channels !== 3) {
    throw new DatasetSpecError(
      `${field}.channels`,
      `${field}.channels must be 1 (grey) or 3 (RGB), got ${shown(channels)}.`,
    );
  }
  const height = int('height', 1, MAX_IMAGE_SIDE);
  const width = int('width', 1, MAX_IMAGE_SIDE);
  const values = (count as number) * channels * height * width;
  if (values > MAX_IMAGE_SET_VALUES) {
    throw new DatasetSpecError(
      field,
      `This image set holds ${values} pixel values (${String(count)} × ${channels} × ${height} × ${width}); ` +
        `the limit is ${MAX_IMAGE_SET_VALUES} (64 MiB). Use fewer images, grey-scale or a smaller size.`,
    );
  }
  if (!(s.pixels instanceof Uint8Array) || s.pixels.length !== values) {
    throw new DatasetSpecError(
      `${field}.pixels`,
      `${field}.pixels must be a Uint8Array of count × channels × height × width = ${values} bytes, got ` +
        `${s.pixels instanceof Uint8Array ? `${s.pixels.length} bytes` : typeof s.pixels}.`,
    );
  }
  if (s.labels !== undefined) {
    if (!(s.labels instanceof Uint8Array) || s.labels.length !== count) {
      throw new DatasetSpecError(
        `${field}.labels`,
        `${field}.labels must be a Uint8Array with one label per image (${String(count)}), got ` +
          `${s.labels instanceof Uint8Array ? `${s.labels.length} labels` : typeof s.labels}.`,
      );
    }
  }
  return set as ImageSet;
}

/** A shipped asset: the set and how many of its images (the first ones) are the train split. */
export interface ImageAsset {
  set: ImageSet & { labels: Uint8Array };
  train: number;
  classes: number;
}

const MAGIC = 0x4d494646; // 'FFIM' read as a little-endian u32

/** Parses an uncompressed asset (format in scripts/build-datasets.mjs); `name` for messages. */
export function parseImageAsset(bytes: Uint8Array, name: string): ImageAsset {
  const fail = (what: string): never => {
    throw new Error(
      `The image asset '${name}' is damaged: ${what}. Rebuild it with \`npm run build\` (or ` +
        'reinstall the package).',
    );
  };
  if (bytes.length < 32) fail(`${bytes.length} bytes, shorter than its 32-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) fail("it does not start with 'FFIM'");
  const version = view.getUint32(4, true);
  if (version !== 1) fail(`format version ${version}, expected 1`);
  const count = view.getUint32(8, true);
  const train = view.getUint32(12, true);
  const channels = view.getUint16(16, true);
  const height = view.getUint16(18, true);
  const width = view.getUint16(20, true);
  const classes = view.getUint16(22, true);
  const labelsAt = 32;
  const pixelsAt = labelsAt + Math.ceil(count / 4) * 4;
  const values = count * channels * height * width;
  if (bytes.length !== pixelsAt + values) {
    fail(
      `${bytes.length} bytes, expected ${pixelsAt + values} for ${count} images of ${channels}×${height}×${width}`,
    );
  }
  if (train > count) fail(`a train split of ${train} of ${count} images`);
  const set = checkImageSet({
    count,
    channels,
    height,
    width,
    pixels: bytes.subarray(pixelsAt, pixelsAt + values),
    labels: bytes.subarray(labelsAt, labelsAt + count),
  }) as ImageSet & { labels: Uint8Array };
  return { set, train, classes };
}

/** The images whose index passes `keep`, copied into a new set (labels kept). */
export function selectImages(set: ImageSet, keep: (index: number) => boolean): ImageSet {
  const size = set.channels * set.height * set.width;
  const chosen: number[] = [];
  for (let i = 0; i < set.count; i++) if (keep(i)) chosen.push(i);
  const pixels = new Uint8Array(chosen.length * size);
  const labels = set.labels ? new Uint8Array(chosen.length) : undefined;
  chosen.forEach((i, k) => {
    pixels.set(set.pixels.subarray(i * size, (i + 1) * size), k * size);
    if (labels) labels[k] = set.labels![i]!;
  });
  return { ...set, count: chosen.length, pixels, ...(labels ? { labels } : {}) };
}

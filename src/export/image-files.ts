/**
 * A user's image set from files: several PNG/JPEG files and/or .zip archives of them (read with
 * unzip(), the zip writer's counterpart) become one ImageSet for lab.dataset({ images }). Runs in
 * a page or a worker (createImageBitmap + OffscreenCanvas); each file is decoded, cropped to its
 * centre square and box-averaged to size×size (boxAverageRgba), one at a time, so memory stays
 * bounded.
 * A file that cannot be used gets a message; the set is refused (ImageFilesError) when fewer
 * than two images remain or it passes MAX_IMAGE_SET_VALUES.
 */
import { boxAverageRgba } from '../data/images/box-average';
import {
  MAX_IMAGE_SET_VALUES,
  MAX_IMAGE_SIDE,
  checkImageSet,
  type ImageSet,
} from '../data/images/image-set';
import { ZipError, unzip } from './zip';

/** Largest image a file may decode to: 64 megapixels (checked from its header before decoding). */
export const MAX_IMAGE_FILE_PIXELS = 1 << 26;

export interface ImageFilesOptions {
  /** Side of the square images, 1…28. Default 28. */
  size?: number;
  /** 1 (grey, Rec. 601 luma) or 3 (RGB). Default 1. */
  channels?: 1 | 3;
  /** Store 255 − value (dark ink on white paper becomes white on black, as in MNIST). Default false. */
  invert?: boolean;
  /** A lower cap on the set's pixel values than MAX_IMAGE_SET_VALUES (the default). */
  maxValues?: number;
}

/** A file to read: a File, or any Blob with a name. */
export interface NamedBlob {
  readonly name: string;
  /** A file of a dropped or picked folder: its path inside that folder (gives its class). */
  readonly webkitRelativePath?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface ImageFilesResult {
  images: ImageSet;
  /** The name of each image (a zip entry's path inside the zip's name). */
  names: string[];
  /** One message per file or entry that was skipped, saying why. */
  problems: string[];
  /**
   * A folder per class: when every image sits in a folder (inside a .zip, or of a dropped
   * folder) and there are 2 to 256 folders, label i = the i-th folder name in natural order
   * (`images.labels`); otherwise empty and the set is unlabelled.
   */
  classNames: string[];
}

/** Labels from the folder of each image, or none (see ImageFilesResult.classNames). */
function folderLabels(folders: (string | undefined)[]): {
  labels?: Uint8Array;
  classNames: string[];
} {
  if (folders.some((folder) => folder === undefined)) return { classNames: [] };
  const classNames = [...new Set(folders as string[])].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true }),
  );
  if (classNames.length < 2 || classNames.length > 256) return { classNames: [] };
  const index = new Map(classNames.map((name, i) => [name, i]));
  return { labels: Uint8Array.from(folders, (folder) => index.get(folder!)!), classNames };
}

/** The folder part of a path ('a/b/c.png' → 'a/b'), undefined at the top level. */
function folderOf(path: string | undefined): string | undefined {
  const slash = path?.lastIndexOf('/') ?? -1;
  return slash > 0 ? path!.slice(0, slash) : undefined;
}

/** The image set could not be made; `problems` lists what went wrong file by file. */
export class ImageFilesError extends Error {
  override readonly name = 'ImageFilesError';
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(problems.length > 0 ? `${message}\n${problems.join('\n')}` : message);
  }
}

type Kind = 'png' | 'jpeg' | 'zip' | undefined;

function sniff(bytes: Uint8Array): Kind {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5)) return 'zip';
  return undefined;
}

/** Width × height from a PNG's IHDR or a JPEG's start-of-frame, without decoding. */
export function imageFileSize(bytes: Uint8Array): [number, number] | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = sniff(bytes);
  if (kind === 'png' && bytes.length >= 24) return [view.getUint32(16), view.getUint32(20)];
  if (kind !== 'jpeg') return undefined;
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = view.getUint16(at + 2);
    const frame =
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (frame) return [view.getUint16(at + 7), view.getUint16(at + 5)];
    at += 2 + length;
  }
  return undefined;
}

function describe(bytes: Uint8Array): string {
  const head = Array.from(bytes.subarray(0, 4), (b) =>
    b >= 32 && b < 127 ? String.fromCharCode(b) : '.',
  ).join('');
  return bytes.length === 0 ? 'it is empty' : `it starts with '${head}'`;
}

/** Largest side a picture is drawn at before the box average (larger ones are scaled first). */
export const MAX_DRAWN_SIDE = 1024;

/**
 * The side the centre square is drawn at: itself when it fits (the box average then sees every
 * pixel), the largest multiple of `size` ≤ MAX_DRAWN_SIDE for a larger picture (the browser
 * scales it that far), and `size` for a picture smaller than `size` (the browser scales it up).
 */
function drawnSide(side: number, size: number): number {
  if (side < size) return size;
  if (side <= MAX_DRAWN_SIDE) return side;
  return Math.floor(MAX_DRAWN_SIDE / size) * size;
}

/** The size×size values of one PNG/JPEG, or a message saying why not. */
async function decode(
  bytes: Uint8Array,
  name: string,
  size: number,
  channels: 1 | 3,
  invert: boolean,
): Promise<Uint8Array | string> {
  const kind = sniff(bytes);
  if (kind !== 'png' && kind !== 'jpeg') {
    return `${name}: not a PNG or JPEG image (${describe(bytes)}); skipped.`;
  }
  const dims = imageFileSize(bytes);
  if (dims && dims[0] * dims[1] > MAX_IMAGE_FILE_PIXELS) {
    return `${name}: ${dims[0]}×${dims[1]} pixels, more than the ${MAX_IMAGE_FILE_PIXELS} an image may have; scale it down first.`;
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type: `image/${kind}` }));
  } catch {
    return `${name}: looks like a ${kind.toUpperCase()} but could not be decoded (damaged or truncated); skipped.`;
  }
  try {
    const side = Math.min(bitmap.width, bitmap.height);
    const drawn = drawnSide(side, size);
    const canvas = new OffscreenCanvas(drawn, drawn);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('OffscreenCanvas 2-D context is unavailable in this browser.');
    context.imageSmoothingQuality = 'high';
    // Whole-pixel offsets: the centre square is copied, not resampled, when it is drawn 1:1.
    context.drawImage(
      bitmap,
      Math.floor((bitmap.width - side) / 2),
      Math.floor((bitmap.height - side) / 2),
      side,
      side,
      0,
      0,
      drawn,
      drawn,
    );
    const rgba = context.getImageData(0, 0, drawn, drawn).data;
    return boxAverageRgba(rgba, drawn, size, channels, invert);
  } finally {
    bitmap.close();
  }
}

/**
 * Reads PNG/JPEG files and .zip archives of them into one image set (see the module comment).
 * Throws ImageFilesError, with a message per file, when fewer than two images could be read or
 * the set would pass MAX_IMAGE_SET_VALUES.
 */
export async function readImageFiles(
  files: Iterable<NamedBlob> | ArrayLike<NamedBlob>,
  options: ImageFilesOptions = {},
): Promise<ImageFilesResult> {
  const size = options.size ?? MAX_IMAGE_SIDE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_IMAGE_SIDE) {
    throw new RangeError(`size must be an integer in [1, ${MAX_IMAGE_SIDE}], got ${String(size)}.`);
  }
  const channels = options.channels ?? 1;
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`channels must be 1 (grey) or 3 (RGB), got ${String(channels)}.`);
  }
  const perImage = channels * size * size;
  const maxValues = options.maxValues ?? MAX_IMAGE_SET_VALUES;
  if (!Number.isInteger(maxValues) || maxValues < 1 || maxValues > MAX_IMAGE_SET_VALUES) {
    throw new RangeError(
      `maxValues must be an integer in [1, ${MAX_IMAGE_SET_VALUES}], got ${String(maxValues)}.`,
    );
  }
  const maxImages = Math.floor(maxValues / perImage);
  const invert = options.invert ?? false;
  const images: Uint8Array[] = [];
  const names: string[] = [];
  const folders: (string | undefined)[] = [];
  const problems: string[] = [];
  let refused = 0;
  const add = async (bytes: Uint8Array, name: string, folder: string | undefined) => {
    const result = await decode(bytes, name, size, channels, invert);
    if (typeof result === 'string') problems.push(result);
    else {
      images.push(result);
      names.push(name);
      folders.push(folder);
    }
  };
  for (const file of Array.from(files as ArrayLike<NamedBlob>)) {
    // Past the cap nothing more is read or decoded: the files are only counted.
    if (images.length >= maxImages) {
      refused++;
      continue;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (sniff(bytes) !== 'zip') {
      await add(bytes, file.name, folderOf(file.webkitRelativePath));
      continue;
    }
    let entries;
    try {
      entries = await unzip(bytes);
    } catch (error) {
      problems.push(`${file.name}: ${error instanceof ZipError ? error.message : String(error)}`);
      continue;
    }
    problems.push(...entries.problems.map((p) => `${file.name}/${p}`));
    for (const entry of entries.files) {
      const base = entry.path.split('/').pop() ?? '';
      if (entry.path.startsWith('__MACOSX/') || base.startsWith('.')) continue;
      if (images.length >= maxImages) refused++;
      else await add(entry.bytes, `${file.name}/${entry.path}`, folderOf(entry.path));
    }
  }
  if (refused > 0) {
    throw new ImageFilesError(
      `Too many images: a set holds at most ${maxValues} pixel values, i.e. ${maxImages} ` +
        `images of ${channels}×${size}×${size}; ${refused} more were given. Use fewer files, grey-scale or a smaller size.`,
      problems,
    );
  }
  if (images.length < 2) {
    throw new ImageFilesError(
      images.length === 1
        ? 'An image set needs at least 2 images, got 1: a model of one picture only memorises it. Add more images.'
        : 'No image could be read: give PNG or JPEG files, or a .zip of them.',
      problems,
    );
  }
  const pixels = new Uint8Array(images.length * perImage);
  images.forEach((image, i) => pixels.set(image, i * perImage));
  const { labels, classNames } = folderLabels(folders);
  const set = checkImageSet({
    count: images.length,
    channels,
    height: size,
    width: size,
    pixels,
    ...(labels ? { labels } : {}),
  });
  return { images: set, names, problems, classNames };
}

/**
 * Pictures the page draws itself (scatter plots, the drawing pad) as PNG files shown by <img>,
 * not as 2-D canvases. A 2-D canvas in Chromium, even a software one (willReadFrequently),
 * makes the main thread open the GPU channel synchronously on first use: opening a gallery
 * notebook blocked the page 1.0–9.7 s in that one call while the GPU process was busy with the
 * worker's WebGPU work (traced: RenderThreadImpl::EstablishGpuChannelSync inside the scatter
 * plot's draw, #17 item 3). An <img> is decoded and rasterized off the main thread.
 *
 * The PNG is uncompressed (stored deflate blocks): encoding is two checksums over the pixels,
 * about a millisecond for a 400×400 plot, and the file never leaves the page.
 */
import { crc32 } from '../notebook/binary';

/** Largest stored deflate block (bytes). */
const STORED_BLOCK = 0xffff;

/** Adler-32 of `bytes` (zlib's checksum). */
function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  // 5552 bytes keep the sums below 2^32 between reductions (zlib's NMAX).
  for (let at = 0; at < bytes.length; at += 5552) {
    const end = Math.min(bytes.length, at + 5552);
    for (let i = at; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A PNG chunk: length, type, data, CRC of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Straight (not premultiplied) RGBA pixels, top row first, as a PNG file. */
export function pngFromRgba(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
): Blob {
  if (rgba.length !== width * height * 4) {
    throw new Error(
      `pngFromRgba: expected ${width}×${height}×4 = ${width * height * 4} bytes, received ${rgba.length}; pass the pixels of the whole picture.`,
    );
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, no filter, no interlace
  // Scanlines, each after its filter byte (0: none).
  const row = width * 4;
  const raw = new Uint8Array((row + 1) * height);
  for (let y = 0; y < height; y++)
    raw.set(rgba.subarray(y * row, (y + 1) * row), y * (row + 1) + 1);
  const blocks = Math.max(1, Math.ceil(raw.length / STORED_BLOCK));
  const zlib = new Uint8Array(2 + raw.length + 5 * blocks + 4);
  zlib.set([0x78, 0x01], 0);
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const piece = raw.subarray(b * STORED_BLOCK, Math.min(raw.length, (b + 1) * STORED_BLOCK));
    zlib[at] = b === blocks - 1 ? 1 : 0;
    zlib[at + 1] = piece.length & 0xff;
    zlib[at + 2] = piece.length >>> 8;
    zlib[at + 3] = ~piece.length & 0xff;
    zlib[at + 4] = (~piece.length >>> 8) & 0xff;
    zlib.set(piece, at + 5);
    at += 5 + piece.length;
  }
  new DataView(zlib.buffer).setUint32(at, adler32(raw));
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const parts = [
    signature,
    chunk('IHDR', header),
    chunk('IDAT', zlib),
    chunk('IEND', new Uint8Array()),
  ];
  return new Blob(parts as BlobPart[], { type: 'image/png' });
}

/**
 * The object URLs of an element's pictures: each new picture gets a URL, and the oldest beyond
 * `keep` is revoked (with two per <img>, the previous may still show while the newest loads).
 * dispose() revokes the rest; the owner calls it when it leaves the page.
 */
export class PictureUrls {
  private urls: string[] = [];

  /** `keep`: how many of the newest URLs stay valid (a set of pictures shown at once: twice it). */
  constructor(private readonly keep = 2) {}

  /** A URL for `blob`, kept until `keep` more have been made or dispose(). */
  add(blob: Blob): string {
    const url = URL.createObjectURL(blob);
    this.urls.push(url);
    while (this.urls.length > this.keep) URL.revokeObjectURL(this.urls.shift()!);
    return url;
  }

  dispose(): void {
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
  }
}

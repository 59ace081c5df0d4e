import { expect } from '@open-wc/testing';
import { pngFromRgba, PictureUrls } from '../../src/ui/picture';
import { decodePng } from './support/png';

describe('pngFromRgba', () => {
  it('round-trips opaque pixels through the browser decoder, across several stored blocks', async () => {
    // 150×120×4 = 72 000 bytes of pixels: two stored deflate blocks (65 535 bytes at most).
    const width = 150;
    const height = 120;
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      rgba.set([(i * 7) & 255, (i * 13) & 255, (i >> 8) & 255, 255], 4 * i);
    }
    const png = pngFromRgba(rgba, width, height);
    expect(png.type).to.equal('image/png');
    const { data, width: decodedWidth } = await decodePng(png);
    expect(decodedWidth).to.equal(width);
    expect([...data]).to.deep.equal([...rgba]);
  });

  it('keeps transparency: a transparent pixel decodes transparent, an opaque one opaque', async () => {
    const rgba = new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 0, 0]);
    const { data } = await decodePng(pngFromRgba(rgba, 2, 1));
    expect([data[3], data[7]]).to.deep.equal([255, 0]);
    expect([data[0], data[1], data[2]]).to.deep.equal([255, 0, 0]);
  });

  it('writes checksums a strict decoder accepts (zlib Adler-32, chunk CRC-32), checked independently', async () => {
    // Chromium's decoder ignores both checksums, so they are recomputed here from their definitions.
    const bytes = new Uint8Array(
      await pngFromRgba(new Uint8ClampedArray([9, 8, 7, 255, 1, 2, 3, 4]), 2, 1).arrayBuffer(),
    );
    const view = new DataView(bytes.buffer);
    const crc = (data: Uint8Array) => {
      let c = 0xffffffff;
      for (const byte of data) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    const chunks: string[] = [];
    for (let at = 8; at < bytes.length;) {
      const length = view.getUint32(at);
      const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
      chunks.push(type);
      expect(view.getUint32(at + 8 + length), `${type} CRC`).to.equal(
        crc(bytes.subarray(at + 4, at + 8 + length)),
      );
      if (type === 'IDAT') {
        const zlib = bytes.subarray(at + 8, at + 8 + length);
        const raw = zlib.subarray(7, zlib.length - 4); // after the header and the block header
        expect([...raw]).to.deep.equal([0, 9, 8, 7, 255, 1, 2, 3, 4]);
        let a = 1;
        let b = 0;
        for (const byte of raw) {
          a = (a + byte) % 65521;
          b = (b + a) % 65521;
        }
        expect(new DataView(zlib.buffer, zlib.byteOffset).getUint32(zlib.length - 4)).to.equal(
          ((b << 16) | a) >>> 0,
        );
      }
      at += 12 + length;
    }
    expect(chunks).to.deep.equal(['IHDR', 'IDAT', 'IEND']);
  });

  it('refuses pixels that do not fill the picture, saying what it expected', () => {
    expect(() => pngFromRgba(new Uint8ClampedArray(12), 2, 2)).to.throw(
      /expected 2×2×4 = 16 bytes, received 12/,
    );
  });
});

describe('PictureUrls', () => {
  it('keeps the newest two URLs and revokes older ones and, on dispose, the rest', async () => {
    const urls = new PictureUrls();
    const blob = pngFromRgba(new Uint8ClampedArray([1, 2, 3, 255]), 1, 1);
    const made = [urls.add(blob), urls.add(blob), urls.add(blob)];
    const readable = async (url: string) =>
      fetch(url).then(
        () => true,
        () => false,
      );
    expect(await Promise.all(made.map(readable))).to.deep.equal([false, true, true]);
    urls.dispose();
    expect(await Promise.all(made.map(readable))).to.deep.equal([false, false, false]);
  });
});

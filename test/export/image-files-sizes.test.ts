/**
 * The user image set's sizes and colours: files are cropped to their centre square and
 * box-averaged to 14×14 or 8×8, grey or RGB. The truth is computed here from the hand-made pixel
 * array the PNG was made of (block means; PNG is lossless), not by the code under test.
 */
import { expect } from '@esm-bundle/chai';
import { boxAverageRgba } from '../../src/data/images/box-average';
import { readImageFiles, type NamedBlob } from '../../src/export/image-files';

const WIDTH = 60;
const HEIGHT = 56;

/** Opaque RGB pixels from a fixed linear congruential sequence: every block differs. */
function picture(seed: number): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(WIDTH * HEIGHT * 4);
  let state = seed;
  for (let i = 0; i < WIDTH * HEIGHT; i++) {
    for (let c = 0; c < 3; c++) {
      state = (state * 1103515245 + 12345) % 2147483648;
      rgba[4 * i + c] = state >> 23;
    }
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

async function pngFile(name: string, rgba: Uint8ClampedArray<ArrayBuffer>): Promise<NamedBlob> {
  const canvas = new OffscreenCanvas(WIDTH, HEIGHT);
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, WIDTH, HEIGHT), 0, 0);
  const bytes = await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer();
  return { name, arrayBuffer: async () => bytes };
}

/**
 * The reference: the centre 56×56 square (columns 2…57) cut into (56/size)² blocks, each
 * channel's mean, then Rec. 601 luma for grey, rounded; RGB as R, G, B planes.
 */
function blockMeans(rgba: Uint8ClampedArray, size: number, channels: 1 | 3): number[] {
  const block = HEIGHT / size;
  const planes: number[][] = [[], [], []];
  const grey: number[] = [];
  for (let by = 0; by < size; by++) {
    for (let bx = 0; bx < size; bx++) {
      const sum = [0, 0, 0];
      for (let y = by * block; y < (by + 1) * block; y++) {
        for (let x = 2 + bx * block; x < 2 + (bx + 1) * block; x++) {
          for (let c = 0; c < 3; c++) sum[c]! += rgba[4 * (y * WIDTH + x) + c]!;
        }
      }
      const [r, g, b] = sum.map((s) => s / (block * block)) as [number, number, number];
      planes.forEach((plane, c) => plane.push(Math.round([r, g, b][c]!)));
      grey.push(Math.round(0.299 * r + 0.587 * g + 0.114 * b));
    }
  }
  return channels === 1 ? grey : planes.flat();
}

describe('a user image set at 14×14 and 8×8, grey and RGB', () => {
  for (const [size, channels] of [
    [14, 3],
    [14, 1],
    [8, 3],
    [8, 1],
  ] as const) {
    it(`${size}×${size} ${channels === 3 ? 'RGB' : 'grey'}: block means of the centre square`, async () => {
      const a = picture(1);
      const b = picture(2);
      const result = await readImageFiles([await pngFile('a.png', a), await pngFile('b.png', b)], {
        size,
        channels,
      });
      expect(result.images).to.include({ count: 2, channels, height: size, width: size });
      const per = channels * size * size;
      expect([...result.images.pixels.subarray(0, per)]).to.deep.equal(
        blockMeans(a, size, channels),
      );
      expect([...result.images.pixels.subarray(per)]).to.deep.equal(blockMeans(b, size, channels));
    });
  }

  it('a box that cuts pixels weighs them by the part inside (3×3 → 2×2, by hand)', () => {
    // Red channel values 0…8 row by row; green and blue 0; opaque.
    const rgba = new Uint8Array(36);
    for (let i = 0; i < 9; i++) {
      rgba[4 * i] = i * 10;
      rgba[4 * i + 3] = 255;
    }
    const out = boxAverageRgba(rgba, 3, 2, 3);
    // Top-left box covers [0, 1.5)²: 1·v0 + ½·v1 + ½·v3 + ¼·v4 over the area 2.25.
    const topLeft = (0 + 0.5 * 10 + 0.5 * 30 + 0.25 * 40) / 2.25;
    const bottomRight = (0.25 * 40 + 0.5 * 50 + 0.5 * 70 + 80) / 2.25;
    expect([...out.subarray(0, 4)]).to.deep.equal([
      Math.round(topLeft),
      Math.round((0.5 * 10 + 20 + 0.25 * 40 + 0.5 * 50) / 2.25),
      Math.round((0.5 * 30 + 0.25 * 40 + 60 + 0.5 * 70) / 2.25),
      Math.round(bottomRight),
    ]);
    expect([...out.subarray(4)]).to.deep.equal(Array(8).fill(0));
    expect(() => boxAverageRgba(rgba, 3, 4, 1)).to.throw(/1 ≤ size ≤ side/);
  });
});

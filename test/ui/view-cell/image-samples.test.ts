import { expect } from '@esm-bundle/chai';
import { intensityByte, sampleGrid } from '../../../src/ui/view-cell/image-samples';

describe('image sample grid (the View cell’s picture of an image model)', () => {
  it('lays images out row by row with 1-pixel gaps; grey fills R, G and B (known answer)', () => {
    // Three 1×2×2 images: 2 columns, 2 rows → (2·3 + 1) × (2·3 + 1) pixels.
    const values = Float32Array.from([0, 0.25, 0.5, 1, 0.1, 0.2, 0.3, 0.4, 0.9, 0.8, 0.7, 0.6]);
    const grid = sampleGrid({ count: 3, shape: [1, 2, 2], values });
    expect([grid.width, grid.height, grid.columns, grid.rows]).to.deep.equal([7, 7, 2, 2]);
    const at = (x: number, y: number) =>
      Array.from(grid.rgba.subarray((y * 7 + x) * 4, (y * 7 + x) * 4 + 4));
    expect(at(1, 1)).to.deep.equal([0, 0, 0, 255]);
    expect(at(2, 1)).to.deep.equal([64, 64, 64, 255]);
    expect(at(2, 2)).to.deep.equal([255, 255, 255, 255]); // 1.0 clamps to 255
    expect(at(4, 1)).to.deep.equal([25, 25, 25, 255]); // image 1, top left: ⌊0.1·256⌋
    expect(at(1, 4)).to.deep.equal([230, 230, 230, 255]); // image 2 starts the second row
    expect(at(0, 0)).to.deep.equal([128, 128, 128, 128]); // a gap
    expect(at(4, 4)).to.deep.equal([128, 128, 128, 128]); // no fourth image
  });

  it('RGB images keep their channels, planar C × H × W', () => {
    const values = Float32Array.from([1, 0, 0.5]); // one 3×1×1 image
    const grid = sampleGrid({ count: 1, shape: [3, 1, 1], values });
    expect(Array.from(grid.rgba.subarray((1 * 3 + 1) * 4, (1 * 3 + 1) * 4 + 4))).to.deep.equal([
      255, 0, 128, 255,
    ]);
    // The inverse of the model's pixel scale y = (v + ½) / 256.
    for (let v = 0; v < 256; v++) expect(intensityByte((v + 0.5) / 256)).to.equal(v);
  });
});

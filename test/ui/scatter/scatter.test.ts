import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/scatter/scatter';
import { rasterizeScatter, type FfScatter } from '../../../src/ui/scatter/scatter';
import { decodePng } from '../support/png';

/** Pixel (x, y) of straight RGBA `image`, `side` wide. */
const pixel = (image: Uint8ClampedArray, side: number, x: number, y: number) => [
  ...image.subarray(4 * (y * side + x), 4 * (y * side + x) + 4),
];

describe('rasterizeScatter', () => {
  // Bounds [0.25, 10.25]² on 20 pixels: 2 pixels per unit; grid lines at the integers 1 … 10
  // fall on the odd pixel columns (1, 3, … 19) and the even rows (18, 16, … 0).
  const side = 20;
  const bounds = [0.25, 0.25, 10.25, 10.25] as const;

  it('draws each point as a 3×3 square at opacity 0.55 and overlapping points by source-over', () => {
    // (5.5, 5.5) → pixel (10.5, 9.5): centre (10, 9); the same point twice in the second layer.
    const image = rasterizeScatter(
      [
        { label: 'a', color: '#0072B2', points: new Float32Array([5.5, 5.5]) },
        { label: 'b', color: '#D55E00', points: new Float32Array([5.5, 5.5, 5.5, 5.5]) },
      ],
      bounds,
      side,
    );
    // Three layers of 0.55 over a transparent pixel: alpha 1 − 0.45³; the top colour dominates.
    const alpha = 1 - 0.45 ** 3;
    const [r, g, b, a] = pixel(image, side, 10, 9); // inside the squares, off the grid lines
    expect(a).to.be.closeTo(255 * alpha, 1.5);
    // Expected colour: source-over of blue, then orange twice, in straight alpha.
    let colour = [0, 0, 0];
    let below = 0;
    for (const [rgb, al] of [
      [[0x00, 0x72, 0xb2], 0.55],
      [[0xd5, 0x5e, 0x00], 0.55],
      [[0xd5, 0x5e, 0x00], 0.55],
    ] as const) {
      const out = al + below * (1 - al);
      colour = colour.map((c, i) => (rgb[i]! * al + c * below * (1 - al)) / out);
      below = out;
    }
    expect(r).to.be.closeTo(colour[0]!, 2);
    expect(g).to.be.closeTo(colour[1]!, 2);
    expect(b).to.be.closeTo(colour[2]!, 2);
    // Outside the square and off the grid: transparent.
    expect(pixel(image, side, 14, 11)[3]).to.equal(0);
    // A grid line (x = 6 → column 11.5 → 11) far from the points: grey at opacity 0.35.
    expect(pixel(image, side, 11, 1)).to.deep.equal([128, 128, 128, Math.round(0.35 * 255)]);
  });

  it('leaves out points outside the bounds and non-finite ones', () => {
    const image = rasterizeScatter(
      [{ label: 'a', color: '#0072B2', points: new Float32Array([-3, 5, 5, 40, NaN, 1]) }],
      [0.25, 0.25, 10.25, 10.25],
      side,
    );
    const coloured = [...Array(side * side).keys()].filter(
      (i) => image[4 * i + 3]! > 0 && image[4 * i]! !== 128,
    );
    expect(coloured).to.have.length(0);
  });
});

describe('<ff-scatter>', () => {
  it('shows its plot as a PNG <img> whose pixels are the rasterized points, with no canvas', async () => {
    const layers = [
      { label: 'data', color: '#0072B2', points: new Float32Array([0, 0, 1, 1, -1, 0.5]) },
    ];
    const bounds: [number, number, number, number] = [-2, -2, 2, 2];
    const el = await fixture<FfScatter>(
      html`<ff-scatter label="Test plot" .layers=${layers} .bounds=${bounds}></ff-scatter>`,
    );
    const img = el.shadowRoot!.querySelector('img')!;
    expect(img.alt).to.equal('Test plot');
    expect(el.shadowRoot!.querySelector('canvas')).to.equal(null);
    await img.decode();
    const { data } = await decodePng(await (await fetch(img.src)).blob());
    const expected = rasterizeScatter(layers, bounds);
    // Alpha exact; colours within the rounding of the test canvas's premultiplied storage.
    let worst = 0;
    for (let i = 0; i < expected.length; i += 4) {
      expect(data[i + 3]).to.equal(expected[i + 3]);
      if (expected[i + 3]! < 64) continue;
      for (let c = 0; c < 3; c++)
        worst = Math.max(worst, Math.abs(data[i + c]! - expected[i + c]!));
    }
    expect(worst).to.be.at.most(3);
    expect(
      [...expected].some((v, i) => i % 4 === 3 && v > 100),
      'points drawn',
    ).to.equal(true);
    expect(el.png).to.be.instanceOf(Blob);
    await expect(el).to.be.accessible();
  });
});

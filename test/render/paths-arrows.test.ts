import { expect } from '@esm-bundle/chai';
import type { GpuRuntime } from '../../src/gpu';
import {
  FieldArrows,
  RenderPipelineCache,
  TextureSurface,
  TrajectoryPaths,
  arrowData,
  arrowGrid,
  canvasFormat,
  endFrameAt,
  renderFrame,
  type Drawable,
  type PixelImage,
} from '../../src/render';
import { testGpu } from '../support/gpu';

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
const SIZE = 128;
/** Data units per pixel with bounds [−3, 3]² on SIZE × SIZE pixels. */
const UNIT = 6 / SIZE;

let gpu: GpuRuntime;
let pipelines: RenderPipelineCache;
before(async () => {
  gpu = await testGpu();
  pipelines = new RenderPipelineCache(gpu.device);
});
after(() => pipelines.dispose());

async function draw(drawables: Drawable[]): Promise<PixelImage> {
  const surface = new TextureSurface(gpu, SIZE, SIZE, canvasFormat());
  try {
    await renderFrame(
      gpu,
      pipelines,
      surface.format,
      () => surface.acquire(),
      { bounds: [-3, -3, 3, 3], pixelRatio: 1, background: [0, 0, 0, 1] },
      drawables,
    );
    return await surface.read();
  } finally {
    surface.dispose();
  }
}

const lit = (image: PixelImage, x: number, y: number): boolean => {
  const i = 4 * (Math.floor(y) * image.width + Math.floor(x));
  return image.data[i]! + image.data[i + 1]! + image.data[i + 2]! > 60;
};

/** Whether anything is drawn within a pixel of (x, y): a thin line on a pixel edge lights either side. */
const litNear = (image: PixelImage, x: number, y: number): boolean =>
  [-1, 0, 1].some((dy) => [-1, 0, 1].some((dx) => lit(image, x + dx, y + dy)));

/** Pixel position of a data point. */
const toPixel = (x: number, y: number): [number, number] => [(x + 3) / UNIT, (3 - y) / UNIT];

describe('trajectories: paths from a frames buffer, cut by the time scrubber', () => {
  it('endFrameAt interpolates the time between recorded frames', () => {
    expect(endFrameAt([1, 0.5, 0], 0)).to.equal(2);
    expect(endFrameAt([1, 0.5, 0], 1)).to.equal(0);
    expect(endFrameAt([1, 0.5, 0], 0.25)).to.be.closeTo(1.5, 1e-12);
    expect(endFrameAt([1, 0.8, 0.2, 0], 0.5)).to.be.closeTo(1.5, 1e-12);
    expect(() => endFrameAt([1, 0], 1.5)).to.throw(/upTo must be a time in \[0, 1\], got 1.5/);
  });

  for (const widthPx of [2, 1]) {
    it(`draws each path up to the end frame, the last segment part-way (${widthPx} px: ${widthPx > 1 ? 'quads' : 'lines'})`, async () => {
      // Two paths, three frames each (frame-major): an L going right then up, and its mirror.
      const frames = new Float32Array([
        ...[-2, -2, 2, 2], // frame 0 of paths 0 and 1
        ...[0, -2, 0, 2], // frame 1
        ...[0, 0, 0, 0], // frame 2
      ]);
      const buffer = gpu.pool.upload(frames, STORAGE, 'test frames');
      try {
        const style = { color: [1, 1, 1] as [number, number, number], alpha: 1, widthPx };
        const half = await draw([new TrajectoryPaths(buffer.buffer, 2, 3, 1.5, style)]);
        // First segments fully drawn, second ones up to their middle (y = ∓1), not beyond.
        expect(litNear(half, ...toPixel(-1, -2))).to.equal(true);
        expect(litNear(half, ...toPixel(1, 2))).to.equal(true);
        expect(litNear(half, ...toPixel(0, -1.5))).to.equal(true);
        expect(litNear(half, ...toPixel(0, 1.5))).to.equal(true);
        expect(litNear(half, ...toPixel(0, -0.5)), 'past the end frame').to.equal(false);
        expect(litNear(half, ...toPixel(0, 0.5)), 'past the end frame').to.equal(false);
        const whole = await draw([new TrajectoryPaths(buffer.buffer, 2, 3, 2, style)]);
        expect(litNear(whole, ...toPixel(0, -0.5))).to.equal(true);
        expect(litNear(whole, ...toPixel(0, 0.5))).to.equal(true);
        expect(litNear(whole, ...toPixel(-1, 1)), 'nothing off the paths').to.equal(false);
      } finally {
        buffer.dispose();
      }
    });
  }
});

describe('field arrows: direction and length from the vectors, one scale for all', () => {
  it('arrowGrid puts resolution² cell centres across the bounds and checks the resolution', () => {
    const grid = arrowGrid([-3, -3, 3, 3], 2);
    expect([...grid.points]).to.deep.equal([-1.5, -1.5, 1.5, -1.5, -1.5, 1.5, 1.5, 1.5]);
    expect(grid.spacing).to.equal(3);
    expect(() => arrowGrid([-3, -3, 3, 3], 1)).to.throw(/field.resolution must be an integer/);
  });

  it('each arrow points along its vector; the longest spans 0.9 of the spacing', async () => {
    const grid = arrowGrid([-3, -3, 3, 3], 2);
    // Four cells: right (full length), up (half), left-down diagonal (full), NaN (hidden).
    const vectors = [2, 0, 0, 1, -Math.SQRT2, -Math.SQRT2, NaN, 0];
    const { arrows, maxMagnitude, lengthScale } = arrowData(grid, vectors);
    expect(maxMagnitude).to.be.closeTo(2, 1e-12);
    expect(lengthScale).to.be.closeTo((0.9 * 3) / 2, 1e-12);
    const buffer = gpu.pool.upload(arrows, STORAGE, 'test arrows');
    try {
      const image = await draw([
        new FieldArrows(buffer.buffer, 4, lengthScale, {
          color: [1, 1, 1],
          alpha: 1,
          widthPx: 2,
          headPx: 6,
        }),
      ]);
      for (let cell = 0; cell < 4; cell++) {
        const [tx, ty] = [grid.points[2 * cell]!, grid.points[2 * cell + 1]!];
        // Centroid (the head weighs it towards the tip) and farthest lit pixel from the centre.
        const [px0, py0] = toPixel(tx - 1.5, ty + 1.5);
        let [sx, sy, n, reach] = [0, 0, 0, 0];
        for (let y = Math.round(py0); y < Math.round(py0) + SIZE / 2; y++) {
          for (let x = Math.round(px0); x < Math.round(px0) + SIZE / 2; x++) {
            if (!lit(image, x, y)) continue;
            const dx = (x + 0.5) * UNIT - 3 - tx;
            const dy = 3 - (y + 0.5) * UNIT - ty;
            sx += dx;
            sy += dy;
            n++;
            reach = Math.max(reach, Math.hypot(dx, dy));
          }
        }
        const [vx, vy] = [vectors[2 * cell]!, vectors[2 * cell + 1]!];
        if (Number.isNaN(vx)) {
          expect(n, 'a non-finite vector draws nothing').to.equal(0);
          continue;
        }
        const cos = (sx * vx + sy * vy) / Math.hypot(sx, sy) / Math.hypot(vx, vy);
        expect(cos, `cell ${cell} direction`).to.be.greaterThan(0.98);
        // Centred on the grid point: half the length each way.
        const expected = (Math.hypot(vx, vy) * lengthScale) / 2;
        expect(reach, `cell ${cell} length`).to.be.closeTo(expected, 2.5 * UNIT);
      }
    } finally {
      buffer.dispose();
    }
  });
});

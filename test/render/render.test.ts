import { expect } from '@esm-bundle/chai';
import { ShaderError, type GpuRuntime } from '../../src/gpu';
import {
  HEATMAP_PROGRAM,
  Heatmap,
  HeatmapRange,
  POINTS_QUAD_PROGRAM,
  PointCloud,
  RenderPipelineCache,
  TextureSurface,
  WarpGrid,
  canvasFormat,
  gridCentres,
  heatmapGrid,
  renderFrame,
  warpGridPoints,
  type Drawable,
  type PixelImage,
} from '../../src/render';
import { testGpu } from '../support/gpu';
import { brightestSpot, pixelsDifferentFrom } from './pixels';

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
const BLACK = [0, 0, 0] as const;

let gpu: GpuRuntime;
let pipelines: RenderPipelineCache;
before(async () => {
  gpu = await testGpu();
  pipelines = new RenderPipelineCache(gpu.device);
});
after(() => pipelines.dispose());

async function draw(drawables: Drawable[], size = 128): Promise<PixelImage> {
  const surface = new TextureSurface(gpu, size, size, canvasFormat());
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

/** Width in pixels of the columns that have anything drawn. */
function litWidth(image: PixelImage): number {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < image.width * image.height; i++) {
    if (image.data[4 * i]! + image.data[4 * i + 1]! + image.data[4 * i + 2]! > 0) {
      min = Math.min(min, i % image.width);
      max = Math.max(max, i % image.width);
    }
  }
  return max - min + 1;
}

describe('render: frames drawn from GPU buffers (no readback of the data)', () => {
  it('point clouds: quads and one-pixel points, in data coordinates', async () => {
    const points = gpu.pool.upload(Float32Array.of(0, 0, 1.5, 1.5, NaN, 0), STORAGE, 'points');
    const quads = await draw([
      new PointCloud(points.buffer, 3, { color: [1, 0.5, 0], alpha: 1, sizePx: 6 }),
    ]);
    const tiny = await draw([
      new PointCloud(points.buffer, 3, { color: [1, 1, 1], alpha: 1, sizePx: 1 }),
    ]);
    points.dispose();
    // Two discs of 6 px (the NaN point is dropped), and two single pixels.
    expect(pixelsDifferentFrom(quads, BLACK)).to.be.within(40, 80);
    expect(pixelsDifferentFrom(tiny, BLACK)).to.equal(2);
    const centre = (64 * 128 + 64) * 4;
    expect([...quads.data.subarray(centre, centre + 3)]).to.deep.equal([255, 128, 0]);
    // (1.5, 1.5) is at pixel (96, 32).
    const corner = (32 * 128 + 96) * 4;
    expect(quads.data[corner]).to.equal(255);
  });

  it('heatmaps: the colour range comes from the GPU and the brightest pixel is the peak', async () => {
    const grid = heatmapGrid([-3, -3, 3, 3], 64);
    const centres = gridCentres(grid);
    const values = new Float32Array(grid.width * grid.height);
    for (let i = 0; i < values.length; i++) {
      const x = centres[2 * i]!;
      const y = centres[2 * i + 1]!;
      // A peak at (1, −1.5) and −∞ in one corner cell, as log p far from the data.
      values[i] = i === 0 ? -Infinity : -((x - 1) ** 2 + (y + 1.5) ** 2) / (2 * 0.3 ** 2);
    }
    const buffer = gpu.pool.upload(values, STORAGE, 'log p');
    const range = await HeatmapRange.create(gpu);
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const uniforms = range.encode(pass, buffer.buffer, values.length, 10);
    pass.end();
    gpu.device.queue.submit([encoder.finish()]);
    uniforms.dispose();
    const image = await draw([new Heatmap(buffer.buffer, range.buffer.buffer, grid, 'magma')]);
    const legend = (await range.read('magma'))!;
    buffer.dispose();
    range.dispose();
    const peak = Math.max(...values);
    expect(legend).to.deep.include({ max: peak, unit: 'nats', colormap: 'magma' });
    expect(legend.min).to.be.closeTo(peak - 10, 1e-5);
    expect(legend.lowest).to.be.below(legend.min);
    const spot = brightestSpot(image);
    expect(-3 + (spot.x / 128) * 6).to.be.closeTo(1, 0.1);
    expect(3 - (spot.y / 128) * 6).to.be.closeTo(-1.5, 0.1);
  });

  it('warp grids: drawn per stage, blended between stages', async () => {
    const { points, geometry } = warpGridPoints([-2, -2, 2, 2], 5, 16);
    const stages = new Float32Array(points.length * 2);
    stages.set(points, 0);
    stages.set(
      points.map((v) => v * 0.5),
      points.length,
    );
    const buffer = gpu.pool.upload(stages, STORAGE, 'stages');
    const style = {
      widthPx: 1.5,
      colors: [
        [1, 1, 1, 1],
        [0, 1, 1, 1],
      ] as [number[], number[]],
    };
    const images = await Promise.all(
      [0, 0.5, 1].map((stage) => draw([new WarpGrid(buffer.buffer, 2, geometry, stage, style)])),
    );
    buffer.dispose();
    // The grid spans 4, 3 and 2 units (of 6 across 128 px) at stages 0, ½ and 1.
    const widths = images.map(litWidth);
    expect(widths[0]).to.be.closeTo((4 / 6) * 128, 3);
    expect(widths[1]).to.be.closeTo((3 / 6) * 128, 3);
    expect(widths[2]).to.be.closeTo((2 / 6) * 128, 3);
    expect(pixelsDifferentFrom(images[2]!, BLACK)).to.be.greaterThan(100);
  });

  it('the pipeline cache compiles once per program and format; WGSL errors name the file and line', async () => {
    const before = pipelines.compileCount;
    const [a, b] = await Promise.all([
      pipelines.get(POINTS_QUAD_PROGRAM, 'rgba8unorm'),
      pipelines.get(POINTS_QUAD_PROGRAM, 'rgba8unorm'),
    ]);
    expect(a).to.equal(b);
    await pipelines.get(POINTS_QUAD_PROGRAM, 'bgra8unorm');
    expect(pipelines.compileCount - before).to.be.at.most(2);
    const broken = {
      ...HEATMAP_PROGRAM,
      name: 'render/broken',
      source: HEATMAP_PROGRAM.source.replace('let t = (v', 'let t = (undefined_name'),
    };
    let error: unknown;
    await pipelines
      .get(broken, 'rgba8unorm', { COLORMAP_STOPS: 52 })
      .catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(ShaderError);
    expect((error as ShaderError).messages[0]).to.include({
      file: 'render/heatmap.wgsl',
      type: 'error',
    });
    expect((error as Error).message).to.match(/render\/heatmap\.wgsl:\d+:\d+/);
  });
});

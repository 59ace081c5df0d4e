/**
 * The 2-D canvas renderer of the views without WebGPU (src/render/canvas2d.ts): each layer lands
 * where the view transform puts it (toCssPixels, the GPU path's mapping), in its colour, and the
 * heatmap's colour range follows heatmap-range.wgsl's rule.
 */
import { expect } from '@esm-bundle/chai';
import {
  colormapAt,
  drawScene2d,
  fitView,
  heatmapRange2d,
  toCssPixels,
  type Layer2d,
  type Scene2d,
} from '../../src/render';

const W = 120;
const H = 80;
const BACKGROUND = [0, 0, 0, 1] as const;

function draw(layers: Layer2d[]) {
  const canvas = new OffscreenCanvas(W, H);
  const context = canvas.getContext('2d')!;
  const scene: Scene2d = { bounds: [-1, -1, 1, 1], pixelRatio: 1, background: BACKGROUND, layers };
  const transform = drawScene2d(context, W, H, scene);
  const pixels = context.getImageData(0, 0, W, H).data;
  const at = (x: number, y: number) => {
    const [px, py] = toCssPixels(transform, W, H, x, y).map(Math.floor);
    const k = 4 * (py! * W + px!);
    return [pixels[k]!, pixels[k + 1]!, pixels[k + 2]!];
  };
  return { transform, at };
}

describe('canvas2d: the views drawn without WebGPU', () => {
  it('fits the bounds to the canvas as the GPU path does', () => {
    const { transform } = draw([]);
    expect(transform.visible).to.deep.equal(fitView([-1, -1, 1, 1], W, H).visible);
    expect(transform.visible[2] - transform.visible[0]).to.be.closeTo(3, 1e-12);
  });

  it('draws points where the transform puts them, in their colour, over the background', () => {
    const { at } = draw([
      {
        kind: 'points',
        points: Float32Array.of(0.5, 0.5, -0.8, -0.3),
        color: [1, 0, 0],
        alpha: 1,
        sizePx: 4,
      },
    ]);
    expect(at(0.5, 0.5)).to.deep.equal([255, 0, 0]);
    expect(at(-0.8, -0.3)).to.deep.equal([255, 0, 0]);
    expect(at(0, 0)).to.deep.equal([0, 0, 0]);
    // y points up: (0.5, −0.5) is a different pixel from (0.5, 0.5), and empty.
    expect(at(0.5, -0.5)).to.deep.equal([0, 0, 0]);
  });

  it('colours a heatmap by the colormap over its range, rows from yMin', () => {
    const grid = { bounds: [-1, -1, 1, 1] as const, width: 4, height: 2 };
    // log p grows with x; the top row (y > 0) one nat more.
    const values = Float32Array.of(0, 1, 2, 3, 1, 2, 3, 4);
    const range = heatmapRange2d(values, 10, 'viridis')!;
    expect(range).to.deep.include({ min: 0, max: 4, lowest: 0 });
    const { at } = draw([{ kind: 'heatmap', grid, values, range, colormap: 'viridis' }]);
    const expected = (t: number) => colormapAt('viridis', t).map((c) => Math.round(c * 255));
    const close = (a: number[], b: number[]) =>
      a.forEach((v, i) => expect(v).to.be.closeTo(b[i]!, 40));
    close(at(-0.95, -0.95), expected(0));
    close(at(0.95, 0.95), expected(1));
    close(at(-0.95, 0.95), expected(0.25));
  });

  it('finds the heatmap range as heatmap-range.wgsl: clipped below, −∞ and NaN ignored, none without finite values', () => {
    const range = heatmapRange2d(Float32Array.of(-Infinity, -50, NaN, 2, -3), 10, 'magma')!;
    expect(range).to.deep.equal({ min: -8, max: 2, lowest: -50, unit: 'nats', colormap: 'magma' });
    expect(heatmapRange2d(Float32Array.of(-Infinity, NaN), 10, 'viridis')).to.equal(null);
    expect(heatmapRange2d(Float32Array.of(1, 1), 10, 'viridis')!.max).to.be.closeTo(1.001, 1e-9);
  });

  it('cuts paths at a fractional end frame (the time scrubber)', () => {
    const frames = [Float32Array.of(-0.6, 0), Float32Array.of(0, 0), Float32Array.of(0.6, 0)];
    const path = (endFrame: number): Layer2d => ({
      kind: 'paths',
      frames,
      endFrame,
      color: [0, 1, 0],
      alpha: 1,
      widthPx: 3,
    });
    const half = draw([path(1.5)]);
    expect(half.at(-0.3, 0)[1]).to.be.greaterThan(200);
    expect(half.at(0.2, 0)[1]).to.be.greaterThan(200);
    expect(half.at(0.5, 0)[1]).to.equal(0);
    expect(draw([path(2)]).at(0.5, 0)[1]).to.be.greaterThan(200);
  });

  it('blends warp stages and centres field arrows on their points', () => {
    const geometry = { lineCount: 1, firstFamily: 1, pointsPerLine: 2 };
    const stages = [Float32Array.of(-0.8, -0.5, 0.8, -0.5), Float32Array.of(-0.8, 0.5, 0.8, 0.5)];
    const warp = (stage: number): Layer2d => ({
      kind: 'warp',
      stages,
      geometry,
      stage,
      widthPx: 3,
      colors: [[1, 1, 0, 1]],
    });
    expect(draw([warp(0)]).at(0, -0.5)[0]).to.be.greaterThan(200);
    const middle = draw([warp(0.5)]);
    expect(middle.at(0, 0)[0]).to.be.greaterThan(200);
    expect(middle.at(0, -0.5)[0]).to.equal(0);
    const arrows = draw([
      {
        kind: 'arrows',
        arrows: Float32Array.of(0, 0, 1, 0),
        lengthScale: 1,
        color: [0, 0, 1],
        alpha: 1,
        widthPx: 3,
        headPx: 4,
      },
    ]);
    // From x = −0.5 to 0.5 through the centre; nothing beyond the tip.
    expect(arrows.at(-0.4, 0)[2]).to.be.greaterThan(200);
    expect(arrows.at(0, 0)[2]).to.be.greaterThan(200);
    expect(arrows.at(0.8, 0)[2]).to.equal(0);
  });
});

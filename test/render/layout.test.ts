import { expect } from '@esm-bundle/chai';
import {
  VIRIDIS,
  colormapAt,
  colormapCss,
  fitView,
  gridCentres,
  heatmapGrid,
  niceTicks,
  axisTicks,
  toCssPixels,
  warpGridPoints,
} from '../../src/render';

describe('render layout (no GPU): view fitting, ticks, grids, colour maps', () => {
  it('fits bounds to the aspect ratio, keeping one unit the same size on both axes', () => {
    const t = fitView([-1, -1, 1, 1], 200, 100);
    expect(t.visible).to.deep.equal([-2, -1, 2, 1]);
    expect(toCssPixels(t, 200, 100, 0, 0)).to.deep.equal([100, 50]);
    expect(toCssPixels(t, 200, 100, -2, 1)).to.deep.equal([0, 0]);
    expect(() => fitView([0, 0, 0, 1], 1, 1)).to.throw(/xMax > xMin/);
  });

  it('picks nice ticks (1, 2, 5 × 10^k), at least two, with clean labels', () => {
    expect(niceTicks(-3, 3, 6).values).to.deep.equal([-3, -2, -1, 0, 1, 2, 3]);
    expect(niceTicks(0, 1, 5)).to.deep.equal({ values: [0, 0.2, 0.4, 0.6, 0.8, 1], step: 0.2 });
    expect(niceTicks(-4.5, 4.5, 1.5).values.length).to.be.at.least(2);
    const ticks = axisTicks(fitView([-0.3, -0.3, 0.3, 0.3], 100, 100), 100, 100, 25);
    expect(ticks.x.map((t) => t.label)).to.deep.equal(['-0.2', '0.0', '0.2']);
    expect(ticks.y[0]!.px).to.be.greaterThan(ticks.y.at(-1)!.px); // y grows upwards
  });

  it('lays out heatmap cells and warp lines', () => {
    const grid = heatmapGrid([0, 0, 4, 2], 8);
    expect([grid.width, grid.height]).to.deep.equal([8, 4]);
    expect([...gridCentres(grid).subarray(0, 4)]).to.deep.equal([0.25, 0.25, 0.75, 0.25]);
    const { points, geometry } = warpGridPoints([0, 0, 1, 1], 3, 5);
    expect(geometry).to.deep.equal({ lineCount: 6, firstFamily: 3, pointsPerLine: 5 });
    expect(points.length).to.equal(6 * 5 * 2);
    expect(() => warpGridPoints([0, 0, 1, 1], 1, 5)).to.throw(
      /warp.lines must be an integer in \[2, 128\]/,
    );
  });

  it('colour maps rise in lightness from bottom to top (the brightest colour is the peak)', () => {
    let previous = -1;
    for (let t = 0; t <= 1; t += 0.01) {
      const [r, g, b] = colormapAt('viridis', t);
      const lightness = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      expect(lightness).to.be.greaterThan(previous);
      previous = lightness;
    }
    expect(colormapAt('viridis', 0)).to.deep.equal([...VIRIDIS[0]!]);
    expect(colormapCss('magma')).to.match(/^linear-gradient\(to right, rgb\(0 0 4\)/);
  });
});

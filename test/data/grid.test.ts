import { expect } from '@esm-bundle/chai';
import { Dataset } from '../../src/data/dataset';
import { DatasetSpecError } from '../../src/data/errors';
import { GridDensity, buildAliasTable, gridFromFormula, type GridSpec } from '../../src/data/grid';
import { gridFromImage, gridFromPixels, type RgbaPixels } from '../../src/data/image';
import { testGpu } from '../support/gpu';
import { chiSquare, chiSquareCritical } from './helpers';

function whiteImage(width: number, height: number): RgbaPixels & { data: Uint8ClampedArray } {
  return { width, height, data: new Uint8ClampedArray(width * height * 4).fill(255) };
}

function paint(
  image: RgbaPixels & { data: Uint8ClampedArray },
  x: number,
  y: number,
  rgba: number[],
) {
  image.data.set(rgba, 4 * (y * image.width + x));
}

function thrown(f: () => unknown): DatasetSpecError {
  try {
    f();
  } catch (error) {
    expect(error).to.be.instanceOf(DatasetSpecError);
    return error as DatasetSpecError;
  }
  throw new Error('expected a DatasetSpecError');
}

const cpuOnly = {} as ConstructorParameters<typeof Dataset>[0];

describe('grid densities from images', () => {
  it('an image with one black pixel samples only inside that cell, with the exact log p', async () => {
    const gpu = await testGpu();
    const image = whiteImage(16, 16);
    paint(image, 5, 3, [0, 0, 0, 255]);
    const grid = gridFromPixels(image);
    expect([grid.width, grid.height]).to.deep.equal([16, 16]);
    expect(grid.bounds).to.deep.equal([-4, -4, 4, 4]);
    // Column 5, row 3 from the top, cells of 0.5: x ∈ [−1.5, −1), y ∈ (2, 2.5].
    const dataset = new Dataset(gpu, { grid });
    const points = await dataset.sample(20_000, { seed: 4 });
    let outside = 0;
    for (let i = 0; i < points.length; i += 2) {
      const [x, y] = [points[i]!, points[i + 1]!];
      if (!(x >= -1.5 && x <= -1 && y >= 2 && y <= 2.5)) outside++;
    }
    expect(outside).to.equal(0);
    const exact = Math.log(1 / 0.25);
    const inside = Float32Array.from([-1.25, 2.25, -1.49, 2.01, -1.01, 2.49]);
    const onGpu = await dataset.logProb(inside);
    const onCpu = dataset.logProbCpu(inside);
    for (let i = 0; i < 3; i++) {
      expect(onCpu[i]).to.equal(exact);
      expect(onGpu[i]).to.equal(Math.fround(exact));
    }
    const elsewhere = [-0.75, 2.25, -1.25, 1.75, 9, 9];
    expect(Array.from(await dataset.logProb(elsewhere))).to.deep.equal([
      -Infinity,
      -Infinity,
      -Infinity,
    ]);
    expect(Array.from(dataset.logProbCpu(elsewhere))).to.deep.equal([
      -Infinity,
      -Infinity,
      -Infinity,
    ]);
    const entropy = await dataset.entropy({ samples: 10_000 });
    expect(entropy.exact).to.equal(Math.log(0.25));
    expect(entropy.value).to.be.closeTo(Math.log(0.25), 1e-6);
    dataset.dispose();
  });

  it('downscales large images to at most 256 cells a side, keeping a lone pixel in its cell', async () => {
    const gpu = await testGpu();
    const image = whiteImage(512, 300);
    paint(image, 301, 77, [0, 0, 0, 255]);
    const grid = gridFromPixels(image);
    expect([grid.width, grid.height]).to.deep.equal([256, 150]);
    const cell = 8 / 256;
    expect(grid.bounds[2] - grid.bounds[0]).to.be.closeTo(8, 1e-12);
    expect(grid.bounds[3] - grid.bounds[1]).to.be.closeTo(150 * cell, 1e-12);
    // Pixel (301, 77) falls in cell (150, 38), a quarter of whose pixels are black.
    const positive = Array.from(grid.weights as Float32Array).flatMap((w, i) => (w > 0 ? [i] : []));
    expect(positive).to.deep.equal([38 * 256 + 150]);
    expect(grid.weights[38 * 256 + 150]).to.be.closeTo(0.25, 1e-6);
    const dataset = new Dataset(gpu, { grid });
    const points = await dataset.sample(5000, { seed: 1 });
    const x0 = grid.bounds[0] + 150 * cell;
    const y1 = grid.bounds[3] - 38 * cell;
    for (let i = 0; i < points.length; i += 2) {
      expect(points[i]).to.be.within(x0 - 1e-6, x0 + cell + 1e-6);
      expect(points[i + 1]).to.be.within(y1 - cell - 1e-6, y1 + 1e-6);
    }
    dataset.dispose();
  });

  it('maps colours by luma over white, with invert, threshold and binary', () => {
    const image = whiteImage(4, 1);
    paint(image, 0, 0, [0, 0, 0, 255]); // black
    paint(image, 1, 0, [255, 0, 0, 255]); // red: luma 0.299
    paint(image, 2, 0, [0, 0, 0, 0]); // transparent black: white paper
    const weights = (options = {}) => Array.from(gridFromPixels(image, options).weights);
    const close = (got: number[], want: number[]) =>
      got.forEach((w, i) => expect(w, `weight ${i}`).to.be.closeTo(want[i]!, 1e-6));
    close(weights(), [1, 0.701, 0, 0]);
    close(weights({ invert: true }), [0, 0.299, 1, 1]);
    close(weights({ threshold: 0.8 }), [1, 0, 0, 0]);
    close(weights({ threshold: 0.5, binary: true }), [1, 1, 0, 0]);
    expect(thrown(() => gridFromPixels(image, { threshold: 2 })).field).to.equal('threshold');
    expect(thrown(() => gridFromPixels(image, { maxSize: 300 })).field).to.equal('maxSize');
    expect(thrown(() => gridFromPixels({ width: 2, height: 2, data: [0] })).field).to.equal(
      'image',
    );
  });

  it('decodes an image blob in the browser (createImageBitmap + OffscreenCanvas)', async () => {
    const canvas = new OffscreenCanvas(32, 16);
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#fff';
    context.fillRect(0, 0, 32, 16);
    context.fillStyle = '#000';
    context.fillRect(8, 4, 4, 2);
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    const grid = await gridFromImage(blob);
    expect([grid.width, grid.height]).to.deep.equal([32, 16]);
    for (let row = 0; row < 16; row++) {
      for (let col = 0; col < 32; col++) {
        const inSquare = col >= 8 && col < 12 && row >= 4 && row < 6;
        expect(grid.weights[row * 32 + col], `cell ${col},${row}`).to.equal(inSquare ? 1 : 0);
      }
    }
  });

  it('an all-zero grid (a blank image, or zero weights) is a clear error', () => {
    const blank = gridFromPixels(whiteImage(8, 8));
    const error = thrown(() => new Dataset(cpuOnly, { grid: blank }));
    expect(error.field).to.equal('grid.weights');
    expect(error.message).to.match(/all zero/);
    expect(error.message).to.match(/threshold|invert/);
    const zeros = { width: 2, height: 2, weights: [0, 0, 0, 0], bounds: [0, 0, 1, 1] } as GridSpec;
    expect(thrown(() => new Dataset(cpuOnly, { grid: zeros })).message).to.match(/all zero/);
  });
});

describe('grid densities: sampling and exact log p', () => {
  const spec: GridSpec = {
    width: 4,
    height: 3,
    weights: [0, 1, 2, 3, 0, 0, 5, 1, 0.5, 0, 0, 7],
    bounds: [-2, -1, 2, 2],
  };

  it('alias tables reproduce the cell masses exactly', () => {
    // A 64×64 grid with a third of the cells empty and weights spanning six decades.
    const mass = new Float64Array(64 * 64);
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < mass.length; i++) mass[i] = next() < 0.33 ? 0 : 10 ** (6 * next());
    const total = mass.reduce((a, b) => a + b, 0);
    mass.forEach((m, i) => (mass[i] = m / total));
    const [keep, alias] = buildAliasTable(mass);
    const n = mass.length;
    const implied = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      implied[j]! += keep[j]! / n;
      implied[alias[j]!]! += (1 - keep[j]!) / n;
    }
    let worst = 0;
    for (let j = 0; j < n; j++) {
      if (mass[j] === 0) expect(implied[j], `empty cell ${j}`).to.equal(0);
      worst = Math.max(worst, Math.abs(implied[j]! - mass[j]!));
    }
    expect(worst).to.be.lessThan(1e-7); // f32 keep probabilities
  });

  it('GPU samples hit cells in proportion to their weights and never an empty cell (χ²)', async () => {
    const gpu = await testGpu();
    const dataset = new Dataset(gpu, { grid: spec });
    const n = 50_000;
    const points = await dataset.sample(n, { seed: 17 });
    const density = GridDensity.from(spec);
    const counts = new Float64Array(12);
    for (let i = 0; i < points.length; i += 2) {
      const cell = density.cellOf(points[i]!, points[i + 1]!);
      expect(cell).to.be.at.least(0);
      counts[cell]! += 1;
    }
    const { statistic, df, emptyViolations } = chiSquare(counts, density.mass);
    expect(emptyViolations).to.equal(0);
    expect(statistic).to.be.lessThan(chiSquareCritical(df));
    dataset.dispose();
  });

  it('integrates to 1 with an exact entropy that the GPU Monte-Carlo estimate matches', async () => {
    const gpu = await testGpu();
    const dataset = new Dataset(gpu, { grid: spec });
    let integral = 0;
    let entropy = 0;
    const h = 0.01; // 4×3 bounds, cells of 1: midpoints never fall on cell edges
    for (let x = -2 + h / 2; x < 2; x += h) {
      for (let y = -1 + h / 2; y < 2; y += h) {
        const lp = dataset.logProbCpu([x, y])[0]!;
        if (lp === -Infinity) continue;
        integral += Math.exp(lp) * h * h;
        entropy -= Math.exp(lp) * lp * h * h;
      }
    }
    expect(Math.abs(integral - 1)).to.be.at.most(1e-3);
    const exact = dataset.source.exactEntropy()!;
    expect(Math.abs(entropy - exact)).to.be.at.most(1e-3);
    const estimate = await dataset.entropy({ samples: 50_000, seed: 2 });
    expect(Math.abs(estimate.value - exact)).to.be.at.most(5 * estimate.stderr + 1e-5);
    dataset.dispose();
  });

  it('builds from a formula evaluated at cell centres, with exact log p there', () => {
    const bump = (x: number, y: number) => Math.exp(-(x * x + y * y) / 2);
    const grid = gridFromFormula(bump, { width: 64, height: 32, bounds: [-4, -2, 4, 2] });
    const dataset = new Dataset(cpuOnly, { grid });
    let total = 0;
    for (const w of Array.from(grid.weights)) total += w;
    const cellArea = (8 / 64) * (4 / 32);
    // Cell (10, 5): centre x = −4 + 10.5·0.125, y = 2 − 5.5·0.125.
    const [x, y] = [-4 + 10.5 * 0.125, 2 - 5.5 * 0.125];
    const want = Math.log(Math.fround(bump(x, y)) / total / cellArea);
    expect(dataset.logProbCpu([x, y])[0]).to.be.closeTo(want, 1e-12);
    const error = thrown(() =>
      gridFromFormula(() => -1, { width: 2, height: 2, bounds: [0, 0, 1, 1] }),
    );
    expect(error.message).to.match(/column 0, row 0/);
  });

  it('validates payloads, naming the field and the allowed range', () => {
    const check = (grid: unknown, field: string, pattern: RegExp) => {
      const error = thrown(() => new Dataset(cpuOnly, { grid } as never));
      expect(error.field).to.equal(field);
      expect(error.message).to.match(pattern);
    };
    check({ ...spec, width: 0 }, 'grid.width', /integer in \[1, 256\]/);
    check({ ...spec, height: 257 }, 'grid.height', /integer in \[1, 256\]/);
    check({ ...spec, weights: [1, 2] }, 'grid.weights', /4·3 = 12 numbers, got 2/);
    check(
      { ...spec, weights: [0, 1, 2, 3, 0, 0, -5, 1, 0.5, 0, 0, 7] },
      'grid.weights',
      /weights\[6\] \(column 2, row 1\) must be a finite number ≥ 0, got -5/,
    );
    check({ ...spec, bounds: [0, 0, 0, 1] }, 'grid.bounds', /xMin < xMax/);
    check({ ...spec, bounds: [0, 0, 1] }, 'grid.bounds', /\[xMin, yMin, xMax, yMax\]/);
  });
});

/**
 * Grid densities: an N×M non-negative weight grid over a rectangle is a piecewise-constant
 * density, uniform inside each cell: p(x) = w_c / (Σw · area_c) for x in cell c. Sampled with an
 * alias table (Walker/Vose: one uniform picks a cell, a second keeps it or takes its alias),
 * exact log p in float64 here and in f32 on the GPU (a table of per-cell log-densities).
 *
 * Layout: weights[row · width + col], row 0 at the TOP (y = yMax), as in images and canvases.
 * Cell (col, row) covers x ∈ [xMin + col·w, xMin + (col+1)·w), y ∈ (yMax − (row+1)·h, yMax − row·h].
 */
import type { Bounds } from './builtins';
import type { PointDraws } from './draws';
import { DatasetSpecError } from './errors';

/** Largest grid side (images are downscaled to fit). */
export const MAX_GRID_SIDE = 256;

/** A grid payload: serialisable, the `grid` field of a dataset spec. */
export interface GridSpec {
  width: number;
  height: number;
  /** width·height non-negative weights, row-major, row 0 at the top. */
  weights: ArrayLike<number>;
  /** [xMin, yMin, xMax, yMax]. */
  bounds: Bounds;
}

export interface Moments {
  mean: [number, number];
  variance: [number, number];
}

function checkBounds(bounds: unknown, field: string): Bounds {
  const ok =
    Array.isArray(bounds) &&
    bounds.length === 4 &&
    bounds.every((v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 1e6);
  const [x0, y0, x1, y1] = (ok ? bounds : [0, 0, 0, 0]) as unknown as Bounds;
  if (!ok || !(x1 > x0) || !(y1 > y0)) {
    throw new DatasetSpecError(
      field,
      `${field} must be [xMin, yMin, xMax, yMax] with finite numbers in [-1e6, 1e6], ` +
        `xMin < xMax and yMin < yMax, got ${JSON.stringify(bounds)}.`,
    );
  }
  return [x0, y0, x1, y1];
}

export { checkBounds };

export class GridDensity {
  readonly width: number;
  readonly height: number;
  readonly bounds: Bounds;
  readonly cellWidth: number;
  readonly cellHeight: number;
  /** Probability mass of each cell (sums to 1). */
  readonly mass: Float64Array;
  /** log p inside each cell: log(mass / cell area); −∞ for empty cells. */
  readonly cellLogDensity: Float64Array;
  /** Alias table: keep cell j when u < keep[j] (f32, as the GPU compares), else alias[j]. */
  readonly keep: Float32Array;
  readonly alias: Uint32Array;

  private constructor(width: number, height: number, bounds: Bounds, mass: Float64Array) {
    this.width = width;
    this.height = height;
    this.bounds = bounds;
    this.cellWidth = (bounds[2] - bounds[0]) / width;
    this.cellHeight = (bounds[3] - bounds[1]) / height;
    this.mass = mass;
    const logArea = Math.log(this.cellWidth * this.cellHeight);
    this.cellLogDensity = mass.map((m) => (m > 0 ? Math.log(m) - logArea : -Infinity));
    [this.keep, this.alias] = buildAliasTable(mass);
  }

  /** Validates a grid payload (field names start with `field`) and builds the density. */
  static from(spec: unknown, field = 'grid'): GridDensity {
    if (spec === null || typeof spec !== 'object') {
      throw new DatasetSpecError(
        field,
        `${field} must be { width, height, weights, bounds }, got ${String(spec)}.`,
      );
    }
    const { width, height, weights, bounds } = spec as Partial<GridSpec>;
    for (const [name, value] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (
        typeof value !== 'number' ||
        !Number.isInteger(value) ||
        value < 1 ||
        value > MAX_GRID_SIDE
      ) {
        throw new DatasetSpecError(
          `${field}.${name}`,
          `${field}.${name} must be an integer in [1, ${MAX_GRID_SIDE}], got ${String(value)}.`,
        );
      }
    }
    const w = width!;
    const h = height!;
    const box = checkBounds(bounds, `${field}.bounds`);
    const cells = w * h;
    if (
      weights === null ||
      typeof weights !== 'object' ||
      typeof (weights as ArrayLike<number>).length !== 'number'
    ) {
      throw new DatasetSpecError(
        `${field}.weights`,
        `${field}.weights must be an array of ${cells} numbers (width·height), got ${String(weights)}.`,
      );
    }
    if (weights.length !== cells) {
      throw new DatasetSpecError(
        `${field}.weights`,
        `${field}.weights must hold width·height = ${w}·${h} = ${cells} numbers, got ${weights.length}.`,
      );
    }
    let total = 0;
    for (let i = 0; i < cells; i++) {
      const v = weights[i];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new DatasetSpecError(
          `${field}.weights`,
          `${field}.weights[${i}] (column ${i % w}, row ${Math.floor(i / w)}) must be a ` +
            `finite number ≥ 0, got ${String(v)}.`,
        );
      }
      total += v;
    }
    if (!(total > 0)) {
      throw new DatasetSpecError(
        `${field}.weights`,
        `${field}.weights are all zero (${w}×${h} cells): an empty grid has no density. ` +
          'Draw something, lower the image threshold, or toggle invert.',
      );
    }
    const mass = new Float64Array(cells);
    for (let i = 0; i < cells; i++) mass[i] = weights[i]! / total;
    return new GridDensity(w, h, box, mass);
  }

  /** Column and row of (x, y), or −1 when outside the bounds. */
  cellOf(x: number, y: number): number {
    const col = Math.floor((x - this.bounds[0]) / this.cellWidth);
    const row = Math.floor((this.bounds[3] - y) / this.cellHeight);
    if (!(col >= 0 && row >= 0 && col < this.width && row < this.height)) return -1;
    return row * this.width + col;
  }

  logProb(x: number, y: number): number {
    const cell = this.cellOf(x, y);
    return cell < 0 ? -Infinity : this.cellLogDensity[cell]!;
  }

  /** Twin of sample_grid in shaders/data/sample.wgsl. */
  sample(d: PointDraws): [number, number] {
    let j = d.choice(this.mass.length);
    if (d.u1 >= this.keep[j]!) j = this.alias[j]!;
    const col = j % this.width;
    const row = Math.floor(j / this.width);
    return [
      this.bounds[0] + (col + d.u2) * this.cellWidth,
      this.bounds[3] - (row + d.u3) * this.cellHeight,
    ];
  }

  /** H = −Σ_c m_c log(m_c / area), exact. */
  entropy(): number {
    let h = 0;
    for (let i = 0; i < this.mass.length; i++) {
      const m = this.mass[i]!;
      if (m > 0) h -= m * this.cellLogDensity[i]!;
    }
    return h;
  }

  /** Exact mean and variance (a cell is uniform: variance w²/12 within it). */
  moments(): Moments {
    let mx = 0;
    let my = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < this.mass.length; i++) {
      const m = this.mass[i]!;
      if (m === 0) continue;
      const cx = this.bounds[0] + ((i % this.width) + 0.5) * this.cellWidth;
      const cy = this.bounds[3] - (Math.floor(i / this.width) + 0.5) * this.cellHeight;
      mx += m * cx;
      my += m * cy;
      sxx += m * cx * cx;
      syy += m * cy * cy;
    }
    return {
      mean: [mx, my],
      variance: [
        Math.max(0, sxx - mx * mx) + this.cellWidth ** 2 / 12,
        Math.max(0, syy - my * my) + this.cellHeight ** 2 / 12,
      ],
    };
  }

  /** The sampler's aux words: (keep as f32 bits, alias) per cell. */
  aliasWords(): Uint32Array {
    const words = new Uint32Array(2 * this.mass.length);
    const keepBits = new Uint32Array(this.keep.buffer, this.keep.byteOffset, this.keep.length);
    for (let i = 0; i < this.mass.length; i++) {
      words[2 * i] = keepBits[i]!;
      words[2 * i + 1] = this.alias[i]!;
    }
    return words;
  }
}

/**
 * Vose's alias method on probabilities `mass` (summing to 1). Cells of zero mass get keep = 0
 * and a positive alias, so they are never sampled, whatever the rounding.
 */
export function buildAliasTable(mass: Float64Array): [Float32Array, Uint32Array] {
  const n = mass.length;
  const scaled = new Float64Array(n);
  const keep = new Float64Array(n);
  const alias = new Uint32Array(n);
  const small: number[] = [];
  const large: number[] = [];
  let heaviest = 0;
  for (let i = 0; i < n; i++) {
    scaled[i] = mass[i]! * n;
    if (mass[i]! > mass[heaviest]!) heaviest = i;
    (scaled[i]! < 1 ? small : large).push(i);
  }
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large.pop()!;
    keep[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  // Leftovers have scaled mass 1 up to rounding.
  for (const i of [...small, ...large]) {
    keep[i] = 1;
    alias[i] = i;
  }
  for (let i = 0; i < n; i++) {
    if (mass[i] === 0) {
      keep[i] = 0;
      if (mass[alias[i]!] === 0) alias[i] = heaviest;
    }
  }
  return [Float32Array.from(keep), alias];
}

/** Options of gridFromFormula. */
export interface FormulaGridOptions {
  width: number;
  height: number;
  bounds: Bounds;
}

/**
 * A grid from a formula f(x, y) ≥ 0 evaluated at the cell centres (e.g. an unnormalised density).
 * Throws naming the cell where f is negative or not finite.
 */
export function gridFromFormula(
  formula: (x: number, y: number) => number,
  options: FormulaGridOptions,
): GridSpec {
  const { width, height } = options;
  const bounds = checkBounds(options.bounds, 'bounds');
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > MAX_GRID_SIDE) {
      throw new DatasetSpecError(
        name,
        `${name} must be an integer in [1, ${MAX_GRID_SIDE}], got ${value}.`,
      );
    }
  }
  const cw = (bounds[2] - bounds[0]) / width;
  const ch = (bounds[3] - bounds[1]) / height;
  const weights = new Float32Array(width * height);
  for (let row = 0; row < height; row++) {
    const y = bounds[3] - (row + 0.5) * ch;
    for (let col = 0; col < width; col++) {
      const x = bounds[0] + (col + 0.5) * cw;
      const v = formula(x, y);
      if (!Number.isFinite(v) || v < 0) {
        throw new DatasetSpecError(
          'formula',
          `The formula must give a finite value ≥ 0 at every cell centre; at (${x}, ${y}) ` +
            `(column ${col}, row ${row}) it gave ${v}.`,
        );
      }
      weights[row * width + col] = v;
    }
  }
  return { width, height, weights, bounds };
}

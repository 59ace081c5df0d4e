/**
 * A density source: what the GPU kernels and the CPU twins need of one dataset, whichever kind
 * (built-in, grid, point set). Pure TypeScript (no GPU); dataset.ts adds the GPU half.
 */
import {
  BUILTINS,
  DATASET_IDS,
  EXACT_DENSITY_NAMES,
  type Bounds,
  type BuiltinDataset,
} from './builtins';
import { PointDraws, DATA_STREAM } from './draws';
import { DensityUnavailableError } from './errors';
import { GridDensity, type Moments } from './grid';
import { AffineNormalizer } from './normalize';
import { PointSet } from './point-set';
import { resolveSpec, type ResolvedSpec } from './spec';
import { seedKey } from '../rng/philox';

export interface DensitySource {
  /** A built-in name, 'grid' or 'points'. */
  readonly name: string;
  /** Dataset id of the kernels. */
  readonly id: number;
  /** Packed parameters for the kernels (≤ 16 numbers). */
  readonly q: readonly number[];
  readonly view: Bounds;
  readonly hasLogProb: boolean;
  /** Sampler aux words: grid alias table or point coordinates (f32 bits); empty for built-ins. */
  readonly auxCount: number;
  readonly gridWidth: number;
  readonly gridHeight: number;
  sampleAux(): Uint32Array;
  /** Log-prob aux: per-cell log-density of a grid; empty otherwise. */
  logProbAux(): Float32Array;
  /** The float64 twin of the GPU sampler for one point. */
  sampleOne(d: PointDraws): [number, number];
  /** Exact log p(x, y), float64. Throws DensityUnavailableError where not closed-form. */
  logProb(x: number, y: number): number;
  /** Closed-form entropy in nats, where known. */
  exactEntropy(): number | undefined;
  /** Mean and variance per axis (exact where cheap, else a fixed 2^14-point twin estimate). */
  moments(): Moments;
}

/** Seed of the fixed sample that estimates moments of built-ins without closed forms. */
const MOMENT_SEED = 0x6d6f6d;
const MOMENT_SAMPLES = 1 << 14;

function estimateMoments(sampleOne: (d: PointDraws) => [number, number]): Moments {
  const draws = new PointDraws(seedKey(MOMENT_SEED), DATA_STREAM);
  let mx = 0;
  let my = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < MOMENT_SAMPLES; i++) {
    const [x, y] = sampleOne(draws.at(i, 0));
    mx += x;
    my += y;
    sxx += x * x;
    syy += y * y;
  }
  const n = MOMENT_SAMPLES;
  mx /= n;
  my /= n;
  return {
    mean: [mx, my],
    variance: [(sxx / n - mx * mx) * (n / (n - 1)), (syy / n - my * my) * (n / (n - 1))],
  };
}

class BuiltinSource implements DensitySource {
  readonly name: string;
  readonly id: number;
  readonly q: readonly number[];
  readonly view: Bounds;
  readonly hasLogProb: boolean;
  readonly auxCount = 0;
  readonly gridWidth = 0;
  readonly gridHeight = 0;
  private cachedMoments: Moments | undefined;

  constructor(
    private readonly dataset: BuiltinDataset,
    params: ResolvedSpec & { kind: 'builtin' },
  ) {
    this.name = dataset.name;
    this.id = dataset.id;
    this.q = dataset.pack(params.params);
    this.view = dataset.view(this.q);
    this.hasLogProb = dataset.logProb !== undefined;
  }

  sampleAux(): Uint32Array {
    return new Uint32Array(0);
  }

  logProbAux(): Float32Array {
    return new Float32Array(0);
  }

  sampleOne(d: PointDraws): [number, number] {
    return this.dataset.sample(d, this.q);
  }

  logProb(x: number, y: number): number {
    if (!this.dataset.logProb) throw new DensityUnavailableError(this.name, EXACT_DENSITY_NAMES);
    return this.dataset.logProb(x, y, this.q);
  }

  exactEntropy(): number | undefined {
    return this.dataset.entropy?.(this.q);
  }

  moments(): Moments {
    if (this.name === 'gaussian') {
      // q: μ at 0, 1; √Σxx, √Σyy at 9, 10.
      return { mean: [this.q[0]!, this.q[1]!], variance: [this.q[9]! ** 2, this.q[10]! ** 2] };
    }
    this.cachedMoments ??= estimateMoments((d) => this.sampleOne(d));
    return this.cachedMoments;
  }
}

class GridSource implements DensitySource {
  readonly name = 'grid';
  readonly id = DATASET_IDS.grid;
  readonly q: readonly number[];
  readonly view: Bounds;
  readonly hasLogProb = true;
  readonly auxCount: number;
  readonly gridWidth: number;
  readonly gridHeight: number;

  constructor(readonly grid: GridDensity) {
    this.q = [grid.bounds[0], grid.bounds[3], grid.cellWidth, grid.cellHeight];
    this.view = grid.bounds;
    this.auxCount = grid.mass.length;
    this.gridWidth = grid.width;
    this.gridHeight = grid.height;
  }

  sampleAux(): Uint32Array {
    return this.grid.aliasWords();
  }

  logProbAux(): Float32Array {
    return Float32Array.from(this.grid.cellLogDensity);
  }

  sampleOne(d: PointDraws): [number, number] {
    return this.grid.sample(d);
  }

  logProb(x: number, y: number): number {
    return this.grid.logProb(x, y);
  }

  exactEntropy(): number {
    return this.grid.entropy();
  }

  moments(): Moments {
    return this.grid.moments();
  }
}

class PointSource implements DensitySource {
  readonly name = 'points';
  readonly id = DATASET_IDS.points;
  readonly q: readonly number[];
  readonly view: Bounds;
  readonly hasLogProb = false;
  readonly auxCount: number;
  readonly gridWidth = 0;
  readonly gridHeight = 0;

  constructor(readonly set: PointSet) {
    this.q = [set.jitter];
    this.view = set.view();
    this.auxCount = set.count;
  }

  sampleAux(): Uint32Array {
    const p = this.set.points;
    return new Uint32Array(p.buffer, p.byteOffset, p.length);
  }

  logProbAux(): Float32Array {
    return new Float32Array(0);
  }

  sampleOne(d: PointDraws): [number, number] {
    return this.set.sample(d);
  }

  logProb(): number {
    throw new DensityUnavailableError('points', EXACT_DENSITY_NAMES);
  }

  exactEntropy(): undefined {
    return undefined;
  }

  moments(): Moments {
    return this.set.moments();
  }
}

/** A validated spec, its density source and its normaliser. */
export interface ResolvedDataset {
  spec: ResolvedSpec;
  source: DensitySource;
  normalizer: AffineNormalizer;
}

/** Validates a spec (throwing DatasetSpecError that names the field) and builds its source. */
export function resolveDataset(spec: unknown): ResolvedDataset {
  const resolved = resolveSpec(spec);
  let source: DensitySource;
  switch (resolved.kind) {
    case 'builtin':
      source = new BuiltinSource(BUILTINS[resolved.name], resolved);
      break;
    case 'grid':
      source = new GridSource(GridDensity.from(resolved.grid, 'grid'));
      break;
    case 'points':
      source = new PointSource(PointSet.from(resolved.points, resolved.jitter, 'points'));
      break;
  }
  const normalizer = AffineNormalizer.fromMoments(source.moments(), resolved.normalize);
  return { spec: resolved, source, normalizer };
}

/**
 * The lab without WebGPU: datasets from the CPU samplers (src/data, the GPU samplers' twins) and
 * models built from the float64 twins (flows: the layers' twins; diffusion and flow matching:
 * the MLP twin running the GPU's sampler plans). It shows what a notebook's weights draw —
 * samples, log p, paths, fields — with the same seeds giving the same points as the GPU, and it
 * cannot train: training needs WebGPU. The worker serves it when openLab() finds no WebGPU.
 */
import { BUILTIN_NAMES, type BuiltinName } from '../data/builtins';
import { DATA_STREAM, PointDraws } from '../data/draws';
import { isImageDatasetSpec } from '../data/images/image-dataset';
import type { AffineNormalizer } from '../data/normalize';
import { resolveDataset, type DensitySource } from '../data/source';
import type { DatasetSpec } from '../data/spec';
import { CpuDiffusionModel } from '../models/diffusion/cpu-model';
import { DiffusionSpecError } from '../models/diffusion/spec';
import { CpuFlowModel } from '../models/flows/cpu-flow';
import { ModelSpecError } from '../models/flows/flow-spec';
import { seedKey } from '../rng/philox';
import type { ModelSpec } from './models';

export { CpuDiffusionModel, CpuFlowModel };

/** A model of the CPU lab: a flow or a diffusion / flow-matching model. */
export type CpuLabModel = CpuFlowModel | CpuDiffusionModel;

/** Most points a CPU dataset draws or evaluates in one call. */
export const MAX_CPU_DATA_POINTS = 1 << 20;

/** A 2-D dataset on the CPU: the same points for a seed as the GPU's Dataset.sample. */
export class CpuDataset {
  readonly source: DensitySource;
  readonly normalizer: AffineNormalizer;
  readonly seed: number;

  constructor(readonly spec: DatasetSpec) {
    if (isImageDatasetSpec(spec)) {
      throw new TypeError(
        'Image datasets (MNIST, Fashion-MNIST, your images) need WebGPU; without it Flowfield ' +
          'shows the 2-D notebooks only. Open this notebook in a browser with WebGPU.',
      );
    }
    const resolved = resolveDataset(spec);
    this.source = resolved.source;
    this.normalizer = resolved.normalizer;
    this.seed = resolved.spec.seed;
  }

  get name(): string {
    return this.source.name;
  }

  get view() {
    return this.source.view;
  }

  get hasLogProb(): boolean {
    return this.source.hasLogProb;
  }

  /** n points (data coordinates) of `seed` (default: the dataset's). */
  sample(n: number, options: { seed?: number } = {}): Float32Array {
    if (!Number.isInteger(n) || n < 1 || n > MAX_CPU_DATA_POINTS) {
      throw new RangeError(
        `The sample size must be an integer in [1, ${MAX_CPU_DATA_POINTS}], got ${n}.`,
      );
    }
    const draws = new PointDraws(seedKey(options.seed ?? this.seed), DATA_STREAM);
    const out = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const [x, y] = this.source.sampleOne(draws.at(i, 0));
      out[2 * i] = x;
      out[2 * i + 1] = y;
    }
    return out;
  }

  /** The exact log p (nats) at each point; throws DensityUnavailableError where none is known. */
  logProb(points: ArrayLike<number>): Float32Array {
    const n = points.length / 2;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.source.logProb(points[2 * i]!, points[2 * i + 1]!);
    return out;
  }
}

export class CpuLab {
  datasetNames(): BuiltinName[] {
    return [...BUILTIN_NAMES];
  }

  /** A 2-D dataset (DatasetSpecError names a bad field; image datasets need WebGPU). */
  dataset(spec: DatasetSpec): CpuDataset {
    return new CpuDataset(spec);
  }

  /** A model from the same specs as Lab.createModel (ModelSpecError names a bad field). */
  createModel(spec: ModelSpec): CpuLabModel {
    switch (spec.family) {
      case 'flow':
        return new CpuFlowModel(spec);
      case 'diffusion':
        try {
          return new CpuDiffusionModel(spec);
        } catch (error) {
          if (error instanceof DiffusionSpecError) {
            throw new ModelSpecError(error.field, error.message);
          }
          throw error;
        }
      default:
        throw new ModelSpecError(
          'family',
          `model.family must be 'flow' or 'diffusion', got "${String((spec as { family: unknown }).family)}".`,
        );
    }
  }
}

/** The lab without WebGPU (see the file comment); synchronous, nothing to acquire. */
export function openCpuLab(): CpuLab {
  return new CpuLab();
}

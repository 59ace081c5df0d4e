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
import type { SamplerName } from '../models/diffusion/model';
import type { DiffusionModelSpec } from '../models/diffusion/spec';
import { CpuFlowModel } from '../models/flows/cpu-flow';
import type { FlowModelSpec } from '../models/flows/flow-spec';
import { seedKey } from '../rng/philox';
import {
  frameStride,
  ODE_WARP_STEPS,
  type ModelCapabilities,
  type ModelSampleOptions,
  type PathOptions,
  type SamplingPlan,
} from './model-views';
import type { ModelSpec } from './models';
import { asModelSpecError, unknownFamilyError } from './spec-errors';

export { CpuDiffusionModel, CpuFlowModel };

/** Sample paths on the CPU (see SamplePaths in model-views.ts). */
export interface CpuSamplePaths {
  frames: Float32Array[];
  times: number[];
  nfe: number | null;
}

/**
 * The views every CPU model offers, as LabModel's (model-views.ts) but synchronous, so the
 * worker's CPU service draws them without asking which kind of model it holds.
 */
export interface CpuModelViews {
  readonly capabilities: ModelCapabilities;
  planSampling(options: ModelSampleOptions): SamplingPlan;
  paths(count: number, options: PathOptions): CpuSamplePaths;
  warpStages(points: ArrayLike<number>, direction: 'forward' | 'inverse'): Float32Array[];
  /**
   * log p on a heatmap grid of at most `resolution` cells a side: the resolution drawn, and a
   * function of the grid's centres. A diffusion density needs the ODE with its exact divergence
   * at every cell, so on the CPU it is drawn coarser, with fewer RK4 steps (the GPU: 50).
   */
  heatmap(resolution: number): { resolution: number; logProb(points: Float32Array): Float32Array };
  field(points: ArrayLike<number>, t: number): { velocity: Float32Array };
  /** Positions after every layer (see capabilities.trace; others throw TypeError). */
  trace(points: ArrayLike<number>, direction?: 'forward' | 'inverse'): Float32Array[];
  /** Samples, with a diffusion model's sampler options (a flow uses the seed only). */
  sampleWith(n: number, options: ModelSampleOptions): Float32Array;
}

/** A diffusion model's density on the CPU: a coarser grid and fewer RK4 steps than the GPU's. */
export const CPU_DIFFUSION_DENSITY = { maxResolution: 48, steps: 10 } as const;

/** A CPU flow with the shared views. */
export class CpuLabFlow extends CpuFlowModel implements CpuModelViews {
  readonly capabilities: ModelCapabilities = { trace: true, field: null, inverseWarp: true };

  planSampling(): SamplingPlan {
    return { nfe: null, steps: this.spec.layers };
  }

  /** The samples of the seed traced forward and reversed: the generating path. */
  paths(count: number, options: PathOptions): CpuSamplePaths {
    const frames = this.trace(this.sample(count, { seed: options.seed ?? 0 }), 'forward').reverse();
    const times = frames.map((_, i) => 1 - i / Math.max(1, frames.length - 1));
    return { frames, times, nfe: null };
  }

  warpStages(points: ArrayLike<number>, direction: 'forward' | 'inverse'): Float32Array[] {
    return this.trace(points, direction);
  }

  heatmap(resolution: number) {
    return { resolution, logProb: (points: Float32Array) => this.logProb(points) };
  }

  field(): never {
    throw new TypeError(
      'A normalizing flow has no velocity field; field() works for diffusion and flow-matching models.',
    );
  }

  sampleWith(n: number, options: ModelSampleOptions): Float32Array {
    return this.sample(n, { seed: options.seed ?? 0 });
  }
}

function samplerChoice(options: ModelSampleOptions) {
  return {
    ...(options.sampler !== undefined ? { sampler: options.sampler as SamplerName } : {}),
    ...(options.steps !== undefined ? { steps: options.steps } : {}),
    ...(options.eta !== undefined ? { eta: options.eta } : {}),
  };
}

/** A CPU diffusion / flow-matching model with the shared views. */
export class CpuLabDiffusion extends CpuDiffusionModel implements CpuModelViews {
  get capabilities(): ModelCapabilities {
    const field = this.spec.kind === 'flow-matching' ? 'velocity' : 'pf-drift';
    return { trace: false, field, inverseWarp: false };
  }

  planSampling(options: ModelSampleOptions): SamplingPlan {
    const plan = this.samplePlan(samplerChoice(options));
    return { nfe: plan.nfe, steps: plan.stages.filter((stage) => stage.last).length };
  }

  /** The same sampler, seed and noise as sampleWith(): the paths end at its samples. */
  paths(count: number, options: PathOptions): CpuSamplePaths {
    const { nfe, steps } = this.planSampling(options);
    const every = frameStride(steps, options.maxFrames);
    const { frames, times } = this.trajectories(count, {
      ...samplerChoice(options),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      every,
    });
    return { frames, times, nfe };
  }

  warpStages(points: ArrayLike<number>, direction: 'forward' | 'inverse'): Float32Array[] {
    if (direction !== 'forward') {
      throw new RangeError(
        `The warp view of a ${this.spec.kind} model carries a data grid along its ODE towards ` +
          "the noise: use direction 'forward' (it cannot pull a latent grid back).",
      );
    }
    return this.trajectories(points, { steps: ODE_WARP_STEPS, every: 1 }).frames;
  }

  trace(): never {
    throw new TypeError(
      `A ${this.spec.kind} model cannot trace points layer by layer; trace() works for flows.`,
    );
  }

  heatmap(resolution: number) {
    return {
      resolution: Math.min(resolution, CPU_DIFFUSION_DENSITY.maxResolution),
      logProb: (points: Float32Array) =>
        this.logProb(points, { steps: CPU_DIFFUSION_DENSITY.steps }),
    };
  }

  sampleWith(n: number, options: ModelSampleOptions): Float32Array {
    return this.sample(n, {
      ...samplerChoice(options),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    });
  }
}

/** A model of the CPU lab: a flow or a diffusion / flow-matching model, with the shared views. */
export type CpuLabModel = CpuLabFlow | CpuLabDiffusion;

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
        return new CpuLabFlow(spec as FlowModelSpec);
      case 'diffusion':
        try {
          return new CpuLabDiffusion(spec as DiffusionModelSpec);
        } catch (error) {
          throw asModelSpecError(error);
        }
      default:
        throw unknownFamilyError(spec);
    }
  }
}

/** The lab without WebGPU (see the file comment); synchronous, nothing to acquire. */
export function openCpuLab(): CpuLab {
  return new CpuLab();
}

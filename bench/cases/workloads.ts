/**
 * The benchmark workloads: one object per configuration, shared by Flowfield and every peer so
 * that both sides run exactly the same thing. The numbers come from the issues: #3 item 8 (MLP),
 * #5 (RealNVP) and #6 (DDPM MLP). bench/README.md spells each workload out in words.
 */
import type { Config, Workload } from '../harness/types';

/** Adam's settings, as every training workload carries them. */
export interface AdamSettings {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** Adam as every training workload uses it (epsilon given explicitly: TF.js defaults to 1e-7). */
export const ADAM = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/**
 * MLP regression 2 → H → H → H → 2, relu hidden layers, linear output, MSE, Adam.
 * Inputs x ~ U(-1, 1)² drawn fresh every step; targets (`target: 'sincos-saddle'`):
 *   y0 = sin(π x0) · cos(π x1),   y1 = x0² − x1².
 * Init: hidden layers He-normal (std √(2/fan_in)), output layer Glorot-normal, biases zero.
 */
export interface MlpConfig extends Config {
  readonly inputs: 2;
  readonly hidden: number;
  readonly hiddenLayers: 3;
  readonly outputs: 2;
  readonly activation: 'relu';
  readonly batch: number;
  readonly target: 'sincos-saddle';
  readonly optimizer: 'adam';
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/**
 * RealNVP on 2-D data: 8 affine couplings, alternating partitions (coupling k conditions on
 * x[k mod 2] and transforms the other coordinate: y = x·exp(s) + t), conditioner MLP
 * 1 → 64 → 64 → 2 with tanh hidden layers and a zero-initialised linear output giving (s, t),
 * standard-normal base, loss = mean negative log-likelihood, Adam.
 * Training data: `8gaussians` (FFJORD: x = (4·c_k + 0.5·n)/√2, c_k the 8 unit compass points,
 * n ~ N(0, I)), drawn fresh every step. Sampling: z ~ N(0, I) through the inverse of all 8
 * couplings; one step = one call that draws `batch` samples.
 */
export interface RealNvpConfig extends Config {
  readonly dim: 2;
  readonly couplings: 8;
  readonly conditionerHidden: readonly number[];
  readonly conditionerActivation: 'tanh';
  readonly batch: number;
  readonly data: '8gaussians';
  readonly optimizer: 'adam';
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/**
 * DDPM ε-prediction MLP: input x_t (2) concatenated with a 32-dim sinusoidal embedding of the
 * integer timestep t (16 sines and 16 cosines of t·exp(−ln(10000)·i/16), i = 0..15) →
 * 128 → 128 → 128 (relu) → 2 (linear). T = 1000, linear β from 1e-4 to 0.02,
 * x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε, loss = mean of (ε̂ − ε)² over the batch and both coordinates, Adam.
 * Every step draws x0 from `8gaussians`, t ~ U{0..T−1} and ε ~ N(0, I) afresh.
 */
export interface DdpmConfig extends Config {
  readonly dim: 2;
  readonly timeEmbedding: 32;
  readonly hidden: readonly number[];
  readonly activation: 'relu';
  readonly timesteps: 1000;
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly batch: number;
  readonly data: '8gaussians';
  readonly optimizer: 'adam';
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

const BATCHES = [512, 4096] as const;

export const MLP_WORKLOADS: readonly Workload<MlpConfig>[] = [64, 128, 256].flatMap((hidden) =>
  BATCHES.map((batch) => ({
    family: 'mlp' as const,
    group: `mlp/h${hidden}/b${batch}/train`,
    kind: 'train' as const,
    itemsPerStep: batch,
    quick: hidden === 64 && batch === 512,
    config: {
      inputs: 2,
      hidden,
      hiddenLayers: 3,
      outputs: 2,
      activation: 'relu',
      batch,
      target: 'sincos-saddle',
      optimizer: 'adam',
      ...ADAM,
    },
  })),
);

function realNvpConfig(batch: number): RealNvpConfig {
  return {
    dim: 2,
    couplings: 8,
    conditionerHidden: [64, 64],
    conditionerActivation: 'tanh',
    batch,
    data: '8gaussians',
    optimizer: 'adam',
    ...ADAM,
  };
}

export const REALNVP_WORKLOADS: readonly Workload<RealNvpConfig>[] = (
  ['train', 'sample'] as const
).flatMap((kind) =>
  BATCHES.map((batch) => ({
    family: 'realnvp' as const,
    group: `realnvp/b${batch}/${kind}`,
    kind,
    itemsPerStep: batch,
    quick: batch === 512,
    config: realNvpConfig(batch),
  })),
);

/**
 * The neural spline flow of #5 (Flowfield only: TF.js has no peer): 8 rational-quadratic spline
 * couplings with 8 bins on [−3, 3] and the same conditioner and data as the RealNVP workload.
 */
export const SPLINE_WORKLOADS: readonly Workload<RealNvpConfig>[] = (
  ['train', 'sample'] as const
).flatMap((kind) =>
  BATCHES.map((batch) => ({
    family: 'spline' as const,
    group: `spline/b${batch}/${kind}`,
    kind,
    itemsPerStep: batch,
    quick: batch === 512,
    config: realNvpConfig(batch),
  })),
);

export const DDPM_WORKLOADS: readonly Workload<DdpmConfig>[] = BATCHES.map((batch) => ({
  family: 'ddpm' as const,
  group: `ddpm/b${batch}/train`,
  kind: 'train' as const,
  itemsPerStep: batch,
  quick: batch === 512,
  config: {
    dim: 2,
    timeEmbedding: 32,
    hidden: [128, 128, 128],
    activation: 'relu',
    timesteps: 1000,
    betaStart: 1e-4,
    betaEnd: 0.02,
    batch,
    data: '8gaussians',
    optimizer: 'adam',
    ...ADAM,
  },
}));

/**
 * Diffusion sampling (#6): one step = one call drawing `count` samples into a GPU buffer with the
 * given sampler and network evaluations (NFE), nothing read back. The denoiser is the model's
 * default (2 + 32 → 128 × 3 → 2, silu) at its seeded initial weights: untrained, because the
 * cost of sampling does not depend on the weights. TF.js peers run the very same plan (cases/tfjs/diffusion-sample.ts).
 */
export interface DiffusionSampleConfig extends Config {
  readonly kind: 'ddpm' | 'flow-matching';
  readonly sampler: 'ddpm' | 'ddim' | 'rk4' | 'euler';
  readonly steps: number;
  /** Network evaluations per sample. */
  readonly nfe: number;
  readonly count: number;
  readonly timesteps: number;
  readonly hidden: readonly number[];
  readonly timeEmbedding: 32;
  readonly activation: 'silu';
}

const SAMPLE_COUNT = 16_384;

function diffusionSample(
  name: string,
  kind: DiffusionSampleConfig['kind'],
  sampler: DiffusionSampleConfig['sampler'],
  steps: number,
  nfe: number,
  explicit = false,
): Workload<DiffusionSampleConfig> {
  return {
    family: 'diffusion',
    group: `diffusion/${name}/n${SAMPLE_COUNT}/sample`,
    kind: 'sample',
    itemsPerStep: SAMPLE_COUNT,
    quick: false,
    oneStepPerRun: true,
    explicit,
    config: {
      kind,
      sampler,
      steps,
      nfe,
      count: SAMPLE_COUNT,
      timesteps: 1000,
      hidden: [128, 128, 128],
      timeEmbedding: 32,
      activation: 'silu',
    },
  };
}

/**
 * DDPM-1000 costs 20× DDIM-50 (minutes per call on a CPU adapter): only when filtered for.
 * `fm-euler-2` is the per-NFE pairing with TF.js-WebGPU, which runs these networks so slowly on a
 * CPU adapter (~36 s per NFE over 16 384 points) that a whole DDIM-50 call would take half an
 * hour: two network evaluations are the same network at the same batch as every other group, so
 * its ratio is each sampler's ratio per NFE. Also only when filtered for.
 */
export const DIFFUSION_SAMPLE_WORKLOADS: readonly Workload<DiffusionSampleConfig>[] = [
  diffusionSample('ddpm-1000', 'ddpm', 'ddpm', 1000, 1000, true),
  diffusionSample('ddim-50', 'ddpm', 'ddim', 50, 50),
  diffusionSample('fm-rk4-20', 'flow-matching', 'rk4', 20, 80),
  diffusionSample('fm-euler-2', 'flow-matching', 'euler', 2, 2, true),
];

/**
 * A small conv net (#15): images 1 × 28 × 28 (NCHW; NHWC in TF.js, the same numbers), x ~ U(0, 1)
 * per pixel drawn fresh every step, target = the 3 × 3 box blur of x with zero padding
 * (`box-blur-3x3`). Network: conv 3×3 (1 → 32, silu) → conv 3×3 (32 → 32, silu) → conv 1×1
 * (32 → 1, linear), zero padding, stride 1; loss = mean squared error over all pixels; Adam.
 * Init: 3×3 layers He (std √(2/fan_in)), the head Glorot, biases zero (TF.js: normal; Flowfield:
 * its layer initialiser, uniform with the same scale rule).
 */
export interface ConvConfig extends Config {
  readonly channels: number;
  readonly convLayers: 2;
  readonly kernel: 3;
  readonly height: number;
  readonly width: number;
  readonly activation: 'silu';
  readonly head: '1x1';
  readonly batch: number;
  readonly target: 'box-blur-3x3';
  readonly optimizer: 'adam';
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export const CONV_WORKLOADS: readonly Workload<ConvConfig>[] = [
  {
    family: 'conv',
    group: 'conv/c32/28x28/b64/train',
    kind: 'train',
    itemsPerStep: 64,
    quick: false,
    config: {
      channels: 32,
      convLayers: 2,
      kernel: 3,
      height: 28,
      width: 28,
      activation: 'silu',
      head: '1x1',
      batch: 64,
      target: 'box-blur-3x3',
      optimizer: 'adam',
      ...ADAM,
    },
  },
];

/**
 * A small U-Net ε-denoiser (#15, the network #16 trains): images 1 × 28 × 28 (NCHW; NHWC in
 * TF.js), base width c = 32, two resolutions. Time: 16 sines and 16 cosines of
 * t·exp(−ln(10⁴)·i/16) → dense 32 → 128 (silu) → one dense 128 → (block width) per residual
 * block. Network: conv 3×3 (1 → c) → ResBlock(c) at 28 × 28 → 2 × 2 average pool → ResBlock(c →
 * 2c, 1 × 1 skip) at 14 × 14 → conv 1×1 (2c → c) → nearest 2× upsampling → + the 28 × 28 skip →
 * ResBlock(c) → GroupNorm → SiLU → conv 3×3 (c → 1). ResBlock = GroupNorm → SiLU → conv 3×3 →
 * + e[n, c] → GroupNorm → SiLU → conv 3×3, plus the skip; GroupNorm with 8 groups, eps 1e-5.
 * Data: x₀ = 2u − 1, u ~ U(0, 1) per pixel, batch 64 drawn every step; T = 1000, β linear 1e-4 →
 * 0.02, t ~ U{0..999}, ε ~ N(0, I), x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε; loss = mean (ε̂ − ε)²; Adam.
 */
export interface UNetConfig extends Config {
  readonly channels: 1;
  readonly height: number;
  readonly width: number;
  readonly base: number;
  readonly groups: number;
  readonly timeFeatures: number;
  readonly timeHidden: number;
  readonly timesteps: number;
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly batch: number;
  readonly data: 'uniform-pixels';
  readonly optimizer: 'adam';
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export const UNET_WORKLOADS: readonly Workload<UNetConfig>[] = [
  {
    family: 'unet',
    group: 'unet/c32/28x28/b64/train',
    kind: 'train',
    itemsPerStep: 64,
    quick: false,
    config: {
      channels: 1,
      height: 28,
      width: 28,
      base: 32,
      groups: 8,
      timeFeatures: 32,
      timeHidden: 128,
      timesteps: 1000,
      betaStart: 1e-4,
      betaEnd: 0.02,
      batch: 64,
      data: 'uniform-pixels',
      optimizer: 'adam',
      ...ADAM,
    },
  },
];

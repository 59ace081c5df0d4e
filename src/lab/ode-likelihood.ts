/**
 * Held-out bits/dim of a flow-matching model through the probability-flow ODE, on the scale of
 * the image flows' (lab bitsPerDim): the same 8-bit pixels with the same uniform dequantization
 * noise (y = (pixel + u) / 256), mapped to the model's space z = 2y − 1, so
 *   log p(v = 256 y) = log p_z(z) + D (ln 2 − ln 256),   bits/dim = −log p(v) / (D ln 2),
 * with log p_z(z) from ImageFlowMatchingModel.logLikelihood (Hutchinson's trace estimate, one row
 * per image and probe). The standard error combines the spread over images and the probes' noise;
 * traceStandardError is the probes' share alone.
 */
import { ImageDataset } from '../data/images';
import type { ImageFlowMatchingModel } from '../models/image-diffusion/fm-model';
import { IMAGE_FM_SAMPLERS, type ImageFmSampler } from '../models/image-diffusion/fm-spec';
import { fmLikelihoodNfe } from '../models/image-diffusion/fm-likelihood';
import type { ImageWeights } from '../models/image-diffusion/unet-model';
import {
  checkImageShape,
  checkPixelImages,
  checkSeed,
  dequantize,
  evaluationCount,
  type BitsPerDimEstimate,
  type BitsPerDimOptions,
} from './image-models';

export interface OdeBitsPerDimOptions extends BitsPerDimOptions {
  /** Hutchinson probes per image (default 4; ≥ 2 for a probe standard error). */
  probes?: number;
  /** The ODE solver (default 'heun'). */
  sampler?: ImageFmSampler;
  /** Uniform steps from t = 0 to 1 (default 8). */
  steps?: number;
  /** Philox seed of the probes (default 0). */
  probeSeed?: number;
  /** Default: the EMA when the model holds one, else the parameters. */
  weights?: ImageWeights;
}

export interface OdeBitsPerDimEstimate extends BitsPerDimEstimate {
  /** Standard error of the mean from the probes' noise alone (NaN with one probe). */
  traceStandardError: number;
  probes: number;
  /** Network evaluations per image and probe, each a forward and a backward pass. */
  nfe: number;
}

export const ODE_BITS_DEFAULTS = {
  count: 100,
  probes: 4,
  sampler: 'heun' as ImageFmSampler,
  steps: 8,
};

/** Batch rows (images × probes) per GPU call: keeps the U-Net's activations small. */
const ROWS_PER_CALL = 32;

export async function odeBitsPerDim(
  model: ImageFlowMatchingModel,
  shape: readonly [number, number, number],
  data: ImageDataset | Uint8Array,
  options: OdeBitsPerDimOptions = {},
): Promise<OdeBitsPerDimEstimate> {
  const dims = model.dims;
  const pixels = await pixelsOf(shape, data);
  const count = evaluationCount(options.count, pixels.length / dims, ODE_BITS_DEFAULTS.count);
  const probes = options.probes ?? ODE_BITS_DEFAULTS.probes;
  const sampler = options.sampler ?? ODE_BITS_DEFAULTS.sampler;
  if (!IMAGE_FM_SAMPLERS.includes(sampler)) {
    throw new RangeError(
      `sampler must be ${IMAGE_FM_SAMPLERS.map((s) => `'${s}'`).join(', ')}, got ${JSON.stringify(sampler)}.`,
    );
  }
  const steps = options.steps ?? ODE_BITS_DEFAULTS.steps;
  const seed = checkSeed(options.seed ?? 0, 'seed');
  const y = dequantize(pixels.subarray(0, count * dims), seed);
  const z = Float32Array.from(y, (v) => 2 * v - 1);
  const scaleLogDet = dims * (Math.LN2 - Math.log(256));
  const toBits = (logProbZ: number) => -(logProbZ + scaleLogDet) / (dims * Math.LN2);
  const bits = new Float64Array(count * probes);
  const perCall = Math.max(1, Math.floor(ROWS_PER_CALL / probes));
  for (let first = 0; first < count; first += perCall) {
    const n = Math.min(perCall, count - first);
    const rows = await model.logLikelihood(z.subarray(first * dims, (first + n) * dims), {
      sampler,
      steps,
      probes,
      seed: options.probeSeed ?? 0,
      ...(options.weights ? { weights: options.weights } : {}),
    });
    rows.logProb.forEach((lp, r) => (bits[first * probes + r] = toBits(lp)));
  }
  return {
    ...summarize(bits, count, probes),
    probes,
    nfe: fmLikelihoodNfe(sampler, steps),
  };
}

async function pixelsOf(
  shape: readonly [number, number, number],
  data: ImageDataset | Uint8Array,
): Promise<Uint8Array> {
  if (data instanceof ImageDataset) {
    checkImageShape({ shape }, data);
    return (await data.load()).pixels;
  }
  checkPixelImages(shape, data);
  return data;
}

/**
 * Mean of per-image means over probes; its standard error over images (or over the probes with
 * one image), and the probes' share: √(Σ_i s_i² / k) / n with s_i² image i's variance over probes.
 */
export function summarize(
  bits: Float64Array,
  count: number,
  probes: number,
): { mean: number; standardError: number; traceStandardError: number; count: number } {
  const perImage = Float64Array.from({ length: count }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < probes; j++) sum += bits[i * probes + j]!;
    return sum / probes;
  });
  const mean = perImage.reduce((a, b) => a + b, 0) / count;
  let probeVariance = 0;
  for (let i = 0; i < count; i++) {
    let squares = 0;
    for (let j = 0; j < probes; j++) squares += (bits[i * probes + j]! - perImage[i]!) ** 2;
    probeVariance += probes > 1 ? squares / (probes - 1) / probes : NaN;
  }
  const traceStandardError = Math.sqrt(probeVariance) / count;
  let squares = 0;
  for (let i = 0; i < count; i++) squares += (perImage[i]! - mean) ** 2;
  const standardError = count > 1 ? Math.sqrt(squares / (count - 1) / count) : traceStandardError;
  return { mean, standardError, traceStandardError, count };
}

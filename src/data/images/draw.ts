/**
 * Which images a training batch holds, and their pre-processed values: the float64 twin of
 * shaders/data/image-draw.wgsl. Item b of the batch at `step` (Philox key = seedKey(seed)):
 *   B = philox4x32_10((b, step, stream, 0), key)
 *   image = ⌊B.x · N / 2^32⌋ (uniform in [0, N), exact), or (first + i) mod N in sequential order
 *   flip  = B.y ≥ 2^31 when flips are on (never in sequential order); a flip mirrors each row
 *   noise of output pixel p = imageNoise(word p mod 4 of philox4x32_10((b, step, stream, 1 + ⌊p/4⌋), key))
 * where i = b + count · (step − step0) is the item's place in the dispatch.
 */
import { philox4x32_10, seedKey } from '../../rng/philox';
import { DATA_STREAM } from '../draws';
import type { ImageSet } from './image-set';
import {
  imageNoise,
  preprocessForward,
  preprocessLogDet,
  type ImagePreprocess,
} from './preprocess';

export interface ImageDrawRequest {
  /** Items per batch. */
  count: number;
  /** Philox seed, an integer in [0, 2^53). */
  seed: number;
  /** Step of the first batch (the counter's second word). Default 0. */
  step?: number;
  /** Consecutive steps drawn in one dispatch (batch k uses step + k). Default 1. */
  batches?: number;
  /** Philox stream. Default DATA_STREAM. */
  stream?: number;
  /** Mirror each drawn image left–right with probability ½. Default false. */
  flips?: boolean;
  /** 'random' (default): images drawn uniformly with replacement; 'sequential': first, first + 1, … */
  order?: 'random' | 'sequential';
  /** First image of a sequential draw. Default 0. */
  first?: number;
  /** First output item to write (items, not bytes). Default 0. */
  offset?: number;
}

/** What each drawn item is: its image, flip, label (0 without labels) and log|det ∂z/∂v|. */
export interface DrawnItems {
  images: Uint32Array;
  flips: Uint8Array;
  labels: Uint8Array;
  logDets: Float64Array;
}

const TWO_32 = 4294967296;

/** The twin of the draw kernels: z (items × D, float64) and the items. */
export function drawImagesCpu(
  set: ImageSet,
  preprocess: ImagePreprocess,
  request: ImageDrawRequest,
): { z: Float64Array; items: DrawnItems } {
  const key = seedKey(request.seed);
  const stream = request.stream ?? DATA_STREAM;
  const step0 = request.step ?? 0;
  const total = request.count * (request.batches ?? 1);
  const dims = set.channels * set.height * set.width;
  const width = set.width;
  const z = new Float64Array(total * dims);
  const items: DrawnItems = {
    images: new Uint32Array(total),
    flips: new Uint8Array(total),
    labels: new Uint8Array(total),
    logDets: new Float64Array(total),
  };
  const bits = new Uint32Array(4);
  const noise = new Uint32Array(4);
  for (let i = 0; i < total; i++) {
    const b = i % request.count;
    const step = step0 + Math.floor(i / request.count);
    let image: number;
    let flip = false;
    if (request.order === 'sequential') {
      image = ((request.first ?? 0) + i) % set.count;
    } else {
      philox4x32_10([b, step, stream, 0], key, bits);
      image = Math.floor((bits[0]! * set.count) / TWO_32);
      flip = request.flips === true && bits[1]! >= 0x80000000;
    }
    let logDet = 0;
    for (let p = 0; p < dims; p++) {
      const x = p % width;
      const source = flip ? p - x + (width - 1 - x) : p;
      let u = 0.5;
      if (preprocess.dequantize) {
        if (p % 4 === 0) philox4x32_10([b, step, stream, 1 + p / 4], key, noise);
        u = imageNoise(noise[p % 4]!);
      }
      const v = set.pixels[image * dims + source]! + u;
      z[i * dims + p] = preprocessForward(v, preprocess);
      logDet += preprocessLogDet(v, preprocess);
    }
    items.images[i] = image;
    items.flips[i] = flip ? 1 : 0;
    items.labels[i] = set.labels?.[image] ?? 0;
    items.logDets[i] = logDet;
  }
  return { z, items };
}

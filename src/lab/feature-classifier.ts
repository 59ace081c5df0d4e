/**
 * The small classifiers whose penultimate layer gives the features of the Fréchet distance
 * (frechet.ts): an MLP 784 → 64 → 32 → 10 (ReLU) per shipped image set, trained in PyTorch by
 * `/usr/bin/python3 scripts/train-feature-classifier.py` (deterministic) and shipped as
 * public/data/classifier-<set>.f32 (float32 weights) + .json (widths, test accuracy, torch's
 * features of four test images), served from dist/data/ like the image sets. Evaluated in float64
 * on the CPU (≈ 52 k multiply-adds per image: a thousand images in well under a second). Input:
 * 28×28 intensities in [0, 1]; a 14×14 image has each pixel repeated 2×2 first.
 */
import { dataFileUrl, type ImageDatasetName } from '../data/images/assets';

export interface FeatureClassifierInfo {
  set: ImageDatasetName;
  /** [784, 64, 32, 10]. */
  widths: number[];
  /** Accuracy on the set's test split, as PyTorch measured it after training. */
  testAccuracy: number;
  knownAnswer: { testImages: number[]; features: number[][] };
}

/** Feature dimensions (the penultimate layer's width). */
export const FEATURE_DIMS = 32;
const SIDE = 28;

export class FeatureClassifier {
  private constructor(
    readonly info: FeatureClassifierInfo,
    private readonly weights: Float32Array,
  ) {}

  /** The classifier of a shipped set, fetched from `baseUrl` (default: where dist/data/ is). */
  static async load(
    set: ImageDatasetName,
    options: { baseUrl?: string | URL } = {},
  ): Promise<FeatureClassifier> {
    const get = async (file: string) => {
      const url = dataFileUrl(file, options.baseUrl).href;
      const response = await fetch(url);
      if (!response.ok) {
        throw new Error(
          `Could not load the feature classifier ${file} from ${url}: HTTP ${response.status}. ` +
            'The app serves it from dist/data/ (npm run build copies public/data/ there).',
        );
      }
      return response;
    };
    const [info, bytes] = await Promise.all([
      get(`classifier-${set}.json`).then((r) => r.json() as Promise<FeatureClassifierInfo>),
      get(`classifier-${set}.f32`).then((r) => r.arrayBuffer()),
    ]);
    const weights = new Float32Array(bytes);
    const [a, b, c, d] = info.widths as [number, number, number, number];
    const expected = b * (a + 1) + c * (b + 1) + d * (c + 1);
    if (a !== SIDE * SIDE || c !== FEATURE_DIMS || weights.length !== expected) {
      throw new Error(
        `The feature classifier of '${set}' has widths ${info.widths.join('→')} and ${weights.length} weights; ` +
          `expected 784→64→${FEATURE_DIMS}→10 and ${expected}. Rebuild it with /usr/bin/python3 scripts/train-feature-classifier.py.`,
      );
    }
    return new FeatureClassifier(info, weights);
  }

  /** The 32 features of each of n images (intensities, n × 1 × side × side, side 28 or 14). */
  features(images: ArrayLike<number>, side: number): Float64Array {
    return this.run(images, side).features;
  }

  /** The predicted class of each image. */
  classify(images: ArrayLike<number>, side: number): Uint8Array {
    const { logits, count } = this.run(images, side);
    const classes = this.info.widths[3]!;
    return Uint8Array.from({ length: count }, (_, i) => {
      let best = 0;
      for (let k = 1; k < classes; k++)
        if (logits[i * classes + k]! > logits[i * classes + best]!) best = k;
      return best;
    });
  }

  private run(images: ArrayLike<number>, side: number) {
    if (side !== SIDE && side !== SIDE / 2) {
      throw new RangeError(
        `The feature classifier reads 28×28 or 14×14 single-channel images, got side ${side}.`,
      );
    }
    const pixels = side * side;
    const count = images.length / pixels;
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(
        `features() takes whole ${side}×${side} images (${pixels} values each), got ${images.length} values.`,
      );
    }
    const [a, b, c, d] = this.info.widths as [number, number, number, number];
    const w = this.weights;
    const layer = (
      input: Float64Array,
      inputs: number,
      outputs: number,
      at: number,
      relu: boolean,
    ) => {
      const out = new Float64Array(outputs);
      const bias = at + outputs * inputs;
      for (let o = 0; o < outputs; o++) {
        let sum = w[bias + o]!;
        const row = at + o * inputs;
        for (let i = 0; i < inputs; i++) sum += w[row + i]! * input[i]!;
        out[o] = relu ? Math.max(0, sum) : sum;
      }
      return out;
    };
    const features = new Float64Array(count * c);
    const logits = new Float64Array(count * d);
    const x = new Float64Array(a);
    const scale = SIDE / side;
    for (let n = 0; n < count; n++) {
      for (let r = 0; r < SIDE; r++)
        for (let col = 0; col < SIDE; col++) {
          const source = Math.floor(r / scale) * side + Math.floor(col / scale);
          x[r * SIDE + col] = images[n * pixels + source]!;
        }
      const h1 = layer(x, a, b, 0, true);
      const h2 = layer(h1, b, c, b * (a + 1), true);
      features.set(h2, n * c);
      logits.set(layer(h2, c, d, b * (a + 1) + c * (b + 1), false), n * d);
    }
    return { features, logits, count };
  }
}

/**
 * A sample-quality figure for image models: the Fréchet distance (frechet.ts) between the
 * features (feature-classifier.ts: the penultimate layer of a small classifier trained on the
 * same set) of n generated images and of n images evenly spaced through a reference split (the
 * held-out test split). Like FID, lower is better and 0 means the same feature statistics; unlike FID the
 * features are the set's own 32-wide classifier's, so values compare only within one set.
 */
import type { ImageDataset } from '../data/images';
import { IMAGE_DATASET_NAMES, type ImageDatasetName } from '../data/images/assets';
import { FEATURE_DIMS, FeatureClassifier } from './feature-classifier';
import { frechetDistance } from './frechet';

export interface ImageFrechetEstimate {
  /** d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½) of the two feature sets. */
  distance: number;
  /** Images on each side. */
  count: number;
  featureDims: number;
  /** The shipped set whose classifier gave the features. */
  set: ImageDatasetName;
  /** That classifier's test-split accuracy (PyTorch's, shipped with it). */
  classifierAccuracy: number;
}

const classifiers = new Map<string, Promise<FeatureClassifier>>();

/** The shipped classifier of a set, fetched once per page (or worker). */
export function featureClassifier(
  set: ImageDatasetName,
  baseUrl?: string | URL,
): Promise<FeatureClassifier> {
  const key = `${set} ${String(baseUrl ?? '')}`;
  let loading = classifiers.get(key);
  if (!loading) {
    loading = FeatureClassifier.load(set, baseUrl ? { baseUrl } : {});
    loading.catch(() => classifiers.delete(key));
    classifiers.set(key, loading);
  }
  return loading;
}

/**
 * Image i of the n reference images: evenly spaced through the set, ⌊i · size / n⌋ (the shipped
 * splits are ordered by class, so the first n would hold one or two classes only).
 */
export function referenceIndex(i: number, n: number, size: number): number {
  return Math.floor((i * size) / n);
}

/**
 * The Fréchet distance between `samples` (n × 1 × H × W intensities in [0, 1], H = W = 28 or 14)
 * and n images of `reference` (a shipped set, e.g. its test split) evenly spaced through it.
 */
export async function imageFrechetDistance(
  samples: Float32Array,
  reference: ImageDataset,
  options: { baseUrl?: string | URL } = {},
): Promise<ImageFrechetEstimate> {
  const spec = reference.spec as { name?: unknown };
  const set = spec.name as ImageDatasetName;
  if (!IMAGE_DATASET_NAMES.includes(set)) {
    throw new RangeError(
      `The Fréchet distance needs a shipped set's classifier (${IMAGE_DATASET_NAMES.join(', ')}); '${reference.name}' has none.`,
    );
  }
  const [channels, height, width] = reference.shape;
  const pixels = channels * height * width;
  const count = samples.length / pixels;
  const loaded = await reference.load();
  if (!Number.isInteger(count) || count < 2 || count > loaded.count) {
    throw new RangeError(
      `imageFrechetDistance takes 2 … ${loaded.count} whole ${reference.shape.join('×')} images, got ${samples.length} values.`,
    );
  }
  const classifier = await featureClassifier(set, options.baseUrl);
  const real = new Float32Array(count * pixels);
  for (let i = 0; i < count; i++) {
    const from = referenceIndex(i, count, loaded.count) * pixels;
    for (let p = 0; p < pixels; p++) real[i * pixels + p] = loaded.pixels[from + p]! / 255;
  }
  const distance = frechetDistance(
    classifier.features(samples, width),
    classifier.features(real, width),
    FEATURE_DIMS,
  );
  return {
    distance,
    count,
    featureDims: FEATURE_DIMS,
    set,
    classifierAccuracy: classifier.info.testAccuracy,
  };
}

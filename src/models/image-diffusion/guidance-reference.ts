/**
 * Classifier-free guidance without the GPU: the classes and scale of a sampling call (checked),
 * the float64 twin of a guided evaluation of the U-Net (shaders/image-diffusion/guidance.wgsl)
 * and of the training labels' dropout (shaders/image-diffusion/class-labels.wgsl).
 * Convention: ε̂ = ε̂(x, ∅) + w (ε̂(x, c) − ε̂(x, ∅)): w = 0 is the unconditional model.
 */
import { nullClass, unetForward, type UNetShape } from '../../nn/reference/unet';
import { philox4x32_10, seedKey, unitFromBits } from '../../rng/philox';

type Floats = ArrayLike<number>;

/** Class labels and the guidance scale of a sampling call (absent: unconditional). */
export interface Guidance {
  /** One class in [0, K − 1] per image. */
  classes: readonly number[];
  /** w (default 1: the conditional model). */
  scale: number;
}

/** Checks `classes` (n labels in [0, K − 1]) and `scale` for a net of K classes. */
export function checkGuidance(
  shape: UNetShape,
  n: number,
  classes: readonly number[] | number | undefined,
  scale: number | undefined,
): Guidance | undefined {
  const K = shape.classes ?? 0;
  if (classes === undefined) {
    if (scale !== undefined) {
      throw new RangeError(
        'guidance needs classes: pass classes (one label per image, or one for all) with it.',
      );
    }
    return undefined;
  }
  if (K === 0) {
    throw new RangeError(
      'This model is unconditional (spec.classes 0): it samples without classes; create it with classes: K to condition on labels.',
    );
  }
  const list = typeof classes === 'number' ? new Array<number>(n).fill(classes) : [...classes];
  if (list.length !== n) {
    throw new RangeError(`classes must hold one label per image (${n}), got ${list.length}.`);
  }
  const bad = list.find((c) => !Number.isInteger(c) || c < 0 || c >= K);
  if (bad !== undefined) {
    throw new RangeError(
      `classes must be integers in [0, ${K - 1}] (the model's ${K} classes), got ${String(bad)}.`,
    );
  }
  const w = scale ?? 1;
  if (!Number.isFinite(w)) throw new RangeError(`guidance must be a finite number, got ${w}.`);
  return { classes: list, scale: w };
}

/** Float64 twin of a guided (or plain) evaluation of the U-Net twin. */
export function guidedOutput(
  params: Floats,
  offset: number,
  shape: UNetShape,
  x: Floats,
  time: Floats,
  n: number,
  guidance: Guidance | undefined,
): Float64Array {
  const none = shape.classes ? new Array<number>(n).fill(nullClass(shape)) : undefined;
  const u = unetForward(params, offset, shape, x, time, n, none).y;
  if (!guidance) return u;
  const c = unetForward(params, offset, shape, x, time, n, guidance.classes).y;
  return u.map((v, i) => v + guidance.scale * (c[i]! - v));
}

/** Network evaluations per call: 2 with guidance (the class and the null class), else 1. */
export function evaluationsPerCall(guidance: Guidance | undefined): number {
  return guidance ? 2 : 1;
}

/** Philox stream of the training batches' label dropout ("CFGD"). */
export const CFG_STREAM = 0x43464744;

/**
 * The twin of shaders/image-diffusion/class-labels.wgsl for one step: each sample's label, or
 * the null class K with probability pUncond (Philox (b, step, CFG_STREAM, 0)).
 */
export function cfgLabelsTwin(
  labels: readonly number[],
  seed: number,
  step: number,
  pUncond: number,
  classes: number,
): number[] {
  const key = seedKey(seed);
  const p = Math.fround(pUncond);
  return labels.map((label, b) =>
    unitFromBits(philox4x32_10([b, step, CFG_STREAM, 0], key)[0]!) < p
      ? classes
      : Math.min(label, classes),
  );
}

/** Float64 twin of shaders/nn/embedding.wgsl (sinusoidal embedding + concatenation). */

export interface EmbeddingShape {
  /** Coordinates of x copied first. */
  dims: number;
  /** Sinusoidal features (even): sin then cos of FEATURES/2 frequencies. */
  features: number;
  /** Multiplies t before the frequencies (e.g. 1000 for t ∈ [0, 1] as in DDPM's step index). */
  scale: number;
  maxPeriod: number;
}

export function embeddingFrequency(shape: EmbeddingShape, k: number): number {
  const half = shape.features / 2;
  return shape.scale * Math.exp((-Math.log(shape.maxPeriod) * k) / half);
}

/**
 * ω_k as a float32 pair (hi, lo) with hi + lo within ~1e-14 relative of the float64 ω_k: the
 * form shaders/nn/embedding.wgsl receives, so its angles ω_k·t match this twin's.
 */
export function embeddingFrequencySplit(shape: EmbeddingShape, k: number): [number, number] {
  const frequency = embeddingFrequency(shape, k);
  const hi = Math.fround(frequency);
  return [hi, Math.fround(frequency - hi)];
}

export function embedConcatForward(
  shape: EmbeddingShape,
  x: ArrayLike<number>,
  t: ArrayLike<number>,
  batch: number,
): Float64Array {
  const width = shape.dims + shape.features;
  const half = shape.features / 2;
  const out = new Float64Array(batch * width);
  for (let b = 0; b < batch; b++) {
    for (let d = 0; d < shape.dims; d++) out[b * width + d] = x[b * shape.dims + d]!;
    for (let k = 0; k < half; k++) {
      const angle = embeddingFrequency(shape, k) * t[b]!;
      out[b * width + shape.dims + k] = Math.sin(angle);
      out[b * width + shape.dims + half + k] = Math.cos(angle);
    }
  }
  return out;
}

/** dL/dx from dL/d(out): the coordinates pass straight through. */
export function embedConcatBackward(
  shape: EmbeddingShape,
  dOut: ArrayLike<number>,
  batch: number,
): Float64Array {
  const width = shape.dims + shape.features;
  const dx = new Float64Array(batch * shape.dims);
  for (let b = 0; b < batch; b++) {
    for (let d = 0; d < shape.dims; d++) dx[b * shape.dims + d] = dOut[b * width + d]!;
  }
  return dx;
}

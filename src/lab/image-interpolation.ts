/**
 * Latent interpolation between two images (issue #16's views): each image's latent, a path
 * between the two latents (linear, or spherical: the great circle, whose points keep a
 * Gaussian latent's typical norm), and the images of the path's points. Image flows: z = f(x)
 * exactly and back through f⁻¹, so the path's ends are the images (within float32 round off).
 * Flow matching: z from the ODE integrated backwards (encode), images from the ODE forwards
 * (sampleFrom), the same solver: the ends come back within the solver's error, which shrinks
 * with the steps. A DDPM (DDIM inversion) is not offered yet.
 */
import type { LabImageDiffusionModel, ImageDiffusionSampleOptions } from './image-diffusion';
import type { LabImageFlowMatching } from './image-diffusion';
import type { LabImageModel } from './image-models';

export const INTERPOLATION_PATHS = ['linear', 'spherical'] as const;
export type InterpolationPath = (typeof INTERPOLATION_PATHS)[number];

export interface ImageInterpolationOptions extends Pick<
  ImageDiffusionSampleOptions,
  'sampler' | 'steps' | 'weights'
> {
  /** Images along the path, both ends included (default 8, 2–64). */
  frames?: number;
  /** Default 'linear'. */
  path?: InterpolationPath;
}

/** Default images along an interpolation path. */
export const INTERPOLATION_FRAMES = 8;

/** The path's point at t ∈ [0, 1] between latents a and b (one image each). */
export function interpolateLatent(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  t: number,
  path: InterpolationPath,
): Float64Array {
  let wa = 1 - t;
  let wb = t;
  if (path === 'spherical') {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < a.length; i++) {
      dot += a[i]! * b[i]!;
      na += a[i]! * a[i]!;
      nb += b[i]! * b[i]!;
    }
    const theta = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb || 1))));
    // Nearly parallel latents: the great circle is the straight line.
    if (Math.sin(theta) > 1e-6) {
      wa = Math.sin((1 - t) * theta) / Math.sin(theta);
      wb = Math.sin(t * theta) / Math.sin(theta);
    }
  }
  return Float64Array.from(a, (v, i) => wa * v + wb * b[i]!);
}

/**
 * `frames` images from image a to image b (each C × H × W intensities) through the model's
 * latent space: frames × C × H × W intensities, clamped to [0, 1] like samples.
 */
export async function interpolateImages(
  model: LabImageModel | LabImageDiffusionModel,
  a: Float32Array,
  b: Float32Array,
  options: ImageInterpolationOptions = {},
): Promise<Float32Array> {
  const [c, h, w] = model.shape;
  const dims = c * h * w;
  if (a.length !== dims || b.length !== dims) {
    throw new RangeError(
      `interpolateImages() takes two images of ${c}×${h}×${w} = ${dims} values, got ${a.length} and ${b.length}.`,
    );
  }
  const frames = options.frames ?? INTERPOLATION_FRAMES;
  if (!Number.isInteger(frames) || frames < 2 || frames > 64) {
    throw new RangeError(`frames must be an integer in [2, 64], got ${String(frames)}.`);
  }
  const path = options.path ?? 'linear';
  if (!INTERPOLATION_PATHS.includes(path)) {
    throw new RangeError(`path must be 'linear' or 'spherical', got ${JSON.stringify(path)}.`);
  }
  const both = new Float32Array(2 * dims);
  both.set(a);
  both.set(b, dims);
  const solver = {
    ...(options.sampler ? { sampler: options.sampler } : {}),
    ...(options.steps !== undefined ? { steps: options.steps } : {}),
    ...(options.weights ? { weights: options.weights } : {}),
  };
  let latents: Float32Array;
  if (model.spec.family === 'image-flow') {
    latents = await (model as LabImageModel).forward(both);
  } else if (model.spec.kind === 'flow-matching') {
    latents = await (model as LabImageFlowMatching).encode(both, solver);
  } else {
    throw new TypeError(
      "A DDPM's latent interpolation (DDIM inversion) is not offered yet; interpolate with an " +
        'image flow (NICE, RealNVP, Glow) or a flow-matching model.',
    );
  }
  const za = latents.subarray(0, dims);
  const zb = latents.subarray(dims);
  const path32 = new Float32Array(frames * dims);
  for (let f = 0; f < frames; f++) {
    path32.set(interpolateLatent(za, zb, f / (frames - 1), path), f * dims);
  }
  if (model.spec.family === 'image-flow') {
    const images = await (model as LabImageModel).inverse(path32);
    for (let i = 0; i < images.length; i++) images[i] = Math.min(1, Math.max(0, images[i]!));
    return images;
  }
  return (model as LabImageFlowMatching).sampleFrom(path32, solver);
}

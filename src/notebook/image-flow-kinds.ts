/**
 * The multi-scale image flows (RealNVP, Glow) as the notebook sees them: their parameter count and
 * shape limits, mirroring the library's MULTISCALE_LIMITS and multiscalePlan (the notebook does
 * not import the library; test/notebook/image-models.test.ts checks this mirror against
 * resolveMultiscaleSpec on shapes and options either side of each limit).
 */
import type { ImageModelSettings } from './schema';

/** [channels, height, width] of an image set's images. */
type Shape = readonly [number, number, number];

/** MULTISCALE_LIMITS: scales/levels, couplings/steps, conditioner width and the parameter cap. */
export const MULTISCALE_RANGES = {
  scales: { min: 1, max: 4 },
  steps: { min: 1, max: 16 },
  channels: { min: 1, max: 256 },
} as const;
export const MULTISCALE_MAX_PARAMETERS = 8_000_000;

export type MultiscaleKind = 'realnvp' | 'glow';

/** A coupling's conditioner: conv3×3 (condition → hidden) then conv3×3 (hidden → 2n), biases. */
function couplingParameters(condition: number, hidden: number, output: number): number {
  return (condition * 9 + 1) * hidden + (hidden * 9 + 1) * output;
}

/** Parameters of a RealNVP (scales, couplingsPerScale) or Glow (levels, stepsPerLevel). */
export function multiscaleParameters(
  kind: MultiscaleKind,
  shape: Shape,
  options: ImageModelSettings['options'],
): number {
  const hidden = options['channels'] as number;
  const scales = (kind === 'realnvp' ? options['scales'] : options['levels']) as number;
  const steps = (
    kind === 'realnvp' ? options['couplingsPerScale'] : options['stepsPerLevel']
  ) as number;
  let channels = shape[0];
  let count = 0;
  const checker = () => couplingParameters(channels, hidden, 2 * channels);
  const channel = () => {
    const half = Math.floor(channels / 2);
    return couplingParameters(half, hidden, 2 * half);
  };
  for (let s = 0; s < scales; s++) {
    const last = s === scales - 1;
    if (kind === 'realnvp') {
      count += (last ? steps + 1 : steps) * checker();
      if (last) break;
      channels *= 4;
      count += steps * channel();
      channels = Math.floor(channels / 2);
    } else {
      channels *= 4;
      // ActNorm (logs, bias), the 1×1 convolution (LU matrix, logs), the coupling.
      count += steps * (2 * channels + channels * channels + channels + channel());
      if (!last) channels = Math.floor(channels / 2);
    }
  }
  return count;
}

/** Why a RealNVP or Glow with these in-range options cannot model `shape`, or ''. */
export function multiscaleShapeProblem(
  kind: MultiscaleKind,
  shape: Shape,
  options: ImageModelSettings['options'],
): string {
  const name = kind === 'realnvp' ? 'RealNVP' : 'Glow';
  const scales = (kind === 'realnvp' ? options['scales'] : options['levels']) as number;
  const squeezes = kind === 'realnvp' ? scales - 1 : scales;
  const divisor = 2 ** squeezes;
  const [, h, w] = shape;
  if (h % divisor !== 0 || w % divisor !== 0) {
    const field = kind === 'realnvp' ? 'scales' : 'levels';
    return `A ${name} with ${scales} ${field} halves the image ${squeezes} times, so height and width must be divisible by ${divisor}; these images are ${shape.join('×')}: use fewer ${field}.`;
  }
  const count = multiscaleParameters(kind, shape, options);
  if (count > MULTISCALE_MAX_PARAMETERS) {
    return `This ${name} has ${count.toLocaleString('en')} parameters, more than the ${MULTISCALE_MAX_PARAMETERS.toLocaleString('en')} allowed; use fewer conditioner channels, ${kind === 'realnvp' ? 'scales or couplings' : 'levels or steps'}.`;
  }
  return '';
}

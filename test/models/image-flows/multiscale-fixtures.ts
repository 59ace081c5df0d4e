/** Shared fixtures of the RealNVP and Glow tests: tiny flows with random weights everywhere. */
import {
  multiscalePlan,
  resolveMultiscaleSpec,
  type MultiscaleImageSpec,
  type ResolvedMultiscaleSpec,
} from '../../../src/models/image-flows/multiscale-spec';
import { testValues } from '../../support/gpu-helpers';

export const TINY_FLOWS: Record<'realnvp' | 'glow', MultiscaleImageSpec> = {
  // 1×4×4: checkerboard at 4×4, squeeze to 4×2×2, channel couplings, factor 2 out, then
  // checkerboard couplings on 2×2×2.
  realnvp: {
    family: 'image-flow',
    kind: 'realnvp',
    shape: [1, 4, 4],
    scales: 2,
    couplingsPerScale: 2,
    channels: 3,
  },
  // 2×4×4: squeeze to 8×2×2, two steps, factor 4 out, squeeze to 16×1×1, two steps.
  glow: {
    family: 'image-flow',
    kind: 'glow',
    shape: [2, 4, 4],
    levels: 2,
    stepsPerLevel: 2,
    channels: 3,
  },
};

/** A tiny flow whose every parameter is random (the real init is the identity). */
export function randomFlow(
  kind: 'realnvp' | 'glow',
  prior: 'logistic' | 'gaussian',
  seed = 3,
): { spec: ResolvedMultiscaleSpec; params: Float64Array } {
  const spec = resolveMultiscaleSpec({ ...TINY_FLOWS[kind], prior, seed: 1 });
  const params = testValues(multiscalePlan(spec).layout.total, seed, 0.4);
  return { spec, params };
}

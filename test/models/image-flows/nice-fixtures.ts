/** Shared fixtures of the NICE tests. */
import {
  niceParameterCount,
  resolveNiceSpec,
  type ResolvedNiceSpec,
} from '../../../src/models/image-flows/nice-spec';
import { testValues } from '../../support/gpu-helpers';

/**
 * A 1×4×4 NICE with random weights everywhere (the real init is the identity); wider
 * conditioners get smaller weights so that the activations stay O(1).
 */
export function randomNice(
  prior: 'logistic' | 'gaussian',
  seed = 3,
  hidden = 8,
): {
  spec: ResolvedNiceSpec;
  params: Float64Array;
} {
  const spec = resolveNiceSpec({
    family: 'image-flow',
    kind: 'nice',
    shape: [1, 4, 4],
    layers: 3,
    hidden,
    hiddenLayers: 2,
    prior,
    seed: 1,
  });
  const params = testValues(niceParameterCount(spec), seed, 0.5 * Math.sqrt(8 / hidden));
  return { spec, params };
}

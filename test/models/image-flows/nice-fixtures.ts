/** Shared fixtures of the NICE tests. */
import {
  niceParameterCount,
  resolveNiceSpec,
  type ResolvedNiceSpec,
} from '../../../src/models/image-flows/nice-spec';
import { testValues } from '../../support/gpu-helpers';

/** A 1×4×4 NICE with random weights everywhere (the real init is the identity). */
export function randomNice(
  prior: 'logistic' | 'gaussian',
  seed = 3,
): {
  spec: ResolvedNiceSpec;
  params: Float64Array;
} {
  const spec = resolveNiceSpec({
    family: 'image-flow',
    kind: 'nice',
    shape: [1, 4, 4],
    layers: 3,
    hidden: 8,
    hiddenLayers: 2,
    prior,
    seed: 1,
  });
  const params = testValues(niceParameterCount(spec), seed, 0.5);
  return { spec, params };
}

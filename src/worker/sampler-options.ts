/**
 * A view layer's sampler options, checked against the model before anything is drawn: one
 * function for the GPU views (view-sources.ts) and the CPU backend's (cpu-layers.ts), whose
 * models both plan their sampling (LabModel / CpuLabModel planSampling).
 */
import type { ModelSampleOptions } from '../lab/models';
import type { SampleOptions } from './api';

/** What the check needs of a model: it throws RangeError naming an option it refuses. */
interface PlansSampling {
  planSampling(options: ModelSampleOptions): unknown;
}

/** A layer's sampler options, checked against the model (throws readably); flows ignore them. */
export function samplerOptions(
  model: PlansSampling,
  sample: SampleOptions | undefined,
  seed: number,
  what: string,
): ModelSampleOptions & { seed: number } {
  const options = {
    seed,
    ...(sample?.sampler !== undefined ? { sampler: sample.sampler } : {}),
    ...(sample?.steps !== undefined ? { steps: sample.steps } : {}),
    ...(sample?.eta !== undefined ? { eta: sample.eta } : {}),
  };
  try {
    model.planSampling(options);
  } catch (error) {
    throw new RangeError(`${what}: ${(error as Error).message}`, { cause: error });
  }
  return options;
}

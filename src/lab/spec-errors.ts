/**
 * One error type for every bad field of a model spec, whatever the family, in the GPU lab
 * (create-model.ts) and the CPU lab (cpu-lab.ts) alike: ModelSpecError naming the field.
 */
import { DiffusionSpecError } from '../models/diffusion/spec';
import { ModelSpecError } from '../models/flows/flow-spec';

/** `error` as a ModelSpecError when it is a diffusion spec's error; anything else as it is. */
export function asModelSpecError(error: unknown): unknown {
  return error instanceof DiffusionSpecError
    ? new ModelSpecError(error.field, error.message)
    : error;
}

/** The error for a spec whose family is neither 'flow' nor 'diffusion'. */
export function unknownFamilyError(spec: unknown): ModelSpecError {
  return new ModelSpecError(
    'family',
    `model.family must be 'flow' or 'diffusion', got "${String((spec as { family: unknown }).family)}".`,
  );
}

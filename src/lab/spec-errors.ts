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

/** The error for a spec whose family is none of `families` (the CPU lab's: 'flow', 'diffusion'). */
export function unknownFamilyError(
  spec: unknown,
  families: readonly string[] = ['flow', 'diffusion'],
): ModelSpecError {
  const named = families.map((f) => `'${f}'`);
  const list =
    named.length > 1 ? `${named.slice(0, -1).join(', ')} or ${named.at(-1)!}` : named[0]!;
  return new ModelSpecError(
    'family',
    `model.family must be ${list}, got "${String((spec as { family: unknown }).family)}".`,
  );
}

/**
 * Which samplers a model kind offers, and the one a View cell uses: the cell's choice when the
 * model offers it, else that kind's default (a notebook may keep a DDPM sampler on a cell whose
 * model became flow matching; the select then shows what is really used).
 */
import {
  DDPM_SAMPLERS,
  FLOW_MATCHING_SAMPLERS,
  type ModelKind,
  type SamplerName,
  type ViewCell,
} from '../../notebook';
import type { SamplerChoice } from '../controllers/lab-client';

export const SAMPLER_NAMES: Record<SamplerName, string> = {
  ddpm: 'DDPM (ancestral)',
  ddim: 'DDIM (deterministic)',
  'pf-euler': 'Probability-flow ODE, Euler',
  'pf-heun': 'Probability-flow ODE, Heun',
  euler: 'Euler',
  midpoint: 'Midpoint',
  heun: 'Heun',
  rk4: 'Runge–Kutta 4',
};

const DEFAULT_SAMPLER: Partial<Record<ModelKind, SamplerName>> = {
  ddpm: 'ddim',
  'flow-matching': 'euler',
};

/** Samplers of a model kind; empty for flows (one inverse pass, nothing to choose). */
export function samplersFor(kind: ModelKind | undefined): readonly SamplerName[] {
  if (kind === 'ddpm') return DDPM_SAMPLERS;
  if (kind === 'flow-matching') return FLOW_MATCHING_SAMPLERS;
  return [];
}

/** The sampler and step count a View cell uses for `kind`, or undefined for flows. */
export function samplerChoice(
  cell: ViewCell,
  kind: ModelKind | undefined,
): SamplerChoice | undefined {
  const choices = samplersFor(kind);
  if (choices.length === 0) return undefined;
  const sampler = choices.includes(cell.sampler)
    ? cell.sampler
    : (DEFAULT_SAMPLER[kind!] ?? choices[0]!);
  return { sampler, steps: cell.samplerSteps };
}

/** The samplers an image model's View cell offers: the library's, the default first. */
export const IMAGE_SAMPLERS = {
  ddpm: ['ddim', 'ddpm'],
  'flow-matching': ['euler', 'heun', 'rk4'],
} as const satisfies Record<string, readonly SamplerName[]>;

/**
 * The sampler an image model's View cell uses: a DDPM's 'ddpm' (ancestral) or 'ddim' (default),
 * flow matching's 'heun', 'rk4' or 'euler' (default).
 */
export function imageSampler(
  cell: Pick<ViewCell, 'sampler'>,
  kind: 'flow-matching' | 'ddpm' | string,
): 'euler' | 'heun' | 'rk4' | 'ddpm' | 'ddim' {
  const offered: readonly string[] = IMAGE_SAMPLERS[kind === 'ddpm' ? 'ddpm' : 'flow-matching'];
  return (offered.includes(cell.sampler) ? cell.sampler : offered[0]) as
    'euler' | 'heun' | 'rk4' | 'ddpm' | 'ddim';
}

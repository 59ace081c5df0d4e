/**
 * The vector updates of flow matching's ODE solvers (shaders/image-diffusion/fm-sampler.wgsl),
 * shared by the sampler (fm-model.ts) and the likelihood (fm-likelihood.ts). Uniforms:
 * [values, seed lo, seed hi, 0, c (f32), 0, 0, 0]; bindings a, b (read), out.
 */
import samplerSource from '../../../shaders/image-diffusion/fm-sampler.wgsl';
import { defineKernel, workgroupsFor } from '../../gpu';
import { PHILOX_LIBRARY } from '../../rng/random-fill';

export const FM_SAMPLER_ENTRIES = ['prior_noise', 'combine', 'accumulate'] as const;
export type FmSamplerEntry = (typeof FM_SAMPLER_ENTRIES)[number];

export const fmSamplerKernel = (entryPoint: FmSamplerEntry) =>
  defineKernel<number>({
    name: `image-diffusion/fm-${entryPoint}`,
    file: 'image-diffusion/fm-sampler.wgsl',
    source: samplerSource,
    libraries: [PHILOX_LIBRARY],
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
    workgroupSize: 64,
    dispatch: (items, wg) => workgroupsFor(items, wg),
  });

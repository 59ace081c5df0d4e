/** Kernel specs of a flow's two ends (shaders/flows/base.wgsl) and its loss (nll.wgsl). */
import baseSource from '../../../shaders/flows/base.wgsl';
import nllSource from '../../../shaders/flows/nll.wgsl';
import {
  defineKernel,
  workgroupsFor,
  type BindingKind,
  type KernelSpec,
  type WgslLibrary,
} from '../../gpu';
import { TRAIN_STATE_LIBRARY } from '../../nn/train-state';
import { PHILOX_LIBRARY } from '../../rng/random-fill';

/** A uniform and seven storage buffers: the binding layout of nll.wgsl and every flow layer. */
const LAYER_BINDINGS: readonly BindingKind[] = [
  'uniform',
  ...Array<BindingKind>(7).fill('storage'),
];

const perPoint = (count: number, workgroupSize: number) => workgroupsFor(count, workgroupSize);

export type BaseEntry = 'to_model' | 'to_data' | 'sample_base' | 'log_prob';

export const baseKernel = (entryPoint: BaseEntry): KernelSpec<number> =>
  defineKernel<number>({
    name: `flows/base-${entryPoint}`,
    file: 'flows/base.wgsl',
    source: baseSource,
    libraries: [PHILOX_LIBRARY],
    entryPoint,
    bindings: ['uniform', 'storage', 'storage', 'storage', 'storage'],
    workgroupSize: 64,
    dispatch: perPoint,
  });

export const nllKernel = (entryPoint: 'gather' | 'nll'): KernelSpec<number> =>
  defineKernel<number>({
    name: `flows/nll-${entryPoint}`,
    file: 'flows/nll.wgsl',
    source: nllSource,
    libraries: [TRAIN_STATE_LIBRARY],
    entryPoint,
    bindings: LAYER_BINDINGS,
    workgroupSize: 64,
    dispatch: perPoint,
  });

export const BASE_ENTRIES: readonly BaseEntry[] = [
  'to_model',
  'to_data',
  'sample_base',
  'log_prob',
];

/** Specs of the forward/inverse/backward entry points of one flow-layer WGSL file (8 bindings). */
export function layerKernelSpecs(
  name: string,
  file: string,
  source: string,
  libraries: readonly WgslLibrary[] = [],
) {
  return (entryPoint: 'forward' | 'inverse' | 'backward'): KernelSpec<number> =>
    defineKernel<number>({
      name: `${name}-${entryPoint}`,
      file,
      source,
      libraries,
      entryPoint,
      bindings: LAYER_BINDINGS,
      workgroupSize: 64,
      dispatch: (batch, wg) => workgroupsFor(batch, wg),
    });
}

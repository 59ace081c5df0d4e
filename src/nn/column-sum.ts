/**
 * Column sums of a row-major scratch matrix in a fixed order (no float atomics): per-sample
 * parameter gradients summed over the batch, bit-reproducibly (shaders/nn/column-sum.wgsl).
 */
import columnSumSource from '../../shaders/nn/column-sum.wgsl';
import { defineKernel, workgroupsFor } from '../gpu';

export const columnSumKernel = defineKernel<number>({
  name: 'nn/column-sum',
  file: 'nn/column-sum.wgsl',
  source: columnSumSource,
  bindings: ['uniform', 'read-only-storage', 'storage'],
  workgroupSize: 16,
  dispatch: (columns, wg) => workgroupsFor(columns, wg),
});

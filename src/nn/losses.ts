/**
 * The mean-squared-error kernel shared by the models that regress a target (diffusion denoisers,
 * the conv and MLP regression workloads): per-sample loss and its gradient (shaders/nn/loss.wgsl).
 */
import lossSource from '../../shaders/nn/loss.wgsl';
import { defineKernel, workgroupsFor } from '../gpu';

export const mseKernel = defineKernel<number>({
  name: 'nn/mse',
  file: 'nn/loss.wgsl',
  source: lossSource,
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage', 'storage'],
  workgroupSize: 64,
  dispatch: (batch, wg) => workgroupsFor(batch, wg),
});

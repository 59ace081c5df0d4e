/**
 * The image layers (#15), each a GPU layer (forward + backward WGSL kernels) with its float64
 * twin: the public set re-exported by src/index.ts (README "Image layers").
 */
export {
  Conv2d,
  addConv2dParameters,
  convOutputSize,
  convParameterCount,
  type Conv2dShape,
  type Conv2dBindingSpec,
  type Conv2dBinding,
} from './conv2d';
export {
  GroupNorm,
  addGroupNormParameters,
  type GroupNormShape,
  type GroupNormBindingSpec,
} from './group-norm';
export {
  ActNorm,
  addActNormParameters,
  type ActNormShape,
  type ActNormBindingSpec,
} from './act-norm';
export {
  Resample2x2,
  type ResampleKind,
  type ResampleBindingSpec,
  type MapShape,
} from './resample';
export { TimeAdd, type TimeAddBindingSpec } from './time-add';
export {
  ResidualBlock,
  addResidualBlockParameters,
  type ResidualBlockShape,
  type ResidualBlockBindingSpec,
  type ResidualBlockBinding,
} from './residual-block';
export {
  UNet,
  addUNetParameters,
  type UNetShape,
  type UNetBindingSpec,
  type UNetBinding,
} from './unet';
export { conv2dForward, conv2dBackward } from '../reference/conv';
export {
  groupNormForward,
  groupNormBackward,
  actNormForward,
  actNormInverse,
  actNormBackward,
  actNormInitialParameters,
} from '../reference/norm';
export {
  squeeze,
  unsqueeze,
  avgPool2Forward,
  avgPool2Backward,
  upsample2Forward,
  upsample2Backward,
  timeAddForward,
  timeAddBackward,
} from '../reference/image';
export { residualBlockForward, residualBlockBackward } from '../reference/residual';
export { unetForward, unetBackward, unetParameterCount } from '../reference/unet';

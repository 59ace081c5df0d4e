/** Float64 twin of shaders/nn/optimizer.wgsl: one optimizer step on flat arrays. */
import { scheduledLr, type ResolvedOptimizer } from '../optimizer-config';

export interface OptimizerTwinState {
  /** Steps completed. */
  step: number;
  /** m / momentum buffer, v, EMA weights. */
  m: Float64Array;
  v: Float64Array;
  ema: Float64Array;
  gradNorm: number;
}

export function createOptimizerTwin(params: ArrayLike<number>): OptimizerTwinState {
  return {
    step: 0,
    m: new Float64Array(params.length),
    v: new Float64Array(params.length),
    ema: Float64Array.from(params),
    gradNorm: 0,
  };
}

/** Updates `params` in place with gradient `grads`; returns the learning rate used. */
export function optimizerStepTwin(
  opt: ResolvedOptimizer,
  state: OptimizerTwinState,
  params: Float64Array,
  grads: ArrayLike<number>,
): number {
  const t = (state.step += 1);
  const lr = scheduledLr(opt, t);
  let clip = 1;
  if (opt.clipNorm > 0) {
    let sum = 0;
    for (let i = 0; i < grads.length; i++) sum += grads[i]! ** 2;
    state.gradNorm = Math.sqrt(sum);
    clip = Math.min(1, opt.clipNorm / (state.gradNorm + 1e-6));
  }
  for (let i = 0; i < params.length; i++) {
    let theta = params[i]!;
    let g = clip * grads[i]!;
    if (opt.kind === 'sgd') {
      g += opt.weightDecay * theta;
      if (opt.momentum > 0) {
        state.m[i] = opt.momentum * state.m[i]! + g;
        g = state.m[i]!;
      }
      theta -= lr * g;
    } else {
      if (opt.kind === 'adam') g += opt.weightDecay * theta;
      else theta -= lr * opt.weightDecay * theta;
      state.m[i] = opt.beta1 * state.m[i]! + (1 - opt.beta1) * g;
      state.v[i] = opt.beta2 * state.v[i]! + (1 - opt.beta2) * g * g;
      const mHat = state.m[i]! / (1 - opt.beta1 ** t);
      const vHat = state.v[i]! / (1 - opt.beta2 ** t);
      theta -= (lr * mHat) / (Math.sqrt(vHat) + opt.eps);
    }
    params[i] = theta;
    // Without EMA the EMA slot follows the weights (what samplers read), as on the GPU.
    state.ema[i] =
      opt.emaDecay > 0 ? opt.emaDecay * state.ema[i]! + (1 - opt.emaDecay) * theta : theta;
  }
  return lr;
}

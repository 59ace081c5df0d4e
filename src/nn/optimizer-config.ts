/** Optimizer and learning-rate schedule settings, shared by the GPU optimizer and its twin. */

export type OptimizerKind = 'sgd' | 'adam' | 'adamw';
export type ScheduleKind = 'constant' | 'cosine' | 'robbins-monro';

export interface OptimizerSpec {
  kind: OptimizerKind;
  lr: number;
  /** SGD momentum μ (PyTorch convention: buf = μ·buf + g). */
  momentum?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** L2 penalty for sgd/adam, decoupled decay for adamw. */
  weightDecay?: number;
  /** Global-norm gradient clipping; 0 or absent disables it. */
  clipNorm?: number;
  /** Exponential moving average of the weights for sampling; 0 or absent disables it. */
  emaDecay?: number;
  schedule?: ScheduleSpec;
}

export interface ScheduleSpec {
  kind: ScheduleKind;
  /** Linear warm-up from 0 over this many steps (applies to every schedule). */
  warmup?: number;
  /** cosine: steps until the rate reaches lrMin. */
  totalSteps?: number;
  lrMin?: number;
  /** robbins-monro: a_k = a0 / (1 + k / tau), k = 0, 1, … */
  tau?: number;
}

export type ResolvedOptimizer = Required<Omit<OptimizerSpec, 'schedule'>> & {
  schedule: Required<ScheduleSpec>;
};

const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['sgd', 'adam', 'adamw'];
const SCHEDULE_KINDS: readonly ScheduleKind[] = ['constant', 'cosine', 'robbins-monro'];

function check(field: string, value: number, min: number, max: number, integer = false): void {
  if (
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new RangeError(
      `optimizer.${field} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${value}.`,
    );
  }
}

/** Fills defaults (PyTorch's) and validates every field, naming the field and its range. */
export function resolveOptimizer(spec: OptimizerSpec): ResolvedOptimizer {
  if (!OPTIMIZER_KINDS.includes(spec.kind)) {
    throw new RangeError(
      `optimizer.kind must be one of ${OPTIMIZER_KINDS.join(', ')}, got "${String(spec.kind)}".`,
    );
  }
  const schedule = spec.schedule ?? { kind: 'constant' };
  if (!SCHEDULE_KINDS.includes(schedule.kind)) {
    throw new RangeError(
      `optimizer.schedule.kind must be one of ${SCHEDULE_KINDS.join(', ')}, got "${String(schedule.kind)}".`,
    );
  }
  const resolved: ResolvedOptimizer = {
    kind: spec.kind,
    lr: spec.lr,
    momentum: spec.momentum ?? 0,
    beta1: spec.beta1 ?? 0.9,
    beta2: spec.beta2 ?? 0.999,
    eps: spec.eps ?? 1e-8,
    weightDecay: spec.weightDecay ?? (spec.kind === 'adamw' ? 0.01 : 0),
    clipNorm: spec.clipNorm ?? 0,
    emaDecay: spec.emaDecay ?? 0,
    schedule: {
      kind: schedule.kind,
      warmup: schedule.warmup ?? 0,
      totalSteps: schedule.totalSteps ?? 10_000,
      lrMin: schedule.lrMin ?? 0,
      tau: schedule.tau ?? 1000,
    },
  };
  check('lr', resolved.lr, 0, 10);
  check('momentum', resolved.momentum, 0, 0.999999);
  check('beta1', resolved.beta1, 0, 0.999999);
  check('beta2', resolved.beta2, 0, 0.999999);
  check('eps', resolved.eps, 1e-12, 1);
  check('weightDecay', resolved.weightDecay, 0, 1);
  check('clipNorm', resolved.clipNorm, 0, 1e6);
  check('emaDecay', resolved.emaDecay, 0, 0.999999);
  check('schedule.warmup', resolved.schedule.warmup, 0, 1e7, true);
  check('schedule.totalSteps', resolved.schedule.totalSteps, 1, 1e7, true);
  check('schedule.lrMin', resolved.schedule.lrMin, 0, resolved.lr);
  check('schedule.tau', resolved.schedule.tau, 1e-6, 1e9);
  return resolved;
}

/** Learning rate of 1-based step t (the same formula as scheduled_lr in optimizer.wgsl). */
export function scheduledLr(opt: ResolvedOptimizer, t: number): number {
  const { schedule } = opt;
  let lr = opt.lr;
  if (schedule.kind === 'cosine') {
    const span = Math.max(1, schedule.totalSteps - Math.min(schedule.warmup, schedule.totalSteps));
    const progress = Math.min(1, Math.max(0, (t - Math.min(t, schedule.warmup)) / span));
    lr = schedule.lrMin + 0.5 * (opt.lr - schedule.lrMin) * (1 + Math.cos(Math.PI * progress));
  } else if (schedule.kind === 'robbins-monro') {
    lr = opt.lr / (1 + (t - 1) / schedule.tau);
  }
  if (schedule.warmup > 0 && t <= schedule.warmup) lr *= t / schedule.warmup;
  return lr;
}

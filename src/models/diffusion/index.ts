/** Diffusion and flow-matching models: the API src/lab wraps (see model.ts for the overview). */
export * from './spec';
export * from './model';
export * from './schedule';
export * from './solvers';
export * from './plan';
export * from './gaussian';
export * from './metrics';
export { ARCHITECTURES, type Architecture } from './denoiser';
export { SAMPLER_STREAM, runPlan, mlpDenoiser, type CpuDenoiser } from './reference';
export { DiffusionTrainingTask, TRAIN_STREAM, type PairSampler, type X0Sampler } from './training';
export { MAX_OT_BATCH, otAssignment, pairingCost } from './assignment';
export * from './reflow';
export { PlanRunner, MAX_CHUNK } from './plan-runner';

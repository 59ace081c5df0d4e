/**
 * Runs one case: setup, warm-up and calibration, the sanity loss, the timed runs, dispose.
 *
 * Timing: `performance.now()` around `session.run(n)`, which includes the case's own sync at
 * the end. The first call (1 step) absorbs compilation and lazy allocation; calibration then
 * doubles n (or more) until one call lasts ≥ ¼ of the target, and the timed runs use
 * n = ⌈target × measured rate⌉ (at least 1 step, so one very slow step is one run).
 */
import { gpuCounts, type GpuCounts } from './gpu-counters';
import type { BenchOptions, CaseResult, TimedRun } from './results';
import type { BenchCase, BenchContext, Session } from './types';

const MAX_STEPS_PER_RUN = 100_000;

function now(): number {
  return performance.now() / 1000;
}

async function timeRun(
  session: Session,
  steps: number,
): Promise<{ seconds: number; loss: unknown }> {
  const start = now();
  const loss = await session.run(steps);
  return { seconds: now() - start, loss };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function perStep(after: GpuCounts, before: GpuCounts, key: keyof GpuCounts, steps: number) {
  return (after[key] - before[key]) / steps;
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Runs one case and returns its result, with `case_s` the wall time from setup to dispose. */
export async function measureCase(
  benchCase: BenchCase,
  options: BenchOptions,
  context: BenchContext,
): Promise<CaseResult> {
  const start = now();
  const result = await measure(benchCase, options, context);
  return { ...result, case_s: now() - start };
}

async function measure(
  benchCase: BenchCase,
  options: BenchOptions,
  context: BenchContext,
): Promise<CaseResult> {
  const { workload, implementation } = benchCase;
  const base = {
    id: benchCase.id,
    group: workload.group,
    family: workload.family,
    kind: workload.kind,
    impl: implementation.impl,
    config: workload.config,
    items_per_step: workload.itemsPerStep,
  };
  if (implementation.missing) {
    return { ...base, status: 'missing', reason: implementation.missing, case_s: 0 };
  }

  let session: Session | undefined;
  try {
    const setupStart = now();
    session = await implementation.setup(workload, context);
    const setup_s = now() - setupStart;

    // Warm-up: the first step pays for compilation; then calibrate the steps per timed run.
    const warmupStart = now();
    if (!workload.oneStepPerRun) await session.run(1);
    let warmupSteps = workload.oneStepPerRun ? 0 : 1;
    let steps = 1;
    const quarter = options.targetSeconds / 4;
    for (; !workload.oneStepPerRun;) {
      const { seconds } = await timeRun(session, steps);
      warmupSteps += steps;
      if (seconds >= quarter || steps >= MAX_STEPS_PER_RUN) {
        const rate = steps / Math.max(seconds, 1e-6);
        steps = Math.min(MAX_STEPS_PER_RUN, Math.max(1, Math.ceil(options.targetSeconds * rate)));
        break;
      }
      const grow = Math.ceil(quarter / Math.max(seconds, 1e-6));
      steps = Math.min(MAX_STEPS_PER_RUN, steps * Math.min(16, Math.max(2, grow)));
    }
    const warmup_s = now() - warmupStart;

    const trains = workload.kind === 'train' && session.evalLoss !== undefined;
    const lossFirst = trains ? await session.evalLoss!() : null;

    const before = gpuCounts();
    const runs: TimedRun[] = [];
    let lastLoss: unknown;
    for (let r = 0; r < options.runs; r++) {
      const { seconds, loss } = await timeRun(session, steps);
      lastLoss = loss;
      runs.push({ steps, seconds, steps_per_s: steps / seconds });
    }
    const after = gpuCounts();
    const timedSteps = steps * options.runs;

    const lossLast = trains ? await session.evalLoss!() : null;
    const stepsPerSecond = median(runs.map((run) => run.steps_per_s));
    const gpu = implementation.impl !== 'tfjs-wasm';
    const counted = perStep(after, before, 'dispatches', timedSteps);
    const declared = session.dispatchesPerStep;
    const dispatches = declared ?? (gpu && counted > 0 ? counted : null);
    const source = declared !== undefined ? 'declared' : dispatches === null ? null : 'counted';
    const result: CaseResult = {
      ...base,
      status: 'ok',
      setup_s,
      warmup_s,
      warmup_steps: warmupSteps,
      steps_per_run: steps,
      runs,
      steps_per_s: stepsPerSecond,
      samples_per_s: stepsPerSecond * workload.itemsPerStep,
      ms_per_step: 1000 / stepsPerSecond,
      dispatches_per_step: dispatches,
      dispatches_source: source,
      submits_per_step: gpu ? perStep(after, before, 'submits', timedSteps) : null,
      maps_per_step: gpu ? perStep(after, before, 'maps', timedSteps) : null,
      loss_first: finiteOrNull(lossFirst),
      loss_last: finiteOrNull(lossLast),
      loss_decreased:
        lossFirst === null || lossLast === null
          ? null
          : Number.isFinite(lossFirst) && Number.isFinite(lossLast) && lossLast < lossFirst,
      last_minibatch_loss: finiteOrNull(lastLoss),
      case_s: 0,
    };
    if (session.info) result.info = session.info;
    return result;
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { ...base, status: 'error', reason: e.message, stack: e.stack ?? '', case_s: 0 };
  } finally {
    try {
      await session?.dispose();
    } catch (error) {
      context.log(`dispose failed: ${String(error)}`);
    }
  }
}

/**
 * Times cases: setup, warm-up and calibration, the sanity loss, the timed runs, dispose.
 *
 * Timing: `performance.now()` around `session.run(n)`, which includes the case's own sync at
 * the end. The first call (1 step) absorbs compilation and lazy allocation; calibration then
 * doubles n (or more) until one call lasts ≥ ¼ of the target, and the timed runs use
 * n = ⌈target × measured rate⌉ (at least 1 step, so one very slow step is one run); with
 * `fixedSteps` (--steps N) there is no calibration and every timed run is N steps.
 *
 * Flowfield and each peer are timed *paired* (measureGroup): rounds of one Flowfield run and one
 * peer run, so round i's ratio ours ÷ peer compares two runs made seconds apart, and a slow
 * minute of this shared machine slows both sides of a ratio instead of one (bench/README.md).
 */
import { median, OURS } from '../report.mjs';
import { gpuCounts, type GpuCounts } from './gpu-counters';
import type { BenchOptions, CaseResult, TimedRun } from './results';
import type { BenchCase, BenchContext, Session } from './types';

const MAX_STEPS_PER_RUN = 100_000;

function now(): number {
  return performance.now() / 1000;
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function describe(benchCase: BenchCase) {
  const { workload, implementation } = benchCase;
  return {
    id: benchCase.id,
    group: workload.group,
    family: workload.family,
    kind: workload.kind,
    impl: implementation.impl,
    config: workload.config,
    items_per_step: workload.itemsPerStep,
  };
}

function failed(benchCase: BenchCase, error: unknown, started: number): CaseResult {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    ...describe(benchCase),
    status: 'error',
    reason: e.message,
    stack: e.stack ?? '',
    case_s: now() - started,
  };
}

/** A case set up and calibrated, collecting its timed runs. */
class TimedCase {
  readonly runs: TimedRun[] = [];
  private readonly counted: GpuCounts = { dispatches: 0, submits: 0, maps: 0 };
  private lastLoss: unknown;

  private constructor(
    readonly benchCase: BenchCase,
    private readonly session: Session,
    private readonly started: number,
    private readonly setupSeconds: number,
    private readonly warmupSeconds: number,
    private readonly warmupSteps: number,
    readonly steps: number,
    private readonly lossFirst: number | null,
  ) {}

  /** Setup, warm-up, calibration and the first evaluation loss; a result if any of it failed. */
  static async prepare(
    benchCase: BenchCase,
    options: BenchOptions,
    context: BenchContext,
  ): Promise<TimedCase | CaseResult> {
    const started = now();
    const { workload, implementation } = benchCase;
    if (implementation.missing) {
      return {
        ...describe(benchCase),
        status: 'missing',
        reason: implementation.missing,
        case_s: 0,
      };
    }
    let session: Session | undefined;
    try {
      session = await implementation.setup(workload, context);
      const setupSeconds = now() - started;

      // Warm-up: the first step pays for compilation; then calibrate the steps per timed run.
      const warmupStart = now();
      if (!workload.oneStepPerRun) await session.run(1);
      let warmupSteps = workload.oneStepPerRun ? 0 : 1;
      let steps = options.fixedSteps ?? 1;
      const quarter = options.targetSeconds / 4;
      while (!workload.oneStepPerRun && !options.fixedSteps) {
        const start = now();
        await session.run(steps);
        const seconds = now() - start;
        warmupSteps += steps;
        if (seconds >= quarter || steps >= MAX_STEPS_PER_RUN) {
          const rate = steps / Math.max(seconds, 1e-6);
          steps = Math.min(MAX_STEPS_PER_RUN, Math.max(1, Math.ceil(options.targetSeconds * rate)));
          break;
        }
        const grow = Math.ceil(quarter / Math.max(seconds, 1e-6));
        steps = Math.min(MAX_STEPS_PER_RUN, steps * Math.min(16, Math.max(2, grow)));
      }
      const warmupSeconds = now() - warmupStart;
      const lossFirst = TimedCase.trains(benchCase, session) ? await session.evalLoss!() : null;
      return new TimedCase(
        benchCase,
        session,
        started,
        setupSeconds,
        warmupSeconds,
        warmupSteps,
        steps,
        lossFirst,
      );
    } catch (error) {
      await TimedCase.release(benchCase, session, context);
      return failed(benchCase, error, started);
    }
  }

  private static trains(benchCase: BenchCase, session: Session): boolean {
    return benchCase.workload.kind === 'train' && session.evalLoss !== undefined;
  }

  private static async release(
    benchCase: BenchCase,
    session: Session | undefined,
    context: BenchContext,
  ) {
    try {
      await session?.dispose();
    } catch (error) {
      context.log(`${benchCase.id}: dispose failed: ${String(error)}`);
    }
  }

  /** One timed run of `steps` steps. */
  async timedRun(): Promise<TimedRun> {
    const before = gpuCounts();
    const start = now();
    this.lastLoss = await this.session.run(this.steps);
    const seconds = now() - start;
    const after = gpuCounts();
    for (const key of ['dispatches', 'submits', 'maps'] as const) {
      this.counted[key] += after[key] - before[key];
    }
    const run = { steps: this.steps, seconds, steps_per_s: this.steps / seconds };
    this.runs.push(run);
    return run;
  }

  /** The last evaluation loss, dispose, and the result. */
  async finish(context: BenchContext, paired: boolean): Promise<CaseResult> {
    const { benchCase, session } = this;
    try {
      const lossLast = TimedCase.trains(benchCase, session) ? await session.evalLoss!() : null;
      const stepsPerSecond = median(this.runs.map((run) => run.steps_per_s));
      const timedSteps = this.steps * this.runs.length;
      const gpu = benchCase.implementation.impl !== 'tfjs-wasm';
      const perStep = (key: keyof GpuCounts) => (gpu ? this.counted[key] / timedSteps : null);
      const counted = perStep('dispatches');
      const declared = session.dispatchesPerStep;
      const dispatches = declared ?? (counted !== null && counted > 0 ? counted : null);
      const { workload } = benchCase;
      const lossFirst = finiteOrNull(this.lossFirst);
      const lossLastValue = finiteOrNull(lossLast);
      const result: CaseResult = {
        ...describe(benchCase),
        status: 'ok',
        setup_s: this.setupSeconds,
        warmup_s: this.warmupSeconds,
        warmup_steps: this.warmupSteps,
        steps_per_run: this.steps,
        runs: this.runs,
        paired,
        steps_per_s: stepsPerSecond,
        samples_per_s: stepsPerSecond * workload.itemsPerStep,
        ms_per_step: 1000 / stepsPerSecond,
        dispatches_per_step: dispatches,
        dispatches_source:
          declared !== undefined ? 'declared' : dispatches === null ? null : 'counted',
        submits_per_step: perStep('submits'),
        maps_per_step: perStep('maps'),
        loss_first: lossFirst,
        loss_last: lossLastValue,
        loss_decreased:
          this.lossFirst === null || lossLast === null
            ? null
            : Number.isFinite(this.lossFirst) &&
              Number.isFinite(lossLast) &&
              (lossLast as number) < this.lossFirst,
        last_minibatch_loss: finiteOrNull(this.lastLoss),
        case_s: now() - this.started,
      };
      if (session.info) result.info = session.info;
      return result;
    } catch (error) {
      return failed(benchCase, error, this.started);
    } finally {
      await TimedCase.release(benchCase, session, context);
    }
  }
}

/** Runs one case alone and returns its result, with `case_s` the wall time from setup to dispose. */
export async function measureCase(
  benchCase: BenchCase,
  options: BenchOptions,
  context: BenchContext,
): Promise<CaseResult> {
  const prepared = await TimedCase.prepare(benchCase, options, context);
  if (!(prepared instanceof TimedCase)) return prepared;
  try {
    for (let r = 0; r < options.runs; r++) await prepared.timedRun();
  } catch (error) {
    await prepared.finish(context, false);
    return failed(benchCase, error, now());
  }
  return prepared.finish(context, false);
}

/**
 * Times the cases of one group. Flowfield is paired with each peer in turn: Flowfield is set up
 * once; then for each peer, the peer is set up and `options.runs` rounds each time one run of
 * Flowfield and one of the peer (Flowfield first in even rounds, the peer first in odd ones), and
 * the peer is disposed before the next one is set up (the TF.js peers share one global backend,
 * so two of them cannot be live at once). Flowfield's runs of a peer's rounds are kept in that
 * peer's result (`paired_runs`), so ratio i compares two runs made seconds apart. A group without
 * Flowfield or without peers is timed case by case. Results come back in the order of `cases`.
 */
export async function measureGroup(
  cases: readonly BenchCase[],
  options: BenchOptions,
  context: BenchContext,
): Promise<CaseResult[]> {
  const oursIndex = cases.findIndex((c) => c.implementation.impl === OURS);
  if (oursIndex < 0 || cases.length < 2) {
    const results: CaseResult[] = [];
    for (const benchCase of cases) results.push(await measureCase(benchCase, options, context));
    return results;
  }
  const results: CaseResult[] = [];
  const ours = await TimedCase.prepare(cases[oursIndex]!, options, context);
  // Set when one of Flowfield's runs threw: the peers after that are timed alone.
  let oursFailure: CaseResult | undefined;
  for (const [index, benchCase] of cases.entries()) {
    if (index === oursIndex) continue;
    if (!(ours instanceof TimedCase) || oursFailure) {
      results[index] = await measureCase(benchCase, options, context);
      continue;
    }
    const peer = await TimedCase.prepare(benchCase, options, context);
    if (!(peer instanceof TimedCase)) {
      results[index] = peer;
      continue;
    }
    const oursRuns: TimedRun[] = [];
    let peerFailure: CaseResult | undefined;
    rounds: for (let round = 0; round < options.runs; round++) {
      const order: TimedCase[] = round % 2 === 0 ? [ours, peer] : [peer, ours];
      for (const timed of order) {
        try {
          const run = await timed.timedRun();
          if (timed === ours) oursRuns.push(run);
        } catch (error) {
          const failure = failed(timed.benchCase, error, now());
          if (timed === ours) oursFailure = failure;
          else peerFailure = failure;
          break rounds;
        }
      }
    }
    // Flowfield failed mid-rounds: the peer finishes its runs alone.
    while (oursFailure && !peerFailure && peer.runs.length < options.runs) {
      try {
        await peer.timedRun();
      } catch (error) {
        peerFailure = failed(peer.benchCase, error, now());
      }
    }
    const paired = !oursFailure && !peerFailure;
    const peerResult = await peer.finish(context, paired);
    results[index] =
      peerFailure ?? (paired ? { ...peerResult, paired_runs: oursRuns } : peerResult);
  }
  if (ours instanceof TimedCase) {
    const oursResult = await ours.finish(context, true);
    results[oursIndex] = oursFailure ?? oursResult;
  } else {
    results[oursIndex] = ours;
  }
  return results;
}

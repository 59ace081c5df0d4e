/**
 * What the page sends to bench/run.mjs (through `window.__benchEmit`), one JSON message at a
 * time. bench/run.mjs turns them into the table and bench/results.json.
 */
import type { CsvBenchResult } from '../../src/data/csv-bench';
import type { DiffusionQualityResult } from '../diffusion-quality';
import type { StraightnessResult } from '../straightness';
import type { NiceParityResult } from '../nice-parity';
import type { QualityResult } from '../quality';
import type { Config, Family, Impl, Kind } from './types';

export interface TimedRun {
  steps: number;
  seconds: number;
  steps_per_s: number;
}

export interface CaseResult {
  id: string;
  group: string;
  family: Family;
  kind: Kind;
  impl: Impl;
  config: Config;
  items_per_step: number;
  /** `missing`: no implementation yet (reason says why); `error`: it threw (reason, stack). */
  status: 'ok' | 'missing' | 'error';
  reason?: string;
  stack?: string;
  /** Seconds for setup (build, compile, allocate) and for the warm-up/calibration steps. */
  setup_s?: number;
  warmup_s?: number;
  warmup_steps?: number;
  steps_per_run?: number;
  runs?: TimedRun[];
  /** Timed paired with Flowfield (or, for Flowfield, with each peer): measure.ts, measureGroup. */
  paired?: boolean;
  /** A paired peer's result: Flowfield's runs of the same rounds, run i beside this case's run i. */
  paired_runs?: TimedRun[];
  /** Median over the timed runs. */
  steps_per_s?: number;
  samples_per_s?: number;
  ms_per_step?: number;
  /** Per step, over the timed runs; null where nothing was counted (WASM, or work in a worker). */
  dispatches_per_step?: number | null;
  dispatches_source?: 'declared' | 'counted' | null;
  submits_per_step?: number | null;
  maps_per_step?: number | null;
  /** Evaluation loss on a fixed batch before the first and after the last timed run. */
  loss_first?: number | null;
  loss_last?: number | null;
  /** loss_last < loss_first; null where no loss applies (sampling) or none is reported. */
  loss_decreased?: boolean | null;
  /** The last minibatch loss a run returned, when the implementation returns one. */
  last_minibatch_loss?: number | null;
  /** The session's `info` (backend, flags, ...). */
  info?: Readonly<Record<string, unknown>>;
  case_s: number;
}

export interface PageEnvironment {
  userAgent: string;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
  adapter: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isFallbackAdapter: boolean | null;
    features: string[];
    limits: Record<string, number>;
  } | null;
  adapterError?: string;
}

export interface BenchOptions {
  filter: string[];
  quick: boolean;
  runs: number;
  targetSeconds: number;
  /**
   * Steps of every timed run, calibration skipped (the one warm-up step still absorbs
   * compilation); null: calibrate to `targetSeconds`. For groups whose steps last seconds
   * (the U-Net), where calibration costs a whole step of every implementation.
   */
  fixedSteps?: number | null;
  /** Training steps of the quality table (0: no quality table). */
  qualitySteps: number;
  /** Training steps of the diffusion quality-vs-NFE table (0: none). */
  diffusionQualitySteps: number;
  /** Only the data/kind pairs containing one of these terms (empty: all). */
  diffusionQualityOnly: string[];
  /** Training steps of the straightness table (independent / minibatch-OT / reflow; 0: none). */
  straightnessSteps: number;
  /** Steps of the NICE parity run against PyTorch (0: none). */
  niceParitySteps?: number;
}

export type PageMessage =
  | { type: 'environment'; environment: PageEnvironment; options: BenchOptions }
  | { type: 'plan'; cases: string[] }
  | { type: 'start'; id: string }
  | { type: 'log'; id: string; message: string }
  | { type: 'case'; result: CaseResult }
  | { type: 'quality'; result: QualityResult }
  | { type: 'diffusion-quality'; result: DiffusionQualityResult }
  | { type: 'straightness'; result: StraightnessResult }
  | { type: 'nice-parity'; result: NiceParityResult }
  | { type: 'csv'; result: CsvBenchResult }
  | { type: 'done'; seconds: number };

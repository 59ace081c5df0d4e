// Types of bench/report.mjs for the TypeScript that imports it (test/bench/).
import type { CaseResult } from './harness/results';

export interface RatioEntry {
  group: string;
  metric: 'steps_per_s' | 'samples_per_s';
  peer: string;
  flowfield: number | null;
  peer_value: number | null;
  ratio: number | null;
  ratio_of_medians: number | null;
  paired_ratios: number[] | null;
  ratio_min: number | null;
  ratio_max: number | null;
  note: string | null;
}

export const OURS: 'flowfield';
export function median(values: readonly number[]): number;
export function pairedRatios(peer: CaseResult): number[] | null;
export function computeRatios(results: CaseResult[]): RatioEntry[];
export function formatTable(results: CaseResult[], ratios: RatioEntry[]): string;

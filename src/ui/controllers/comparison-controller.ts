/**
 * The Compare cells' results (not part of the notebook: they are recomputed): measures the
 * models a Compare cell names on the same data samples, one comparison per cell at a time.
 */
import type { NotebookStore } from '../../notebook';
import { comparePlan, computeComparison, type Comparison } from '../compare-cell/comparison';
import { errorMessage } from '../error-message';
import type { LabClient } from './lab-client';
import type { RunView } from './run-view';

/** What the comparisons need of their owner. */
export interface ComparisonHost {
  readonly store: NotebookStore;
  readonly client: LabClient;
  run(trainId: string): RunView;
  /** A comparison changed: re-render. */
  changed(): void;
}

export class ComparisonController {
  /** Results of Compare cells, by cell id. */
  readonly comparisons = new Map<string, Comparison>();

  constructor(private readonly host: ComparisonHost) {}

  comparison(compareId: string): Comparison | undefined {
    return this.comparisons.get(compareId);
  }

  /** Measures the models a Compare cell names on the same data samples. */
  async compare(compareId: string): Promise<void> {
    const { store, client } = this.host;
    const cell = store.cell(compareId);
    if (!cell || cell.kind !== 'compare') return;
    if (this.comparisons.get(compareId)?.state === 'computing') return;
    const runOf = (trainId: string) => this.host.run(trainId);
    const plan = comparePlan(store.notebook, cell, runOf);
    if ('error' in plan) {
      this.set(compareId, { state: 'failed', rows: [], error: plan.error });
      return;
    }
    this.set(compareId, { state: 'computing', rows: [] });
    let result: Comparison;
    try {
      result = await computeComparison(client, store.notebook, cell, plan.targets, runOf);
    } catch (error) {
      result = { state: 'failed', rows: [], error: errorMessage(error) };
    }
    this.set(compareId, result);
  }

  private set(compareId: string, comparison: Comparison): void {
    this.comparisons.set(compareId, comparison);
    this.host.changed();
  }
}

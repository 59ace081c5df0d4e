/**
 * Weights of Train cells between the run state and the outside world (links, files, the
 * gallery), and the exact-replay check. An import goes through the worker (importWeights), and
 * the run shows the worker's report of it ('done' at the weights' step), so a model whose
 * weights were imported looks to the rest of the UI like one trained to that step.
 */
import { trainInputs, type Notebook, type NotebookStore } from '../../notebook';
import { IDLE_RUN, type LabController, type RunView } from '../controllers/lab-controller';
import type { RunProgress } from '../controllers/lab-client';
import { withProgress } from '../controllers/run-view';
import { errorMessage } from '../error-message';
import type { ShareableClient, RunWeights } from './weights-client';

/** One Train cell's weights, as links and files carry them. */
export interface TrainWeights extends RunWeights {
  trainId: string;
  steps: number;
}

/** The run key the controller uses to tell whether a model must be re-created (same format). */
export function runKey(notebook: Notebook, trainId: string): string | undefined {
  const { model, data } = trainInputs(notebook, trainId);
  if (!model || !data) return undefined;
  return JSON.stringify({ data: data.source, model: model.model });
}

/** Runs that hold trained parameters (a model exists and has taken steps or got weights). */
export function trainedRuns(lab: LabController, notebook: Notebook): string[] {
  return notebook.cells
    .filter((cell) => cell.kind === 'train')
    .map((cell) => cell.id)
    .filter((id) => {
      const run = lab.run(id);
      return run.step > 0 && ['done', 'paused', 'stopped'].includes(run.state);
    });
}

export async function exportTrainWeights(
  lab: LabController,
  client: ShareableClient,
  trainId: string,
): Promise<TrainWeights> {
  const weights = await client.exportWeights(trainId);
  return { ...weights, trainId, steps: lab.run(trainId).step };
}

/**
 * Creates the model of a Train cell from the notebook's cells and loads `weights` into it, then
 * samples: the View cells show the trained model without any training. `changed` re-renders.
 */
export async function importTrainWeights(
  lab: LabController,
  client: ShareableClient,
  store: NotebookStore,
  weights: TrainWeights,
  changed: () => void,
): Promise<void> {
  const { trainId } = weights;
  const { model, data } = trainInputs(store.notebook, trainId);
  if (!model || !data) {
    throw new Error(`Weights for ${trainId} came with no Model and Data cell above it.`);
  }
  const key = runKey(store.notebook, trainId)!;
  let current: RunView | undefined;
  const set = (run: RunView) => {
    lab.runs.set(trainId, run);
    current = run;
    lab.revision++;
    changed();
  };
  // Reset or replaced while this import waited (another notebook opened): its run is not ours
  // any more, and must not come back as this import's.
  const superseded = () => lab.runs.get(trainId) !== current;
  // 'preparing' and 'failed' are the page's own only while no report of the worker exists.
  set({ ...IDLE_RUN, state: 'preparing', key });
  let report: RunProgress;
  try {
    await client.createRun(trainId, { data: data.source, model: model.model, train: model.train });
    if (superseded()) return;
    report = await client.importWeights(trainId, weights, weights.steps);
  } catch (error) {
    if (superseded()) return;
    set({ ...IDLE_RUN, key, state: 'failed', error: errorMessage(error) });
    throw error;
  }
  if (superseded()) return;
  // What the run is now (state, step) is the worker's report of the import, shown as any report.
  set({ ...withProgress({ ...IDLE_RUN, key }, report), generation: ++importGeneration });
  await lab.sample(trainId, true);
}

/**
 * Model generations of imported runs: GPU views redraw when a run's generation changes, so an
 * import gets a number of its own, far from the controller's small counter.
 */
let importGeneration = 1_000_000_000;

export type ReplayState = 'identical' | 'diverged' | 'checking';

export interface ReplayStatus {
  state: ReplayState;
  message: string;
}

export const REPLAY_MESSAGES: Record<ReplayState, string> = {
  identical: 'replay identical ✓',
  diverged: 'replay diverged (different browser/GPU?)',
  checking: 'checking the replay…',
};

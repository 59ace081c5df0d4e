/**
 * Actions that would throw away work, made safe: deleting a cell can be undone (a Train cell
 * keeps its trained model until the undo is no longer offered), and resetting a trained model
 * or opening another notebook over trained models asks first. Offers and questions are the
 * app's banner; nothing here touches the GPU side except through the LabController.
 */
import type { Cell, NotebookStore } from '../../notebook';
import type { LabController } from '../controllers/lab-controller';
import { KIND_NAMES } from '../notebook-view/notebook-view';
import type { Banner } from './banner';

/** What these actions need of the app: its notebook, its runs and its banner. */
export interface GuardHost {
  readonly store: NotebookStore;
  readonly lab: LabController | undefined;
  showBanner(banner: Banner | undefined): void;
}

function cellTitle(app: GuardHost, cell: Cell): string {
  const index = app.store.notebook.cells.findIndex((c) => c.id === cell.id);
  return `${KIND_NAMES[cell.kind]} ${index + 1}`;
}

/** Trained steps of Train cell `id` (0 when it has no model). */
function trainedSteps(app: GuardHost, id: string): number {
  return app.lab?.run(id).step ?? 0;
}

/** Deletes cell `id` and offers Undo; a Train cell's model is released only once it is gone. */
export function deleteCell(app: GuardHost, id: string): void {
  const store = app.store;
  const cell = store.cell(id);
  if (!cell) return;
  const index = store.notebook.cells.indexOf(cell);
  const title = cellTitle(app, cell);
  const steps = cell.kind === 'train' ? trainedSteps(app, id) : 0;
  if (cell.kind === 'train') void app.lab?.pause(id);
  store.dispatch({ type: 'remove', id });
  let undone = false;
  app.showBanner({
    kind: 'info',
    title: `Deleted ${title}.`,
    text: steps > 0 ? `Its model (${steps} trained steps) is kept while you can undo.` : '',
    actions: [
      {
        label: 'Undo',
        run: () => {
          undone = true;
          store.dispatch({ type: 'insert', cell, index });
          app.showBanner(undefined);
        },
      },
    ],
    onGone: () => {
      if (!undone && cell.kind === 'train' && !store.cell(id)) void app.lab?.reset(id);
    },
  });
}

/** Resets Train cell `id`; a model with trained steps is discarded only when the user says so. */
export function resetRun(app: GuardHost, id: string): void {
  const steps = trainedSteps(app, id);
  const cell = app.store.cell(id);
  if (steps === 0 || !cell) {
    void app.lab?.reset(id);
    return;
  }
  app.showBanner({
    kind: 'info',
    title: `Reset ${cellTitle(app, cell)}?`,
    question: true,
    text: `Its model, trained for ${steps} steps, will be discarded.`,
    actions: [
      {
        label: 'Reset',
        run: () => {
          app.showBanner(undefined);
          void app.lab?.reset(id);
        },
      },
      { label: 'Keep it', run: () => app.showBanner(undefined) },
    ],
  });
}

/**
 * Runs `open` (which replaces the notebook) at once when no model has been trained, else after
 * the user confirms: the notebook is autosaved, but trained models live only in the GPU worker.
 */
export function openOverTrained(app: GuardHost, what: string, open: () => Promise<unknown>): void {
  const trained = app.store.notebook.cells
    .filter((cell) => cell.kind === 'train' && trainedSteps(app, cell.id) > 0)
    .map((cell) => cell.id);
  if (trained.length === 0) {
    void open();
    return;
  }
  const models = trained
    .map((id) => {
      const cell = app.store.cell(id);
      return `${cell ? cellTitle(app, cell) : id}: ${trainedSteps(app, id)} steps`;
    })
    .join(', ');
  app.showBanner({
    kind: 'info',
    title: `Open ${what}?`,
    question: true,
    text:
      `The trained model${trained.length > 1 ? 's' : ''} of this notebook (${models}) will be ` +
      'discarded; the notebook itself stays in Recent. Files → Save file keeps models too.',
    actions: [
      {
        label: 'Open',
        run: () => {
          app.showBanner(undefined);
          void open();
        },
      },
      { label: 'Cancel', run: () => app.showBanner(undefined) },
    ],
  });
}

/**
 * Which cells a Train or View cell uses: the nearest cell of the needed kind above it. Pure
 * functions of the cell order, so reordering cells rewires them predictably.
 */
import type { Cell, DataCell, ModelCell, Notebook, TrainCell } from './schema';

function nearestAbove<K extends Cell['kind']>(
  cells: readonly Cell[],
  index: number,
  kind: K,
): Extract<Cell, { kind: K }> | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const cell = cells[i]!;
    if (cell.kind === kind) return cell as Extract<Cell, { kind: K }>;
  }
  return undefined;
}

export interface TrainInputs {
  model?: ModelCell;
  data?: DataCell;
}

/** The model (nearest above the train cell) and its data (nearest above that model). */
export function trainInputs(notebook: Notebook, trainId: string): TrainInputs {
  const index = notebook.cells.findIndex((cell) => cell.id === trainId);
  if (index < 0) return {};
  const model = nearestAbove(notebook.cells, index, 'model');
  if (!model) return {};
  const modelIndex = notebook.cells.indexOf(model);
  return { model, data: nearestAbove(notebook.cells, modelIndex, 'data') };
}

/** The Train cell a View cell shows (nearest above it). */
export function viewSource(notebook: Notebook, viewId: string): TrainCell | undefined {
  const index = notebook.cells.findIndex((cell) => cell.id === viewId);
  return index < 0 ? undefined : nearestAbove(notebook.cells, index, 'train');
}

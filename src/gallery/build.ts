/**
 * Small builders for the gallery notebooks: every cell starts from the app's defaults
 * (createCell), so a gallery notebook is exactly what a user could have built by hand.
 */
import {
  createCell,
  NOTEBOOK_VERSION,
  type Cell,
  type CompareCell,
  type DataCell,
  type DataSource,
  type ModelCell,
  type ModelKind,
  type ModelSettings,
  type Notebook,
  type NoteCell,
  type TrainCell,
  type TrainSettings,
  type ViewCell,
  familyOf,
} from '../notebook';

export function note(id: string, markdown: string): NoteCell {
  return { ...(createCell('note', id) as NoteCell), markdown };
}

export function data(id: string, title: string, source: DataSource): DataCell {
  return { ...(createCell('data', id) as DataCell), title, source };
}

export function model(
  id: string,
  title: string,
  kind: ModelKind,
  settings: Partial<ModelSettings>,
  train: Partial<TrainSettings>,
): ModelCell {
  const base = createCell('model', id) as ModelCell;
  return {
    ...base,
    title,
    model: { ...base.model, family: familyOf(kind), kind, ...settings },
    train: { ...base.train, ...train },
  };
}

export function train(id: string): TrainCell {
  return createCell('train', id) as TrainCell;
}

export function view(id: string, settings: Partial<Omit<ViewCell, 'id' | 'kind'>> = {}): ViewCell {
  return { ...(createCell('view', id) as ViewCell), ...settings };
}

export function compare(id: string, trainIds: string[]): CompareCell {
  return { ...(createCell('compare', id) as CompareCell), trainIds };
}

export function notebook(title: string, cells: Cell[]): Notebook {
  return { version: NOTEBOOK_VERSION, title, cells };
}

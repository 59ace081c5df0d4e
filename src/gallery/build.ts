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
  type ImageModelSettings,
  type ModelCell,
  type ModelKind,
  type ModelSettings,
  type Notebook,
  type NoteCell,
  type TrainCell,
  type TrainSettings,
  type ViewCell,
  familyOf,
  IMAGE_TRAIN_DEFAULTS,
} from '../notebook';

export interface GalleryEntry {
  /** File name stem in public/gallery/ (lowercase, digits, dashes). */
  name: string;
  title: string;
  /** One line for the gallery list. */
  summary: string;
  notebook: Notebook;
}

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

/** A Model cell holding an image model (its 2-D settings stay at the defaults, unused). */
export function imageModel(
  id: string,
  title: string,
  image: ImageModelSettings,
  seed: number,
  train: Partial<TrainSettings>,
): ModelCell {
  const base = createCell('model', id) as ModelCell;
  return {
    ...base,
    title,
    model: { ...base.model, seed, image },
    train: { ...base.train, ...IMAGE_TRAIN_DEFAULTS, ...train },
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

/**
 * Image sources of Data cells: how they are named in the UI and in messages, the hash that ties
 * a user's image-files reference to its pixels, and why a Model or Train cell's model cannot
 * learn its data (a 2-D model over an image set, an image model over points).
 */
import { IMAGE_MODEL_KINDS_INFO } from './image-models';
import { trainInputs } from './links';
import {
  IMAGE_SET_CLASSES,
  type Cell,
  type DataCell,
  type DataSource,
  type ImageFilesSource,
  type Notebook,
  type ShippedImagesSource,
} from './schema';

export type ImageSource = ShippedImagesSource | ImageFilesSource;

const SET_TITLES: Record<ShippedImagesSource['name'], string> = {
  mnist: 'MNIST',
  'fashion-mnist': 'Fashion-MNIST',
};

export function isImageSource(source: DataSource | undefined): source is ImageSource {
  return source?.kind === 'images' || source?.kind === 'image-files';
}

/** "MNIST 14×14 (test split; classes 3, 5)" or "your images “digits.zip” (120 of 28×28 grey)". */
export function describeImageSource(source: ImageSource): string {
  if (source.kind === 'image-files') {
    const colour = source.channels === 1 ? 'grey' : 'RGB';
    return `your images “${source.label}” (${source.count} of ${source.size}×${source.size} ${colour})`;
  }
  const details: string[] = [];
  if (source.split && source.split !== 'train') {
    details.push(source.split === 'all' ? 'both splits' : 'test split');
  }
  if (source.classes) {
    const names = IMAGE_SET_CLASSES[source.name];
    details.push(`classes ${source.classes.map((c) => names[c]).join(', ')}`);
  }
  const title = `${SET_TITLES[source.name]} ${source.size}×${source.size}`;
  return details.length ? `${title} (${details.join('; ')})` : title;
}

/** The class names of an image source's labels ([] for an unlabelled set of files). */
export function imageClassNames(source: ImageSource): readonly string[] {
  return source.kind === 'images' ? IMAGE_SET_CLASSES[source.name] : source.classNames;
}

/**
 * SHA-256 (64 lowercase hex digits) of an image set's pixels followed by its labels (none for
 * an unlabelled set): what an image-files reference stores, so that files dropped again (or
 * carried by a file) are known to be the same set.
 */
export async function imageSetHash(pixels: Uint8Array, labels?: Uint8Array): Promise<string> {
  const bytes = new Uint8Array(pixels.length + (labels?.length ?? 0));
  bytes.set(pixels);
  if (labels) bytes.set(labels, pixels.length);
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The Data cell a Model cell learns from: the nearest one above it. */
export function dataCellAbove(notebook: Notebook, cellId: string): DataCell | undefined {
  const index = notebook.cells.findIndex((cell) => cell.id === cellId);
  for (let i = index - 1; i >= 0; i--) {
    const cell: Cell = notebook.cells[i]!;
    if (cell.kind === 'data') return cell;
  }
  return undefined;
}

/**
 * Why a Model or Train cell's model cannot learn its data, saying what to choose instead: a 2-D
 * model over an image set, or an image model over 2-D points. '' when model and data are of a
 * kind (or either is missing: the cells say so themselves).
 */
export function imageDataProblem(notebook: Notebook, cellId: string): string {
  const cell = notebook.cells.find((c) => c.id === cellId);
  const { model, data } =
    cell?.kind === 'train'
      ? trainInputs(notebook, cellId)
      : cell?.kind === 'model'
        ? { model: cell, data: dataCellAbove(notebook, cellId) }
        : { model: undefined, data: undefined };
  if (!model || !data) return '';
  const where = `The Data cell “${data.title || 'Data'}” above`;
  const image = model.model.image;
  if (isImageSource(data.source)) {
    return image ? '' : imagesNotTrainable(data.source, where);
  }
  if (!image) return '';
  return (
    `This Model cell holds an image model, ${IMAGE_MODEL_KINDS_INFO[image.kind].name}, but the ` +
    `Data cell “${data.title || 'Data'}” above holds 2-D points. Choose a 2-D model (a flow, ` +
    'DDPM or flow matching) in the Model cell, or an image set in the Data cell.'
  );
}

/** The message for a 2-D model asked to learn from an image source. */
export function imagesNotTrainable(source: ImageSource, where = 'This Data cell'): string {
  return (
    `${where} holds an image set, ${describeImageSource(source)}, and the 2-D models learn ` +
    'points in the plane. Choose an image model in the Model cell (NICE on images, or flow ' +
    'matching with a U-Net), or a 2-D source (Built-in, Paste points or Draw) in the Data cell.'
  );
}

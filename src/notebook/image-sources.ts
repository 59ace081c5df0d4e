/**
 * Image sources of Data cells: how they are named in the UI and in messages, the hash that ties
 * a user's image-files reference to its pixels, and why Model and Train cells cannot use an
 * image set yet (the 2-D models train on points; image models arrive with issue #16).
 */
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
function dataAbove(notebook: Notebook, cellId: string): DataCell | undefined {
  const index = notebook.cells.findIndex((cell) => cell.id === cellId);
  for (let i = index - 1; i >= 0; i--) {
    const cell: Cell = notebook.cells[i]!;
    if (cell.kind === 'data') return cell;
  }
  return undefined;
}

/**
 * Why a Model or Train cell cannot use its data: the Data cell it would learn from holds an
 * image set, and the models here are 2-D models. '' when its data are points (or it has none).
 */
export function imageDataProblem(notebook: Notebook, cellId: string): string {
  const cell = notebook.cells.find((c) => c.id === cellId);
  const data =
    cell?.kind === 'train'
      ? trainInputs(notebook, cellId).data
      : cell?.kind === 'model'
        ? dataAbove(notebook, cellId)
        : undefined;
  if (!data || !isImageSource(data.source)) return '';
  return imagesNotTrainable(data.source, `The Data cell “${data.title || 'Data'}” above`);
}

/** The message for a model asked to learn from an image source. */
export function imagesNotTrainable(source: ImageSource, where = 'This Data cell'): string {
  return (
    `${where} holds an image set, ${describeImageSource(source)}; the models here are 2-D ` +
    'models, which learn points in the plane. Image models (NICE on digits and flow matching ' +
    'with a U-Net are in the library, lab.createModel; RealNVP/Glow and DDPM to follow) reach ' +
    'notebooks with issue #16. To train now, choose a 2-D source ' +
    '(Built-in, Paste points or Draw) in the Data cell; the image set can stay in a Data cell of its own.'
  );
}

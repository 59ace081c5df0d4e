/**
 * The image sources of Data cells: opening them on the GPU side with progress, their preview
 * grids, and the user's own files. A user's set is read on the page (readImageFiles), hashed,
 * kept here by hash, and referenced by the notebook (an 'image-files' source): its pixels are
 * megabytes, which links do not carry; files dropped again are matched by their hash. A file
 * that cannot be used leaves the notebook as it was and says why in the cell.
 */
import {
  describeImageSource,
  imageSetHash,
  isImageSource,
  type DataCell,
  type ImageFilesSource,
  type ImageSetData,
  type NotebookStore,
} from '../../notebook';
import { readImageFiles } from '../../export';
import { errorMessage } from '../error-message';
import type { ImageLoadState, ImagePixels, ImagePreview, LabClient } from './lab-client';

/** Sample images a Data cell shows. */
export const PREVIEW_IMAGES = 16;

/** What a Data cell with an image source shows. */
export interface ImageCellState {
  /** The source (JSON) this state is for. */
  key: string;
  /** While opening: bytes loaded so far. */
  progress?: ImageLoadState;
  preview?: ImagePreview;
  /** Why the set could not be opened (a missing asset, pixels a link did not carry). */
  error?: string;
  /** While dropped files are read: how many. */
  reading?: number;
  /** Why dropped files were not used (the notebook is unchanged), or files that were skipped. */
  filesError?: string;
  filesNotes?: string[];
}

export class ImageSetController {
  readonly states = new Map<string, ImageCellState>();
  /** The pixels of the user's sets, by hash (what 'image-files' sources reference). */
  private readonly pixels = new Map<string, ImagePixels>();

  constructor(
    private readonly client: LabClient,
    private readonly store: NotebookStore,
    private readonly changed: () => void,
  ) {}

  private set(cellId: string, state: ImageCellState): void {
    this.states.set(cellId, state);
    this.changed();
  }

  /** Opens the cell's image source and draws its preview, unless that is already done. */
  async preview(cell: DataCell): Promise<void> {
    const source = cell.source;
    if (!isImageSource(source)) return;
    const key = JSON.stringify(source);
    const old = this.states.get(cell.id);
    if (old?.key === key) return;
    const keep = { filesError: old?.filesError, filesNotes: old?.filesNotes };
    const current = () => this.states.get(cell.id)?.key === key;
    const pixels = source.kind === 'image-files' ? this.pixels.get(source.hash) : undefined;
    if (source.kind === 'image-files' && !pixels) {
      this.set(cell.id, { key, ...keep, error: missingPixels(source) });
      return;
    }
    if (!this.client.imagePreview) {
      this.set(cell.id, { key, error: 'This GPU side cannot open image sets.' });
      return;
    }
    this.set(cell.id, { key, ...keep, progress: { loaded: 0, total: undefined } });
    try {
      const preview = await this.client.imagePreview(source, pixels, PREVIEW_IMAGES, (p) => {
        const state = this.states.get(cell.id);
        if (current() && state?.progress) this.set(cell.id, { ...state, progress: p });
      });
      if (current()) this.set(cell.id, { key, ...keep, preview });
    } catch (error) {
      if (current()) this.set(cell.id, { key, ...keep, error: errorMessage(error) });
    }
  }

  /** Every user set in memory, for a .flowfield.json file (it keeps those its notebook uses). */
  carried(): ImageSetData[] {
    return [...this.pixels].map(([hash, set]) => ({
      hash,
      count: set.count,
      channels: set.channels,
      size: set.height,
      pixels: set.pixels,
      ...(set.labels ? { labels: set.labels } : {}),
    }));
  }

  /**
   * Takes the sets a file carried, each only if its bytes hash to its reference's hash (else
   * the Data cell says its pixels are not here, as for a link).
   */
  async adopt(sets: readonly ImageSetData[]): Promise<void> {
    for (const set of sets) {
      if ((await imageSetHash(set.pixels, set.labels)) !== set.hash) continue;
      const { count, channels, size, pixels, labels } = set;
      const images = { count, channels, height: size, width: size, pixels };
      this.pixels.set(set.hash, labels ? { ...images, labels } : images);
    }
  }

  /**
   * Reads dropped or picked files into a user's set and points the Data cell at it. On failure
   * the cell keeps its source and shows the message.
   */
  async readFiles(cellId: string, files: readonly File[]): Promise<void> {
    const before = this.states.get(cellId);
    const base: ImageCellState = before ?? { key: '' };
    this.set(cellId, { ...base, reading: files.length, filesError: undefined, filesNotes: [] });
    try {
      const result = await readImageFiles(files);
      const set = result.images;
      const hash = await imageSetHash(set.pixels, set.labels);
      this.pixels.set(hash, set);
      const cell = this.store.cell(cellId);
      if (cell?.kind !== 'data') return;
      const source: ImageFilesSource = {
        kind: 'image-files',
        label: files.length === 1 ? files[0]!.name : `${files.length} files`,
        count: set.count,
        channels: set.channels,
        size: set.height,
        classNames: result.classNames,
        hash,
        seed: cell.source.seed,
      };
      // A new key: the preview opens the set again (the same files dropped again included).
      this.set(cellId, { key: '', filesNotes: result.problems });
      this.store.dispatch({ type: 'update', id: cellId, patch: { source } });
      void this.preview(this.store.cell(cellId) as DataCell);
    } catch (error) {
      const now = this.states.get(cellId) ?? base;
      this.set(cellId, { ...now, reading: undefined, filesError: errorMessage(error) });
    }
  }
}

function missingPixels(source: ImageFilesSource): string {
  return (
    `This Data cell uses ${describeImageSource(source)}, whose pixels are not here: links do ` +
    'not carry them, and a reload forgets them. Drop the same files (or .zip) on this cell again, ' +
    'or open the .flowfield.json file saved with them.'
  );
}

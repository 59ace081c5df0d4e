/**
 * The image sources of Data cells: opening them on the GPU side with progress, their preview
 * grids, and the user's own files. A user's set is read on the page (readImageFiles), hashed,
 * kept here by hash, and referenced by the notebook (an 'image-files' source): its pixels are
 * megabytes, which links do not carry; files dropped again are matched by their hash. A file
 * that cannot be used leaves the notebook as it was and says why in the cell.
 *
 * The size (28, 14, 8) and colour (grey, RGB) the files are made at are the cell's choice:
 * before files are added it waits here; after, a new choice reads the same files again (the
 * controller keeps the File objects of each set it read) or, when the set came back without its
 * files (autosave, a .flowfield.json file), says to add them again. Autosave keeps the pixels
 * (AutosaveKeeper), so a reload finds them through adopt().
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

/** The sizes a user's image set can be made at (pixels a side; the "28×28 or smaller"). */
export const IMAGE_FILE_SIZES = [28, 14, 8] as const;
export type ImageFileSize = (typeof IMAGE_FILE_SIZES)[number];

/** The size and colour a cell's files are made at. */
export interface ImageFileChoice {
  size: ImageFileSize;
  channels: 1 | 3;
}

/** What files become without a choice: 28×28 grey, as before the choice existed. */
export const DEFAULT_IMAGE_FILE_CHOICE: ImageFileChoice = { size: 28, channels: 1 };

/** "14×14 RGB", "28×28 grey". */
export function describeChoice(choice: { size: number; channels: 1 | 3 }): string {
  return `${choice.size}×${choice.size} ${choice.channels === 3 ? 'RGB' : 'grey'}`;
}

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
  /** A size/colour chosen that the cell's set is not made at yet (absent: the source's). */
  choice?: ImageFileChoice;
  /** Why that choice did not apply (the files are not here to read again). */
  choiceNote?: string;
  /** The cell's 'image-files' pixels are not in this browser: it offers to add the files again. */
  missing?: boolean;
}

export class ImageSetController {
  readonly states = new Map<string, ImageCellState>();
  /** The pixels of the user's sets, by hash (what 'image-files' sources reference). */
  private readonly pixels = new Map<string, ImagePixels>();
  /** The files each set was read from, by hash (absent for sets that came back without them). */
  private readonly files = new Map<string, readonly File[]>();
  /** A cell's size/colour choice while its source is not made at it (before files, or pending). */
  private readonly choices = new Map<string, ImageFileChoice>();

  constructor(
    private readonly client: LabClient,
    private readonly store: NotebookStore,
    private readonly changed: () => void,
  ) {}

  private set(cellId: string, state: ImageCellState): void {
    const next: ImageCellState = { ...state };
    delete next.choice;
    const choice = this.choices.get(cellId);
    this.states.set(cellId, choice ? { ...next, choice } : next);
    this.changed();
  }

  /** Opens the cell's image source and draws its preview, unless that is already done. */
  async preview(cell: DataCell): Promise<void> {
    const source = cell.source;
    if (!isImageSource(source)) return;
    const key = JSON.stringify(source);
    const old = this.states.get(cell.id);
    if (old?.key === key) return;
    const keep = {
      filesError: old?.filesError,
      filesNotes: old?.filesNotes,
      choiceNote: old?.choiceNote,
    };
    const current = () => this.states.get(cell.id)?.key === key;
    const pixels = source.kind === 'image-files' ? this.pixels.get(source.hash) : undefined;
    if (source.kind === 'image-files' && !pixels) {
      this.set(cell.id, { key, ...keep, error: missingPixels(source), missing: true });
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

  /** The pixels of the user's set of this hash, when this page holds them (runs train on them). */
  pixelsOf(hash: string): ImagePixels | undefined {
    return this.pixels.get(hash);
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
      const choice = this.choiceOf(cellId);
      const result = await readImageFiles(files, choice);
      const set = result.images;
      const hash = await imageSetHash(set.pixels, set.labels);
      this.pixels.set(hash, set);
      this.files.set(hash, files);
      const cell = this.store.cell(cellId);
      if (cell?.kind !== 'data') return;
      // The source records the choice from now on.
      this.choices.delete(cellId);
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
      this.set(cellId, { key: '', filesNotes: result.problems, choiceNote: undefined });
      this.store.dispatch({ type: 'update', id: cellId, patch: { source } });
      void this.preview(this.store.cell(cellId) as DataCell);
    } catch (error) {
      const now = this.states.get(cellId) ?? base;
      this.set(cellId, { ...now, reading: undefined, filesError: errorMessage(error) });
    }
  }

  /** The size and colour the cell's next files are made at. */
  private choiceOf(cellId: string): ImageFileChoice {
    const chosen = this.choices.get(cellId);
    if (chosen) return chosen;
    const cell = this.store.cell(cellId);
    const source = cell?.kind === 'data' ? cell.source : undefined;
    if (source?.kind === 'image-files' && IMAGE_FILE_SIZES.includes(source.size as ImageFileSize))
      return { size: source.size as ImageFileSize, channels: source.channels };
    return DEFAULT_IMAGE_FILE_CHOICE;
  }

  /**
   * The user chose a size or colour for the cell's files: before files, it waits for them; for
   * a set read here, the same files are read again at it; for a set that came back without its
   * files, the cell says to add them again (the choice waits for them).
   */
  async choose(cellId: string, choice: ImageFileChoice): Promise<void> {
    const cell = this.store.cell(cellId);
    const source = cell?.kind === 'data' ? cell.source : undefined;
    const state = this.states.get(cellId) ?? { key: '' };
    const made =
      source?.kind === 'image-files' &&
      source.size === choice.size &&
      source.channels === choice.channels;
    if (made) this.choices.delete(cellId);
    else this.choices.set(cellId, choice);
    if (made || source?.kind !== 'image-files') {
      this.set(cellId, { ...state, choiceNote: undefined });
      return;
    }
    const files = this.files.get(source.hash);
    if (files) return this.readFiles(cellId, files);
    this.set(cellId, {
      ...state,
      choiceNote:
        `This browser holds the ${describeChoice(source)} pixels of “${source.label}” but not ` +
        'its files (the set came back from autosave or a .flowfield.json file), so they cannot ' +
        `be made ${describeChoice(choice)} here. Add the same files again and they will be; ` +
        'until then the cell keeps its images as they are.',
    });
  }
}

function missingPixels(source: ImageFilesSource): string {
  return (
    `This Data cell uses ${describeImageSource(source)}, whose images are not in this browser: ` +
    'links do not carry them, and autosave keeps only the most recent image sets (64 MiB in ' +
    'all). Add the same files (or .zip) again with the picker above or by dropping them on this ' +
    'cell, or open the .flowfield.json file saved with them. The rest of the notebook is intact.'
  );
}

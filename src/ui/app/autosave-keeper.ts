/**
 * The app's autosave: every change of the notebook is saved (debounced, flushed when the page is
 * hidden or left) under this tab's own record, invalid edits as a draft beside the last valid
 * version, trained weights beside the notebook, the pixels of the user's image sets by hash.
 * Nothing is skipped silently: what could not be kept is said in the app's autosave note or a
 * banner. Opening an autosave (boot, Recent, a draft) hands the image sets it references back to
 * the page before the notebook shows, so its Data cells find their images.
 */
import {
  MAX_AUTOSAVED_IMAGE_BYTES,
  MAX_AUTOSAVED_WEIGHT_BYTES,
  NotebookAutosave,
  NotebookError,
  parseNotebook,
  type AutosavedWeights,
  type DraftInfo,
  type ImageFilesSource,
  type ImageSetData,
  type Notebook,
  type NotebookStore,
} from '../../notebook';
import type { Banner } from './banner';
import { TabClaims } from './tab-claims';
import { errorMessage } from '../error-message';

/** Autosave waits this long after the last change (ms). */
export const AUTOSAVE_DELAY_MS = 300;

/** What the keeper needs of the app. */
export interface AutosaveHost {
  readonly store: NotebookStore;
  showBanner(banner: Banner | undefined): void;
  /** A standing line under the header about what autosave could not keep; undefined: all kept. */
  autosaveNote: string | undefined;
  /** The page's user image sets (absent until the GPU side is there, and in embeds). */
  readonly lab?: { readonly images: ImageSetHolder } | undefined;
}

/** Where the page keeps the pixels of the user's image sets (ImageSetController). */
export interface ImageSetHolder {
  /** Every set the page holds. */
  carried(): ImageSetData[];
  /** Takes sets back (each only if its bytes hash to its hash). */
  adopt(sets: readonly ImageSetData[]): Promise<void>;
}

/** The notebook's references to user image sets, by hash. */
function imageReferences(notebook: Notebook): Map<string, ImageFilesSource> {
  const out = new Map<string, ImageFilesSource>();
  for (const cell of notebook.cells) {
    if (cell.kind === 'data' && cell.source.kind === 'image-files')
      out.set(cell.source.hash, cell.source);
  }
  return out;
}

/** Why `notebook` does not validate, or undefined when it does. */
function problemOf(notebook: Notebook): string | undefined {
  try {
    parseNotebook(notebook);
    return undefined;
  } catch (error) {
    return error instanceof NotebookError ? error.message : errorMessage(error);
  }
}

export class AutosaveKeeper {
  private autosave: NotebookAutosave | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private pendingSave: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private claims: TabClaims | undefined;
  /** The record this tab saves to; undefined: the next save makes a new one. */
  private id: string | undefined;
  /** The standing note's parts: about other tabs, what the last save kept, the image sets. */
  private readonly notes: { tab?: string; save?: string; images?: string } = {};
  /** Hashes of image sets this notebook uses that are in the database (no need to write again). */
  private readonly keptImages = new Set<string>();

  constructor(private readonly host: AutosaveHost) {}

  /** Opens the database; false (and a banner saying so) when the browser refuses. */
  async open(dbName = 'flowfield-autosave'): Promise<boolean> {
    try {
      this.autosave = await NotebookAutosave.open(dbName);
    } catch (error) {
      this.host.showBanner({
        kind: 'info',
        title: 'Autosave is off.',
        text: `This browser would not open IndexedDB (${errorMessage(error)}); save your notebook as a file.`,
      });
      return false;
    }
    this.claims = new TabClaims(dbName);
    // A standing note, not a banner: a banner may be saying something more urgent (a broken
    // link), and this stays true for as long as both tabs are open.
    this.claims.onCopiedElsewhere = () =>
      this.note(
        'tab',
        'This notebook was opened in another tab too. That tab saves its own copy (it appears in Recent), so the two tabs do not overwrite each other.',
      );
    return true;
  }

  private note(part: 'tab' | 'save' | 'images', text: string | undefined): void {
    this.notes[part] = text;
    const all = [this.notes.tab, this.notes.save, this.notes.images].filter(Boolean);
    this.host.autosaveNote = all.length ? all.join(' ') : undefined;
  }

  get available(): boolean {
    return this.autosave !== undefined;
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    removeEventListener('pagehide', this.flushOnLeave);
    document.removeEventListener('visibilitychange', this.flushOnLeave);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.claims?.dispose();
    this.autosave?.close();
    this.autosave = undefined;
  }

  /** Saves every later change of the notebook. */
  start(): void {
    if (!this.autosave || this.unsubscribe) return;
    this.unsubscribe = this.host.store.subscribe(() => {
      if (this.saveTimer) clearTimeout(this.saveTimer);
      this.saveTimer = setTimeout(() => void this.flush(), AUTOSAVE_DELAY_MS);
    });
    // The debounce must not lose the last edit when the tab is closed or hidden (a phone may
    // discard a hidden tab without another event).
    addEventListener('pagehide', this.flushOnLeave);
    document.addEventListener('visibilitychange', this.flushOnLeave);
    this.autosave.onClosedByUpgrade = () => {
      this.autosave = undefined;
      this.host.showBanner({
        kind: 'error',
        title: 'Autosave stopped.',
        text: 'Flowfield was opened in another tab with a newer version of its storage. Save this notebook as a file (Files → Save file), then reload this tab.',
      });
    };
  }

  private readonly flushOnLeave = (event: Event): void => {
    const leaving = event.type === 'pagehide' || document.visibilityState === 'hidden';
    if (leaving && this.saveTimer) void this.flush();
  };

  /**
   * Saves now. A notebook with a setting out of range (the UI keeps what the user typed and
   * refuses to run) would not validate on restore: it is saved as a draft beside the last valid
   * version, and the note says why.
   */
  flush(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const autosave = this.autosave;
    if (!autosave) return Promise.resolve();
    const notebook = this.host.store.notebook;
    const problem = problemOf(notebook);
    this.pendingSave = this.pendingSave.then(async () => {
      try {
        const id = problem
          ? await autosave.saveDraft(notebook, problem, this.id)
          : await autosave.save(notebook, this.id);
        if (id !== this.id) {
          this.id = id;
          await this.claims?.claim(id);
        }
        this.note(
          'save',
          problem
            ? `Draft saved, but not as the notebook: ${problem} Autosave keeps the last valid version until the value is fixed; a reload offers the draft.`
            : undefined,
        );
        await this.keepImages(notebook);
      } catch (error) {
        this.host.showBanner({
          kind: 'error',
          title: 'Autosave failed.',
          text: `${errorMessage(error)} Save the notebook as a file to keep it.`,
        });
      }
    });
    return this.pendingSave;
  }

  /**
   * Makes record `id` this tab's. When another tab holds it, this tab will save a copy instead
   * (a new record), and both tabs say so.
   */
  async adopt(id: string): Promise<void> {
    if (!this.claims || (await this.claims.claim(id))) {
      this.id = id;
      return;
    }
    this.id = undefined;
    this.claims.announceCopy(id);
    this.note(
      'tab',
      'This notebook is open in another tab too. This tab saves its own copy (it appears in Recent), so the two tabs do not overwrite each other.',
    );
  }

  /** The next save starts a new record (a new notebook replaced the current one). */
  forget(): void {
    this.id = undefined;
    this.claims?.release();
    this.keptImages.clear();
    this.note('tab', undefined);
    this.note('save', undefined);
    this.note('images', undefined);
  }

  /**
   * Keeps the pixels of the image sets `notebook` references that the page holds and the
   * database does not have yet; a set over the cap is not kept, and the note says to save a file.
   */
  private async keepImages(notebook: Notebook): Promise<void> {
    const autosave = this.autosave;
    const references = imageReferences(notebook);
    const wanted = [...references.keys()].filter((hash) => !this.keptImages.has(hash));
    if (!autosave) return;
    if (!wanted.length) {
      this.note('images', undefined);
      return;
    }
    const held = this.host.lab?.images.carried() ?? [];
    const tooLarge: string[] = [];
    for (const hash of wanted) {
      const set = held.find((s) => s.hash === hash);
      // Not on the page (a link's reference): nothing to keep; its Data cell says so.
      if (!set) continue;
      const source = references.get(hash)!;
      try {
        if (await autosave.images.save({ ...set, classNames: source.classNames })) {
          this.keptImages.add(hash);
        } else {
          const bytes = set.pixels.byteLength + (set.labels?.byteLength ?? 0);
          const mib = (bytes / 2 ** 20).toFixed(1);
          tooLarge.push(`“${source.label}” (${mib} MiB)`);
        }
      } catch (error) {
        tooLarge.push(`“${source.label}” (${errorMessage(error)})`);
      }
    }
    this.note(
      'images',
      tooLarge.length
        ? `The images of ${tooLarge.join(', ')} were not autosaved (over the ${MAX_AUTOSAVED_IMAGE_BYTES / 2 ** 20} MiB autosave cap for image sets, or refused by the browser): save the notebook as a file (Files → Save file) so the images are kept.`
        : undefined,
    );
  }

  /**
   * Hands the autosaved image sets `notebook` references to the page, before it shows (a set
   * that is not in this browser stays missing: its Data cell says so and offers to add it).
   */
  private async bringImages(notebook: Notebook | undefined): Promise<void> {
    const autosave = this.autosave;
    const holder = this.host.lab?.images;
    if (!notebook || !autosave || !holder) return;
    const sets: ImageSetData[] = [];
    for (const hash of imageReferences(notebook).keys()) {
      const set = await autosave.images.load(hash);
      if (set) sets.push(set);
    }
    if (sets.length) await holder.adopt(sets);
  }

  async restoreLast(): Promise<{ id: string; notebook: Notebook } | undefined> {
    const last = await this.autosave?.restoreLast();
    await this.bringImages(last?.notebook);
    return last;
  }

  lastDraft(): Promise<DraftInfo | undefined> {
    return this.autosave?.lastDraft() ?? Promise.resolve(undefined);
  }

  async loadDraft(id: string): Promise<Notebook | undefined> {
    const draft = await this.autosave?.loadDraft(id);
    await this.bringImages(draft);
    return draft;
  }

  async load(id: string): Promise<Notebook | undefined> {
    const notebook = await this.autosave?.load(id);
    await this.bringImages(notebook);
    return notebook;
  }

  async recent(): Promise<{ id: string; title: string; savedAt: number }[]> {
    await this.pendingSave;
    return this.autosave ? this.autosave.recent(10) : [];
  }

  /**
   * Keeps the trained weights beside this tab's notebook (saving the notebook first, so they
   * have a record to belong to); over the cap, the note says they were not kept.
   */
  async saveWeights(weights: readonly AutosavedWeights[]): Promise<void> {
    await this.flush();
    const autosave = this.autosave;
    if (!autosave || !this.id || !weights.length) return;
    try {
      const kept = await autosave.saveWeights(this.id, weights);
      if (!kept) {
        const mib = weights.reduce((sum, w) => sum + w.params.byteLength, 0) / 2 ** 20;
        const cap = MAX_AUTOSAVED_WEIGHT_BYTES / 2 ** 20;
        this.note(
          'save',
          `The trained weights (${mib.toFixed(1)} MiB) are over the ${cap} MiB autosave cap and were not kept: save the notebook as a file (Files → Save file) to keep them.`,
        );
      }
    } catch (error) {
      this.note(
        'save',
        `The trained weights could not be autosaved (${errorMessage(error)}): save the notebook as a file to keep them.`,
      );
    }
  }

  /** The weights kept for record `id`. */
  async loadWeights(id: string): Promise<AutosavedWeights[]> {
    return this.autosave ? this.autosave.loadWeights(id) : [];
  }
}

/**
 * Where the app's notebook comes from: share links, files, the gallery, Recent and weights files.
 * Every loader validates first and only then replaces the notebook, so a broken link or file
 * leaves the current notebook as it was; the "Opening …" indicator shows each step, and the
 * boot guard (OpeningGuard) notes each opening until it has rendered.
 */
import {
  decodeShareLink,
  NotebookError,
  readNotebookFile,
  weightsForNotebook,
  type ModelWeights,
  type Notebook,
  type NotebookStore,
  type SharePayload,
} from '../../notebook';
import { galleryNotebook } from '../../gallery';
import type { LabClient } from '../controllers/lab-client';
import type { LabController } from '../controllers/lab-controller';
import { errorMessage } from '../error-message';
import { renderQueueIdle } from '../markdown/render-queue';
import type { AutosaveKeeper } from './autosave-keeper';
import type { Banner, Opening } from './banner';
import { linkFingerprint, type OpeningGuard } from './opening-guard';
import type { ReplayChecker } from './replay';
import { hasWeights, type ShareableClient } from './weights-client';
import { importTrainWeights, runKey } from './weights';

/** What opening notebooks needs of the app. */
export interface OpeningHost {
  readonly store: NotebookStore;
  readonly lab: LabController | undefined;
  readonly client: LabClient | undefined;
  readonly updateComplete: Promise<boolean>;
  /** The "Opening …" indicator (undefined: hidden). */
  opening: Opening | undefined;
  showBanner(banner: Banner | undefined): void;
  requestUpdate(): void;
}

export class NotebookOpening {
  /** Set by boot (the app, not the embed): notes each opening until it has rendered. */
  guard: OpeningGuard | undefined;
  /** How long the last gallery notebook took from the click to its first samples (ms). */
  lastGalleryOpen: { name: string; msToSamples: number; withWeights: boolean } | undefined;
  /** The gallery folder. */
  galleryBase = new URL('gallery/', document.baseURI).href;

  constructor(
    private readonly app: OpeningHost,
    private readonly keeper: AutosaveKeeper,
    private readonly replay: ReplayChecker,
  ) {}

  /** Loads the autosaved weights of record `id` into the Train cells they still fit. */
  async restoreWeights(id: string): Promise<void> {
    const notebook = this.app.store.notebook;
    const saved = await this.keeper.loadWeights(id);
    const fitting = saved.filter((w) => runKey(notebook, w.trainId) === w.runKey);
    if (fitting.length) await this.importAll(fitting);
  }

  /** The notebook is shown and its deferred rendering done: the opening finished. */
  async finishOpening(): Promise<void> {
    if (!this.guard) return;
    await this.app.updateComplete;
    await renderQueueIdle();
    this.guard.finish();
  }

  async openRecent(id: string): Promise<void> {
    await this.keeper.flush();
    this.guard?.begin('recent', 'a notebook from Recent');
    const notebook = await this.keeper.load(id);
    if (!notebook) {
      this.app.showBanner({
        kind: 'error',
        title: 'That notebook is gone.',
        text: 'It was removed or could not be read; the current notebook stays.',
      });
      this.guard?.finish();
      return;
    }
    await this.replace(notebook);
    await this.keeper.adopt(id);
    await this.restoreWeights(id);
    await this.finishOpening();
  }

  /** Replaces the notebook (its runs are released); the next autosave is a new record. */
  async replace(notebook: Notebook): Promise<void> {
    const lab = this.app.lab;
    if (lab) await Promise.all([...lab.runs.keys()].map((id) => lab.reset(id)));
    this.replay.reset(notebook);
    this.keeper.forget();
    this.app.store.dispatch({ type: 'replace', notebook });
    this.app.requestUpdate();
  }

  /** Opens a payload (link, file, gallery): the notebook, then each model's weights. */
  async openPayload(payload: SharePayload): Promise<void> {
    await this.show(payload);
    // Saved at once as a new record: a reload brings it back even before any edit.
    await this.keeper.flush();
    await this.finishOpening();
  }

  /** Saves the current notebook, then shows `payload` (its samples included). */
  private async show(payload: SharePayload): Promise<void> {
    await this.keeper.flush();
    await this.replace(payload.notebook);
    await this.importAll(payload.weights);
  }

  private async importAll(weights: readonly ModelWeights[]): Promise<void> {
    if (!weights.length) return;
    const lab = this.app.lab;
    const client = this.app.client;
    if (!lab || !hasWeights(client)) {
      this.app.showBanner({
        kind: 'info',
        title: 'Weights not loaded.',
        text: 'This notebook came with trained weights, but there is no GPU worker to load them into; press Run all to train.',
      });
      return;
    }
    const failures: string[] = [];
    this.step(
      weights.length === 1
        ? 'Loading its trained weights…'
        : `Loading the trained weights of ${weights.length} models…`,
    );
    for (const w of weights) {
      try {
        await this.importOne(lab, client, w);
      } catch (error) {
        failures.push(`${w.trainId}: ${errorMessage(error)}`);
      }
    }
    if (failures.length) {
      this.app.showBanner({
        kind: 'error',
        title: 'Some weights could not be loaded.',
        text: `${failures.join(' ')} Press Run all to train those models instead.`,
      });
    }
  }

  /** Loads one Train cell's weights, marked as imported: no replay check compares them. */
  async importOne(
    lab: LabController,
    client: ShareableClient,
    weights: ModelWeights,
  ): Promise<void> {
    await this.replay.imports(weights.trainId, () =>
      importTrainWeights(lab, client, this.app.store, weights, () => this.app.requestUpdate()),
    );
  }

  /**
   * Runs an opening with the "Opening …" indicator up (gallery, link, file: each can take
   * seconds, for the download, a long link's decoding, or the weights' import).
   */
  private async opening<T>(what: string, step: string, open: () => Promise<T>): Promise<T> {
    this.app.opening = { what, step };
    try {
      return await open();
    } finally {
      this.app.opening = undefined;
    }
  }

  /** Moves the "Opening …" indicator to its next step (no-op when nothing is opening). */
  private step(step: string): void {
    if (this.app.opening) this.app.opening = { ...this.app.opening, step };
  }

  /** Opens `nb=…`; false (and a banner naming the problem) when the link is broken. */
  async openLink(fragment: string): Promise<boolean> {
    return this.opening('the notebook of the link', 'Reading the link…', () =>
      this.openLinkNow(fragment),
    );
  }

  private async openLinkNow(fragment: string): Promise<boolean> {
    this.guard?.begin(linkFingerprint(fragment), 'a notebook from a link');
    let payload: SharePayload;
    try {
      payload = await decodeShareLink(fragment);
    } catch (error) {
      this.app.showBanner({
        kind: 'error',
        title: 'This link could not be opened; your notebook is unchanged.',
        text:
          error instanceof NotebookError
            ? `${error.message}${error.path ? ` (at ${error.path})` : ''}`
            : errorMessage(error),
      });
      this.guard?.finish();
      return false;
    }
    await this.openPayload(payload);
    return true;
  }

  async openFile(file: Blob): Promise<boolean> {
    return this.opening('the notebook file', 'Reading the file…', () => this.openFileNow(file));
  }

  private async openFileNow(file: Blob): Promise<boolean> {
    this.guard?.begin('file', 'a notebook file');
    let payload: SharePayload;
    try {
      payload = await readNotebookFile(await file.text());
      // Before the notebook shows: its image-files Data cells find their pixels.
      await this.app.lab?.images.adopt(payload.imageSets ?? []);
    } catch (error) {
      this.app.showBanner({
        kind: 'error',
        title: 'This file could not be opened; your notebook is unchanged.',
        text: errorMessage(error),
      });
      this.guard?.finish();
      return false;
    }
    await this.openPayload(payload);
    return true;
  }

  /** Opens a gallery notebook with its pretrained weights (public/gallery/<name>.flowfield.json). */
  async openGallery(name: string): Promise<void> {
    const title = galleryNotebook(name)?.title ?? name;
    return this.opening(`the gallery notebook “${title}”`, 'Downloading it…', () =>
      this.openGalleryNow(name),
    );
  }

  private async openGalleryNow(name: string): Promise<void> {
    const start = performance.now();
    this.guard?.begin('gallery', `the gallery notebook ${name}`);
    let payload: SharePayload | undefined;
    let problem = '';
    try {
      const response = await fetch(new URL(`${name}.flowfield.json`, this.galleryBase));
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      payload = await readNotebookFile(await response.text());
    } catch (error) {
      problem = errorMessage(error);
    }
    if (!payload) {
      const notebook = galleryNotebook(name);
      if (!notebook) {
        this.app.showBanner({ kind: 'error', title: 'No such gallery notebook.', text: name });
        this.guard?.finish();
        return;
      }
      payload = { notebook, weights: [] };
      this.app.showBanner({
        kind: 'info',
        title: 'Pretrained weights unavailable.',
        text: `${problem}. The notebook opened without them: press Run all to train it.`,
      });
    }
    await this.show(payload);
    this.lastGalleryOpen = {
      name,
      msToSamples: performance.now() - start,
      withWeights: payload.weights.length > 0,
    };
    await this.keeper.flush();
    await this.finishOpening();
  }

  /**
   * Files → Open weights, or a .safetensors file dropped on a Model cell (`modelId`): loads the
   * weights into the Train cell whose Model cell they fit, and its View cells sample at once. A
   * file that does not fit is refused with what was expected and received; the notebook stays.
   * The caller keeps them with the autosave.
   */
  async openWeights(file: Blob, modelId?: string): Promise<boolean> {
    const lab = this.app.lab;
    const client = this.app.client;
    const refuse = (text: string) => {
      this.app.showBanner({
        kind: 'error',
        title: 'These weights were not loaded; your notebook is unchanged.',
        text,
      });
      return false;
    };
    if (!lab || !hasWeights(client)) return refuse('There is no GPU worker to load them into.');
    let weights: ModelWeights;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      weights = weightsForNotebook(bytes, this.app.store.notebook, modelId ? { modelId } : {});
    } catch (error) {
      return refuse(errorMessage(error));
    }
    try {
      await this.importOne(lab, client, weights);
    } catch (error) {
      return refuse(`${weights.trainId}: ${errorMessage(error)}`);
    }
    return true;
  }
}

/**
 * Where the app's notebook comes from and goes to: share links, files, the gallery, autosave
 * and the recent list, plus the exact-replay check. Every loader validates first and only then
 * replaces the notebook, so a broken link or file leaves the current notebook as it was.
 */
import {
  decodeShareLink,
  encodeShareLink,
  modelSafetensors,
  NotebookError,
  readNotebookFile,
  notebookToFile,
  paramsHash,
  SHARE_LINK_BUDGET,
  trainInputs,
  type ModelWeights,
  weightsForNotebook,
  type Notebook,
  type SharePayload,
} from '../../notebook';
import { galleryNotebook } from '../../gallery';
// GPU-free: the exporter reads the notebook and draws the data with the samplers' CPU twins.
import { exportPytorchProject, zip } from '../../export';
import type { FfApp } from './app';
import { AutosaveKeeper } from './autosave-keeper';
import { linkFingerprint, OpeningGuard } from './opening-guard';
import { renderQueueIdle } from '../markdown/render-queue';
import type { ShareLink, ShareOptions } from '../share-dialog/share-dialog';
import { hasWeights, type ShareableClient } from './weights-client';
import {
  exportTrainWeights,
  importTrainWeights,
  REPLAY_MESSAGES,
  runKey,
  trainedRuns,
  type ReplayStatus,
  type TrainWeights,
} from './weights';
import { errorMessage } from '../error-message';

export { AUTOSAVE_DELAY_MS } from './autosave-keeper';

/** A file name from a notebook title: letters, digits and dashes. */
export function fileStem(title: string): string {
  const stem = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return stem || 'notebook';
}

export interface Download {
  name: string;
  type: string;
  bytes: Uint8Array;
}

export class NotebookSession {
  /** Exact-replay results by Train cell id. */
  readonly replay = new Map<string, ReplayStatus>();
  /** The run key each Train cell's `expected` hash belongs to (set when a notebook is loaded). */
  private readonly expectedKeys = new Map<string, string>();
  /** Train cells whose parameters were imported (not trained here): no replay check. */
  private readonly imported = new Set<string>();
  private readonly importing = new Set<string>();
  private readonly keeper: AutosaveKeeper;
  /** Set by boot (the app, not the embed): notes each opening until it has rendered. */
  private guard: OpeningGuard | undefined;
  /** The last file handed to the browser (tests read it). */
  lastDownload: Download | undefined;
  /** How long the last gallery notebook took from the click to its first samples (ms). */
  lastGalleryOpen: { name: string; msToSamples: number; withWeights: boolean } | undefined;
  /** The app's own URL (links point there) and the gallery folder. */
  appUrl = `${location.origin}${location.pathname}`;
  galleryBase = new URL('gallery/', document.baseURI).href;

  constructor(private readonly app: FfApp) {
    this.keeper = new AutosaveKeeper(app);
  }

  dispose(): void {
    this.keeper.dispose();
  }

  // ─── boot and autosave ──────────────────────────────────────────────────────────────────

  /**
   * The app's start: a `#nb=` link in `hash` opens that notebook (with its weights); a broken
   * link says why in a banner and the last autosave (or the default notebook) stays; without a
   * link the last autosave is restored. Then every change is autosaved.
   */
  boot(options: { hash?: string; autosaveDb?: string } = {}): Promise<void> {
    this.booted = this.bootNow(options);
    return this.booted;
  }

  /** Settles when the last boot() has opened its notebook (link or autosave, weights included). */
  booted: Promise<void> = Promise.resolve();

  private async bootNow(options: { hash?: string; autosaveDb?: string }): Promise<void> {
    const { hash = location.hash, autosaveDb } = options;
    this.guard = new OpeningGuard(autosaveDb ?? 'flowfield-autosave');
    await this.keeper.open(autosaveDb);
    const fragment = hash.replace(/^#/, '');
    const link = fragment.startsWith('nb=') ? fragment : undefined;
    // The boot guard: the last opening did not finish (the page froze or crashed while it
    // opened). Opening the same thing again by itself could freeze the page again: ask.
    const pending = this.guard.pending();
    if (pending && (!link || pending.source === linkFingerprint(link))) {
      this.askAboutPending(pending.label, link);
      return;
    }
    await this.bootOpen(link);
  }

  /** Boot's opening: the link, else the last autosave; then autosave every change. */
  private async bootOpen(link: string | undefined): Promise<void> {
    let opened = false;
    if (link) opened = await this.openLink(link);
    if (!opened && this.keeper.available) {
      this.guard?.begin('autosave', 'the last autosaved notebook');
      const last = await this.keeper.restoreLast();
      if (last) {
        await this.replace(last.notebook);
        await this.keeper.adopt(last.id);
        await this.restoreWeights(last.id);
      }
      await this.finishOpening();
      await this.offerDraft();
    }
    this.keeper.start();
  }

  /** The last autosave holds a newer draft that did not validate: say so and offer it. */
  private async offerDraft(): Promise<void> {
    const draft = await this.keeper.lastDraft();
    if (!draft) return;
    this.app.showBanner({
      kind: 'info',
      title: 'Your newest edit was kept as a draft.',
      text: `It was not valid (${draft.problem}), so the last valid version of the notebook opened. Open the draft to go on from your edit.`,
      actions: [
        {
          label: 'Open the draft',
          run: () => void this.openDraft(draft.id),
        },
      ],
    });
  }

  private async openDraft(id: string): Promise<void> {
    this.app.showBanner(undefined);
    const draft = await this.keeper.loadDraft(id);
    if (!draft) {
      this.app.showBanner({
        kind: 'error',
        title: 'The draft could not be read.',
        text: 'The last valid version stays open.',
      });
      return;
    }
    await this.replace(draft);
    await this.keeper.adopt(id);
  }

  /** Loads the autosaved weights of record `id` into the Train cells they still fit. */
  private async restoreWeights(id: string): Promise<void> {
    const notebook = this.app.store.notebook;
    const saved = await this.keeper.loadWeights(id);
    const fitting = saved.filter((w) => runKey(notebook, w.trainId) === w.runKey);
    if (fitting.length) await this.importAll(fitting);
  }

  /** Keeps the trained weights of every trained Train cell beside the autosaved notebook. */
  async autosaveWeights(): Promise<void> {
    if (!this.keeper.available) return;
    const notebook = this.app.store.notebook;
    const weights = (await this.weights()).flatMap((w) => {
      const key = runKey(notebook, w.trainId);
      return key ? [{ ...w, runKey: key }] : [];
    });
    await this.keeper.saveWeights(weights);
  }

  private askAboutPending(label: string, link: string | undefined): void {
    this.app.showBanner({
      kind: 'error',
      title: 'The last notebook did not finish opening.',
      text: `Flowfield was opening ${label} when the page stopped (it may be too heavy for this device, or the page was closed while it loaded), so it is not opened again by itself. Open it anyway, or start fresh with the starting notebook (it stays in Recent).`,
      // Dismissing is starting fresh: the app must not sit without autosave.
      onDismiss: () => this.startFresh(),
      actions: [
        {
          label: 'Open anyway',
          run: () => {
            this.app.showBanner(undefined);
            void this.bootOpen(link);
          },
        },
        {
          label: 'Start fresh',
          run: () => {
            this.app.showBanner(undefined);
            this.startFresh();
          },
        },
      ],
    });
  }

  private startFresh(): void {
    this.guard?.finish();
    this.keeper.start();
  }

  /** The notebook is shown and its deferred rendering done: the opening finished. */
  private async finishOpening(): Promise<void> {
    if (!this.guard) return;
    await this.app.updateComplete;
    await renderQueueIdle();
    this.guard.finish();
  }

  /** Saves now (the debounced save calls this; tests too). */
  flushAutosave(): Promise<void> {
    return this.keeper.flush();
  }

  recent(): Promise<{ id: string; title: string; savedAt: number }[]> {
    return this.keeper.recent();
  }

  async openRecent(id: string): Promise<void> {
    await this.flushAutosave();
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

  // ─── opening ────────────────────────────────────────────────────────────────────────────

  /** Replaces the notebook (its runs are released); the next autosave is a new record. */
  private async replace(notebook: Notebook): Promise<void> {
    const lab = this.app.lab;
    if (lab) await Promise.all([...lab.runs.keys()].map((id) => lab.reset(id)));
    this.replay.clear();
    this.imported.clear();
    this.expectedKeys.clear();
    for (const cell of notebook.cells) {
      const key = cell.kind === 'train' && cell.expected ? runKey(notebook, cell.id) : undefined;
      if (key) this.expectedKeys.set(cell.id, key);
    }
    this.keeper.forget();
    this.app.store.dispatch({ type: 'replace', notebook });
    this.app.requestUpdate();
  }

  /** Opens a payload (link, file, gallery): the notebook, then each model's weights. */
  async openPayload(payload: SharePayload): Promise<void> {
    await this.show(payload);
    // Saved at once as a new record: a reload brings it back even before any edit.
    await this.flushAutosave();
    await this.finishOpening();
  }

  /** Saves the current notebook, then shows `payload` (its samples included). */
  private async show(payload: SharePayload): Promise<void> {
    await this.flushAutosave();
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
  private async importOne(
    lab: NonNullable<FfApp['lab']>,
    client: ShareableClient,
    weights: ModelWeights,
  ): Promise<void> {
    this.importing.add(weights.trainId);
    this.imported.add(weights.trainId);
    try {
      await importTrainWeights(lab, client, this.app.store, weights, () =>
        this.app.requestUpdate(),
      );
    } catch (error) {
      this.imported.delete(weights.trainId);
      throw error;
    } finally {
      this.importing.delete(weights.trainId);
    }
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
    await this.flushAutosave();
    await this.finishOpening();
  }

  // ─── sharing and files ──────────────────────────────────────────────────────────────────

  trainedRuns(): string[] {
    const lab = this.app.lab;
    return lab && hasWeights(this.app.client) ? trainedRuns(lab, this.app.store.notebook) : [];
  }

  /** Exact float32 weights of every trained Train cell. */
  async weights(): Promise<TrainWeights[]> {
    const lab = this.app.lab;
    const client = this.app.client;
    if (!lab || !hasWeights(client)) return [];
    const out: TrainWeights[] = [];
    for (const id of trainedRuns(lab, this.app.store.notebook)) {
      out.push(await exportTrainWeights(lab, client, id));
    }
    return out;
  }

  /**
   * The notebook with each trained Train cell's `expected` set to its step count and parameter
   * hash, so that whoever replays the link learns whether the replay was bit-identical.
   */
  async withExpectations(weights: readonly TrainWeights[]): Promise<Notebook> {
    const notebook = this.app.store.notebook;
    const expected = new Map<string, { steps: number; paramsHash: string }>();
    for (const w of weights) {
      expected.set(w.trainId, { steps: w.steps, paramsHash: await paramsHash(w.params) });
    }
    return {
      ...notebook,
      cells: notebook.cells.map((cell) =>
        cell.kind === 'train' && expected.has(cell.id)
          ? { ...cell, expected: expected.get(cell.id)! }
          : cell,
      ),
    };
  }

  private link(fragment: string): ShareLink {
    return { fragment, url: `${this.appUrl}#${fragment}` };
  }

  async shareOptions(): Promise<ShareOptions> {
    const weights = await this.weights();
    const notebook = await this.withExpectations(weights);
    const settings = this.link(await encodeShareLink({ notebook, weights: [] }));
    let withWeights: ShareOptions['weights'];
    if (weights.length) {
      try {
        withWeights = this.link(
          await encodeShareLink({ notebook, weights }, { weights: 'float16' }),
        );
      } catch (error) {
        withWeights = { error: errorMessage(error) };
      }
    }
    return {
      settings,
      ...(withWeights ? { weights: withWeights } : {}),
      replayable: weights.length,
      budget: SHARE_LINK_BUDGET,
      embedScript: new URL('embed.js', this.appUrl).href,
    };
  }

  async share(): Promise<void> {
    try {
      await this.app.shareDialog.show(await this.shareOptions());
    } catch (error) {
      this.app.showBanner({
        kind: 'error',
        title: 'Could not make a link.',
        text: errorMessage(error),
      });
    }
  }

  private download(name: string, type: string, bytes: Uint8Array): void {
    this.lastDownload = { name, type, bytes };
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.hidden = true;
    this.app.renderRoot.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /** The notebook with its exact float32 weights as .flowfield.json. */
  async saveFile(): Promise<void> {
    try {
      const weights = await this.weights();
      const notebook = await this.withExpectations(weights);
      const imageSets = this.app.lab?.images.carried() ?? [];
      const text = notebookToFile({ notebook, weights, imageSets });
      this.download(
        `${fileStem(notebook.title)}.flowfield.json`,
        'application/json',
        new TextEncoder().encode(text),
      );
    } catch (error) {
      this.app.showBanner({
        kind: 'error',
        title: 'Could not save the file.',
        text: errorMessage(error),
      });
    }
  }

  /**
   * Files → Open weights, or a .safetensors file dropped on a Model cell (`modelId`): loads the
   * weights into the Train cell whose Model cell they fit, and its View cells sample at once. A
   * file that does not fit is refused with what was expected and received; the notebook stays.
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
    // Kept like trained weights: a reload brings them back.
    await this.autosaveWeights();
    return true;
  }

  /** One model's weights as safetensors, with its settings in the metadata. */
  async exportSafetensors(trainId: string): Promise<void> {
    const lab = this.app.lab;
    const client = this.app.client;
    const model = trainInputs(this.app.store.notebook, trainId).model;
    if (!lab || !hasWeights(client) || !model) return;
    try {
      const weights = await exportTrainWeights(lab, client, trainId);
      this.download(
        `${fileStem(this.app.store.notebook.title)}-${trainId}.safetensors`,
        'application/octet-stream',
        modelSafetensors(weights, model.model),
      );
    } catch (error) {
      this.app.showBanner({
        kind: 'error',
        title: 'Could not export weights.',
        text: errorMessage(error),
      });
    }
  }

  /**
   * The notebook as a PyTorch project (.zip): flowfield_torch/, config.json, the data, train.py,
   * sample.py, README.md, and the trained weights of the exported Train cell when it has some.
   * Exports the first trained Train cell (else the first Train cell).
   */
  async exportPytorch(): Promise<void> {
    try {
      const weights = await this.weights();
      const notebook = this.app.store.notebook;
      const trainId = weights[0]?.trainId;
      const files = exportPytorchProject(notebook, { ...(trainId ? { trainId } : {}), weights });
      const stem = `${fileStem(notebook.title)}-pytorch`;
      this.download(
        `${stem}.zip`,
        'application/zip',
        zip(files.map((f) => ({ path: `${stem}/${f.path}`, bytes: f.bytes }))),
      );
    } catch (error) {
      this.app.showBanner({
        kind: 'error',
        title: 'Could not export the PyTorch project.',
        text: errorMessage(error),
      });
    }
  }

  // ─── exact replay ───────────────────────────────────────────────────────────────────────

  /**
   * Called after every render: a Train cell with an `expected` hash whose run (with the settings
   * the hash belongs to) has just reached `expected.steps` gets its parameters hashed and
   * compared. Imported weights are not replays and are never checked.
   */
  checkReplays(): void {
    const lab = this.app.lab;
    if (!lab) return;
    const notebook = this.app.store.notebook;
    for (const cell of notebook.cells) {
      if (cell.kind !== 'train' || !cell.expected) continue;
      const id = cell.id;
      const run = lab.run(id);
      if (run.state === 'idle' || (run.state === 'preparing' && !this.importing.has(id))) {
        // A fresh model: whatever was imported or checked before is gone.
        this.imported.delete(id);
        if (this.replay.get(id)?.state !== 'checking') this.replay.delete(id);
        continue;
      }
      if (this.imported.has(id) || this.replay.has(id)) continue;
      if (run.step !== cell.expected.steps) continue;
      if (!['done', 'paused', 'stopped'].includes(run.state)) continue;
      if (this.expectedKeys.get(id) !== runKey(notebook, id)) continue;
      // Marked now (this runs inside a render); shown with the next one.
      this.replay.set(id, { state: 'checking', message: REPLAY_MESSAGES.checking });
      void this.verify(id, cell.expected.paramsHash);
    }
  }

  private async verify(trainId: string, expected: string): Promise<void> {
    const lab = this.app.lab;
    const client = this.app.client;
    if (!lab || !hasWeights(client)) return;
    let state: ReplayStatus['state'];
    try {
      const weights = await exportTrainWeights(lab, client, trainId);
      state = (await paramsHash(weights.params)) === expected ? 'identical' : 'diverged';
    } catch {
      this.replay.delete(trainId);
      this.app.requestUpdate();
      return;
    }
    this.replay.set(trainId, { state, message: REPLAY_MESSAGES[state] });
    this.app.requestUpdate();
  }
}

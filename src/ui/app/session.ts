/**
 * Where the app's notebook comes from and goes to, as one object the app holds: the boot (link,
 * else the last autosave, with the boot guard's question when the last opening did not finish)
 * and the autosave of notebooks and weights here; opening links, files, the gallery and Recent
 * in opening.ts, sharing and exports in share-export.ts, the exact-replay check in replay.ts.
 * Each of those has a narrow host; this composition gives them the app and one another.
 */
import type { SharePayload } from '../../notebook';
import type { ShareOptions } from '../share-dialog/share-dialog';
import { AutosaveKeeper, type AutosaveHost } from './autosave-keeper';
import { linkFingerprint, OpeningGuard } from './opening-guard';
import { NotebookOpening, type OpeningHost } from './opening';
import { ReplayChecker } from './replay';
import { ShareExport, type Download, type ShareExportHost } from './share-export';
import { runKey, type ReplayStatus, type TrainWeights } from './weights';

export { AUTOSAVE_DELAY_MS } from './autosave-keeper';
export { fileStem, type Download } from './share-export';

/** What the session needs of the app: what each of its parts needs. */
export type SessionHost = AutosaveHost & OpeningHost & ShareExportHost;

export class NotebookSession {
  private readonly keeper: AutosaveKeeper;
  private readonly checker: ReplayChecker;
  private readonly opening: NotebookOpening;
  private readonly out: ShareExport;

  constructor(private readonly app: SessionHost) {
    this.keeper = new AutosaveKeeper(app);
    this.checker = new ReplayChecker(app);
    this.opening = new NotebookOpening(app, this.keeper, this.checker);
    this.out = new ShareExport(app);
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
    this.opening.guard = new OpeningGuard(autosaveDb ?? 'flowfield-autosave');
    await this.keeper.open(autosaveDb);
    const fragment = hash.replace(/^#/, '');
    const link = fragment.startsWith('nb=') ? fragment : undefined;
    // The boot guard: the last opening did not finish (the page froze or crashed while it
    // opened). Opening the same thing again by itself could freeze the page again: ask.
    const pending = this.opening.guard.pending();
    if (pending && (!link || pending.source === linkFingerprint(link))) {
      this.askAboutPending(pending.label, link);
      return;
    }
    await this.bootOpen(link);
  }

  /** Boot's opening: the link, else the last autosave; then autosave every change. */
  private async bootOpen(link: string | undefined): Promise<void> {
    let opened = false;
    if (link) opened = await this.opening.openLink(link);
    if (!opened && this.keeper.available) {
      this.opening.guard?.begin('autosave', 'the last autosaved notebook');
      const last = await this.keeper.restoreLast();
      if (last) {
        await this.opening.replace(last.notebook);
        await this.keeper.adopt(last.id);
        await this.opening.restoreWeights(last.id);
      }
      await this.opening.finishOpening();
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
    await this.opening.replace(draft);
    await this.keeper.adopt(id);
  }

  /** Keeps the trained weights of every trained Train cell beside the autosaved notebook. */
  async autosaveWeights(): Promise<void> {
    if (!this.keeper.available) return;
    const notebook = this.app.store.notebook;
    const weights = (await this.out.weights()).flatMap((w) => {
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
    this.opening.guard?.finish();
    this.keeper.start();
  }

  /** Saves now (the debounced save calls this; tests too). */
  flushAutosave(): Promise<void> {
    return this.keeper.flush();
  }

  recent(): Promise<{ id: string; title: string; savedAt: number }[]> {
    return this.keeper.recent();
  }

  // ─── opening (opening.ts) ────────────────────────────────────────────────────────────────

  /** How long the last gallery notebook took from the click to its first samples (ms). */
  get lastGalleryOpen(): NotebookOpening['lastGalleryOpen'] {
    return this.opening.lastGalleryOpen;
  }

  /** The gallery folder (the embed points it next to its script). */
  get galleryBase(): string {
    return this.opening.galleryBase;
  }

  set galleryBase(url: string) {
    this.opening.galleryBase = url;
  }

  openRecent(id: string): Promise<void> {
    return this.opening.openRecent(id);
  }

  openPayload(payload: SharePayload): Promise<void> {
    return this.opening.openPayload(payload);
  }

  openLink(fragment: string): Promise<boolean> {
    return this.opening.openLink(fragment);
  }

  openFile(file: Blob): Promise<boolean> {
    return this.opening.openFile(file);
  }

  openGallery(name: string): Promise<void> {
    return this.opening.openGallery(name);
  }

  /** Loads a weights file into the Train cell it fits; kept like trained weights (autosave). */
  async openWeights(file: Blob, modelId?: string): Promise<boolean> {
    const loaded = await this.opening.openWeights(file, modelId);
    if (loaded) await this.autosaveWeights();
    return loaded;
  }

  // ─── sharing and files (share-export.ts) ─────────────────────────────────────────────────

  /** The last file handed to the browser (tests read it). */
  get lastDownload(): Download | undefined {
    return this.out.lastDownload;
  }

  /** The app's own URL: links point there (the embed sets its own). */
  get appUrl(): string {
    return this.out.appUrl;
  }

  set appUrl(url: string) {
    this.out.appUrl = url;
  }

  trainedRuns(): string[] {
    return this.out.trainedRuns();
  }

  weights(): Promise<TrainWeights[]> {
    return this.out.weights();
  }

  shareOptions(): Promise<ShareOptions> {
    return this.out.shareOptions();
  }

  share(): Promise<void> {
    return this.out.share();
  }

  saveFile(): Promise<void> {
    return this.out.saveFile();
  }

  exportSafetensors(trainId: string): Promise<void> {
    return this.out.exportSafetensors(trainId);
  }

  exportPytorch(): Promise<void> {
    return this.out.exportPytorch();
  }

  // ─── exact replay (replay.ts) ──────────────────────────────────────────────────────────

  /** Exact-replay results by Train cell id. */
  get replay(): ReadonlyMap<string, ReplayStatus> {
    return this.checker.replay;
  }

  /** Called after every render: checks the replays that just reached their expected step. */
  checkReplays(): void {
    this.checker.check();
  }
}

// Over 400 lines on purpose: the shell's one render (header, toolbar, files, banners, notebook) and its event wiring; the logic lives in session.ts, the controllers and chrome.ts.
import { LitElement, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { defaultNotebook, NotebookStore, type Notebook } from '../../notebook';
import type { LabClient } from '../controllers/lab-client';
import { LabController } from '../controllers/lab-controller';
import type { FfEvents, TrainCommand } from '../events';
import '../gpu-status/gpu-status';
import '../gallery/gallery';
import '../share-dialog/share-dialog';
import type { FfGallery } from '../gallery/gallery';
import type { FfShareDialog } from '../share-dialog/share-dialog';
import { EMPTY_LOOKUP } from '../notebook-view/notebook-view';
import { cellStyles } from '../shared.styles';
import { appStyles } from './app.styles';
import type { Banner, Opening } from './banner';

export type { Banner, Opening };
import { applyChrome } from './chrome';
import { NotebookSession } from './session';
import type { ReplayStatus } from './weights';
import { rememberedTheme, rememberTheme, type Theme } from './preferences';
import { deleteCell, openOverTrained, resetRun } from './guarded-actions';

export type { Theme };

/** A message across the top: a link or file that could not be opened, autosave being off. */

/**
 * The app shell: header (adapter, WebGPU status, Share, files, Gallery, Recent, theme, help),
 * the notebook, keyboard shortcuts. It owns the notebook store and the LabController, and turns
 * component events into store actions and controller calls; opening, sharing and saving
 * notebooks lives in NotebookSession (session.ts).
 *
 * `embedded` (the <flowfield-notebook> element) drops the page-level parts: no autosave, no
 * Recent or Gallery, no document-wide shortcuts. `readonly` ignores every edit; `hiddenControls`
 * hides cell kinds and toolbar controls by name (see chrome.ts).
 */
@customElement('ff-app')
export class FfApp extends LitElement {
  static override styles = [cellStyles, appStyles];

  readonly store: NotebookStore;
  readonly session: NotebookSession;
  private controller: LabController | undefined;
  private labClient: LabClient | undefined;
  @property() theme: Theme = 'auto';
  @property({ type: Boolean, reflect: true }) embedded = false;
  @property({ type: Boolean, reflect: true }) readonly = false;
  @property({ attribute: false }) hiddenControls: ReadonlySet<string> = new Set();
  @state() banner: Banner | undefined;
  /** A notebook being opened (gallery, link, file): what it is and the step it is at. */
  @state() opening: Opening | undefined;
  /** What autosave could not keep (a draft, weights over the cap); undefined: all kept. */
  @state() autosaveNote: string | undefined;
  @state() recentList: { id: string; title: string; savedAt: number }[] = [];
  @query('dialog.help') private help!: HTMLDialogElement;
  @query('ff-share-dialog') shareDialog!: FfShareDialog;
  @query('ff-gallery') gallery!: FfGallery;
  @query('input.open-file') private fileInput!: HTMLInputElement;
  @query('input.open-weights-file') private weightsInput!: HTMLInputElement;

  constructor(notebook: Notebook = defaultNotebook()) {
    super();
    this.store = new NotebookStore(notebook);
    this.session = new NotebookSession(this);
    this.store.subscribe(() => this.requestUpdate());
    this.addEventListener('ff-cell-change', (e) => {
      if (!this.readonly) this.store.dispatch({ type: 'update', ...e.detail });
    });
    this.addEventListener('ff-cell-add', (e) => {
      if (!this.readonly) this.store.dispatch({ type: 'add', ...e.detail });
    });
    this.addEventListener('ff-cell-move', (e) => {
      if (!this.readonly) this.store.dispatch({ type: 'move-to', ...e.detail });
    });
    this.addEventListener('ff-cell-command', (e) => {
      if (!this.readonly) this.onCellCommand(e.detail);
    });
    this.addEventListener(
      'ff-train-command',
      (e) => void this.train(e.detail.id, e.detail.command),
    );
    this.addEventListener(
      'ff-learning-rate',
      (e) => void this.lab?.setLearningRate(e.detail.id, e.detail.learningRate),
    );
    this.addEventListener('ff-run-all', () => void this.lab?.runAll().then(() => this.trained()));
    this.addEventListener('ff-compare', (e) => void this.lab?.compare(e.detail.id));
    this.addEventListener(
      'ff-batch-size',
      (e) => void this.lab?.setBatchSize(e.detail.id, e.detail.batch),
    );
    this.addEventListener(
      'ff-speed',
      (e) => void this.lab?.setSpeed(e.detail.id, e.detail.stepsPerSecond ?? undefined),
    );
    this.addEventListener('ff-share-download', () => void this.session.saveFile());
    this.addEventListener(
      'ff-weights-drop',
      (e) => void this.session.openWeights(e.detail.file, e.detail.modelId),
    );
    this.addEventListener('ff-image-files', (e) => {
      if (!this.readonly) void this.lab?.images.readFiles(e.detail.id, e.detail.files);
    });
    this.addEventListener('ff-image-choice', (e) => {
      const { id, size, channels } = e.detail;
      if (!this.readonly) void this.lab?.images.choose(id, { size, channels });
    });
    this.addEventListener('ff-gallery-open', (e) =>
      openOverTrained(this, `the gallery notebook “${e.detail.name}”`, () =>
        this.session.openGallery(e.detail.name),
      ),
    );
  }

  /** The GPU side. Set once, by the app entry (the worker) or a test. */
  @property({ attribute: false })
  set client(client: LabClient | undefined) {
    if (!client || this.controller) return;
    this.labClient = client;
    this.controller = new LabController(this, this.store, client);
  }
  get client(): LabClient | undefined {
    return this.labClient;
  }

  get lab(): LabController | undefined {
    return this.controller;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.embedded) return;
    document.addEventListener('keydown', this.onKey);
    // The page's own app remembers the theme across visits; an embed follows its host page.
    const remembered = rememberedTheme();
    if (remembered !== 'auto') this.setTheme(remembered);
  }

  override disconnectedCallback(): void {
    document.removeEventListener('keydown', this.onKey);
    this.session.dispose();
    super.disconnectedCallback();
  }

  override updated(): void {
    this.session.checkReplays();
    void applyChrome(this);
  }

  /**
   * Once the user has trained something, the browser is asked to keep this site's storage
   * (autosaves, weights) rather than evict it under storage pressure. Asked once per page; the
   * browser may decide silently (Chrome grants it to sites the user engages with).
   */
  private trained(): void {
    void this.session.autosaveWeights();
    if (this.persistenceAsked || this.embedded) return;
    this.persistenceAsked = true;
    void navigator.storage?.persist?.().catch(() => false);
  }
  private persistenceAsked = false;

  showBanner(banner: Banner | undefined): void {
    const gone = this.banner;
    this.banner = banner;
    if (gone && gone !== banner) gone.onGone?.();
    if (banner?.question) {
      void this.updateComplete.then(() => {
        if (this.banner === banner)
          this.renderRoot.querySelector<HTMLElement>('.banner .action')?.focus();
      });
    }
  }

  private onCellCommand({ id, command }: FfEvents['ff-cell-command']): void {
    const store = this.store;
    if (command === 'up' || command === 'down')
      store.dispatch({ type: 'move', id, by: command === 'up' ? -1 : 1 });
    else if (command === 'collapse') store.dispatch({ type: 'toggle-collapse', id });
    else if (command === 'duplicate') store.dispatch({ type: 'duplicate', id });
    else deleteCell(this, id);
  }

  private async train(id: string, command: TrainCommand): Promise<void> {
    const lab = this.lab;
    if (!lab) return;
    if (command === 'play') await lab.play(id).then(() => this.trained());
    else if (command === 'pause') await lab.pause(id).then(() => this.session.autosaveWeights());
    else if (command === 'step') await lab.step(id);
    else resetRun(this, id);
  }

  /** Shortcuts act on the first Train cell: space play/pause, "." step, "r" reset, "?" help. */
  private onKey = (event: KeyboardEvent): void => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.composedPath()[0];
    if (
      target instanceof HTMLElement &&
      target.closest('input, textarea, select, button, summary, a, [contenteditable]')
    )
      return;
    if (
      this.renderRoot.querySelector('dialog[open]') ||
      this.shareDialog?.open ||
      this.gallery?.open
    )
      return;
    if (event.key === '?') {
      event.preventDefault();
      this.help.showModal();
      return;
    }
    const train = this.store.notebook.cells.find((cell) => cell.kind === 'train');
    if (!train || !this.lab) return;
    if (event.key === ' ') {
      event.preventDefault();
      void this.train(train.id, this.lab.run(train.id).state === 'running' ? 'pause' : 'play');
    } else if (event.key === '.') void this.train(train.id, 'step');
    else if (event.key === 'r') void this.train(train.id, 'reset');
  };

  private setTheme(theme: Theme, remember = false): void {
    this.theme = theme;
    if (remember) rememberTheme(theme);
    if (theme === 'auto') delete document.documentElement.dataset['theme'];
    else document.documentElement.dataset['theme'] = theme;
  }

  private shown(control: string): boolean {
    return !this.hiddenControls.has(control);
  }

  private async openRecent(event: Event): Promise<void> {
    if ((event.target as HTMLDetailsElement).open) this.recentList = await this.session.recent();
  }

  private renderFiles() {
    const trained = this.session.trainedRuns();
    return html`<details class="menu files">
      <summary>Files</summary>
      <div class="menu-body" role="group" aria-label="Files">
        ${
          this.readonly
            ? nothing
            : html`<button @click=${() => this.fileInput.click()}>Open file…</button>`
        }
        ${
          this.readonly
            ? nothing
            : html`<button class="open-weights" @click=${() => this.weightsInput.click()}>
                Open weights (.safetensors)…
              </button>`
        }
        <button @click=${() => void this.session.saveFile()}>Save file (.flowfield.json)</button>
        ${trained.map(
          (id) =>
            html`<button data-weights=${id} @click=${() => void this.session.exportSafetensors(id)}>
              Weights of ${id} (.safetensors)
            </button>`,
        )}
        <button class="export-pytorch" @click=${() => void this.session.exportPytorch()}>
          Export as PyTorch project (.zip)
        </button>
      </div>
      <input
        class="open-weights-file"
        type="file"
        accept=".safetensors,application/octet-stream"
        hidden
        @change=${(e: Event) => {
          const input = e.target as HTMLInputElement;
          const file = input.files?.[0];
          input.value = '';
          if (file) void this.session.openWeights(file);
        }}
      />
      <input
        class="open-file"
        type="file"
        accept=".json,application/json"
        hidden
        @change=${(e: Event) => {
          const input = e.target as HTMLInputElement;
          const file = input.files?.[0];
          input.value = '';
          if (file) openOverTrained(this, `“${file.name}”`, () => this.session.openFile(file));
        }}
      />
    </details>`;
  }

  private renderToolbar() {
    const embedded = this.embedded;
    return html`${
      this.shown('share')
        ? html`<button
            class="share"
            aria-haspopup="dialog"
            @click=${() => void this.session.share()}
          >
            Share
          </button>`
        : nothing
    }
    ${this.shown('files') ? this.renderFiles() : nothing}
    ${
      !embedded && this.shown('gallery')
        ? html`<button
            class="gallery"
            aria-haspopup="dialog"
            @click=${() => void this.gallery.show()}
          >
            Gallery
          </button>`
        : nothing
    }
    ${
      !embedded && this.shown('recent')
        ? html`<details class="menu recent" @toggle=${(e: Event) => void this.openRecent(e)}>
            <summary>Recent</summary>
            <div class="menu-body" role="group" aria-label="Recent notebooks">
              ${
                this.recentList.length
                  ? this.recentList.map(
                      (r) =>
                        html`<button
                          data-id=${r.id}
                          @click=${() =>
                            openOverTrained(this, `“${r.title}”`, () =>
                              this.session.openRecent(r.id),
                            )}
                        >
                          ${r.title}
                          <small>${new Date(r.savedAt).toLocaleString()}</small>
                        </button>`,
                    )
                  : html`<p class="hint">No saved notebooks yet.</p>`
              }
            </div>
          </details>`
        : nothing
    }`;
  }

  private renderOpening() {
    if (!this.opening) return nothing;
    return html`<p class="opening" role="status">
      <progress aria-label="Opening ${this.opening.what}"></progress>
      <strong>Opening ${this.opening.what}.</strong> <span class="step">${this.opening.step}</span>
    </p>`;
  }

  private renderBanner() {
    const gpuError = this.lab?.gpuError;
    const b: Banner | undefined =
      this.banner ??
      (gpuError ? { kind: 'error', title: 'GPU error.', text: gpuError } : undefined);
    if (!b) return nothing;
    const dismiss = () => {
      if (this.banner) this.showBanner(undefined);
      else this.lab?.dismissGpuError();
    };
    return html`<div class="banner ${b.kind}" role=${b.kind === 'error' ? 'alert' : 'status'}>
      <strong>${b.title}</strong> <span class="text">${b.text}</span>
      ${(b.actions ?? []).map(
        (action) => html`<button class="action" @click=${action.run}>${action.label}</button>`,
      )}
      <button
        class="dismiss"
        @click=${() => {
          dismiss();
          b.onDismiss?.();
        }}
      >
        Dismiss
      </button>
    </div>`;
  }

  private replays: ReadonlyMap<string, ReplayStatus> = new Map();

  /** The session's replay verdicts as a map that changes identity only when they change. */
  private replaySnapshot(): ReadonlyMap<string, ReplayStatus> {
    const now = this.session.replay;
    const same =
      now.size === this.replays.size &&
      [...now].every(([id, status]) => this.replays.get(id) === status);
    if (!same) this.replays = new Map(now);
    return this.replays;
  }

  override render() {
    const gpu = this.lab?.gpu ?? { state: 'checking' as const };
    const header = this.embedded
      ? this.shown('header')
        ? // Not a <header>: on a host page an embed is content, not the page's banner.
          html`<div class="bar embedded">
            <h1>${this.store.notebook.title}</h1>
            ${this.renderToolbar()}
          </div>`
        : nothing
      : html`<header class="bar">
          <div>
            <h1>Flowfield</h1>
            <p class="tagline">
              Train and sample normalizing flows and diffusion models, live on your GPU.
            </p>
          </div>
          <ff-gpu-status .status=${gpu}></ff-gpu-status>
          <div class="toolbar">${this.renderToolbar()}</div>
          <label for="theme"
            >Theme
            <select
              id="theme"
              @change=${(e: Event) => this.setTheme((e.target as HTMLSelectElement).value as Theme, true)}
            >
              ${(['auto', 'light', 'dark'] as const).map((t) => html`<option value=${t} ?selected=${t === this.theme}>${t}</option>`)}
            </select>
          </label>
          <button aria-haspopup="dialog" @click=${() => this.help.showModal()}>Help (?)</button>
        </header>`;
    return html`${header} ${this.renderOpening()} ${this.renderBanner()}
      ${this.autosaveNote ? html`<p class="autosave-note" role="status">${this.autosaveNote}</p>` : nothing}
      ${
        gpu.state === 'unavailable'
          ? html`<section class="missing" role="alert">
              <h2>WebGPU is not available</h2>
              <p>${gpu.message}</p>
              <p>
                Flowfield trains on your GPU through WebGPU. Use Chrome or Edge 113+, Safari 26+, or
                Firefox with WebGPU enabled. On Linux, Chromium may need
                <code>--enable-unsafe-webgpu --enable-features=Vulkan</code>.
              </p>
            </section>`
          : nothing
      }
      ${
        gpu.state === 'ready' && gpu.report.cpuFallback
          ? html`<section class="cpu-note" role="note" aria-label="Viewing without WebGPU">
              <p>${gpu.report.cpuFallback.note}</p>
            </section>`
          : nothing
      }
      <ff-notebook-view
        .notebook=${this.store.notebook}
        .lookup=${this.lab ?? EMPTY_LOOKUP}
        .revision=${this.lab?.revision ?? 0}
        .replays=${this.replaySnapshot()}
        .landmarks=${!this.embedded}
      ></ff-notebook-view>
      <ff-share-dialog></ff-share-dialog>
      ${this.embedded ? nothing : html`<ff-gallery></ff-gallery>`}
      <dialog class="help" aria-labelledby="help-title">
        <h2 id="help-title">Keyboard shortcuts</h2>
        <ul>
          <li><kbd>Space</kbd> train / pause the first Train cell</li>
          <li><kbd>.</kbd> one training step</li>
          <li><kbd>r</kbd> reset the model</li>
          <li><kbd>?</kbd> this help</li>
          <li><kbd>Tab</kbd> moves through every control; cells reorder with their ↑ ↓ buttons</li>
        </ul>
        <button @click=${() => this.help.close()}>Close</button>
      </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-app': FfApp;
  }
}

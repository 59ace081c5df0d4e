import { LitElement, html, nothing } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { defaultNotebook, NotebookStore, type Notebook } from '../../notebook';
import type { LabClient } from '../controllers/lab-client';
import { LabController } from '../controllers/lab-controller';
import type { FfEvents, TrainCommand } from '../events';
import '../gpu-status/gpu-status';
import { EMPTY_LOOKUP } from '../notebook-view/notebook-view';
import { cellStyles } from '../shared.styles';
import { appStyles } from './app.styles';

export type Theme = 'auto' | 'light' | 'dark';

/**
 * The app shell: header (adapter, WebGPU status, theme, help), the notebook, keyboard
 * shortcuts. It owns the notebook store and the LabController, and turns component events into
 * store actions and controller calls.
 */
@customElement('ff-app')
export class FfApp extends LitElement {
  static override styles = [cellStyles, appStyles];

  readonly store: NotebookStore;
  private controller: LabController | undefined;
  @property() theme: Theme = 'auto';
  @query('dialog') private help!: HTMLDialogElement;

  constructor(notebook: Notebook = defaultNotebook()) {
    super();
    this.store = new NotebookStore(notebook);
    this.store.subscribe(() => this.requestUpdate());
    this.addEventListener('ff-cell-change', (e) =>
      this.store.dispatch({ type: 'update', ...e.detail }),
    );
    this.addEventListener('ff-cell-add', (e) => this.store.dispatch({ type: 'add', ...e.detail }));
    this.addEventListener('ff-cell-move', (e) =>
      this.store.dispatch({ type: 'move-to', ...e.detail }),
    );
    this.addEventListener('ff-cell-command', (e) => this.onCellCommand(e.detail));
    this.addEventListener(
      'ff-train-command',
      (e) => void this.train(e.detail.id, e.detail.command),
    );
    this.addEventListener(
      'ff-learning-rate',
      (e) => void this.lab?.setLearningRate(e.detail.id, e.detail.learningRate),
    );
    this.addEventListener('ff-run-all', () => void this.lab?.runAll());
    this.addEventListener('ff-compare', (e) => void this.lab?.compare(e.detail.id));
    this.addEventListener(
      'ff-batch-size',
      (e) => void this.lab?.setBatchSize(e.detail.id, e.detail.batch),
    );
    this.addEventListener('ff-speed', (e) =>
      this.lab?.setSpeed(e.detail.id, e.detail.stepsPerSecond ?? undefined),
    );
  }

  /** The GPU side. Set once, by the app entry (the worker) or a test. */
  @property({ attribute: false })
  set client(client: LabClient | undefined) {
    if (!client || this.controller) return;
    this.controller = new LabController(this, this.store, client);
  }
  get client(): LabClient | undefined {
    return undefined;
  }

  get lab(): LabController | undefined {
    return this.controller;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    document.removeEventListener('keydown', this.onKey);
    super.disconnectedCallback();
  }

  private onCellCommand({ id, command }: FfEvents['ff-cell-command']): void {
    const store = this.store;
    if (command === 'up' || command === 'down')
      store.dispatch({ type: 'move', id, by: command === 'up' ? -1 : 1 });
    else if (command === 'collapse') store.dispatch({ type: 'toggle-collapse', id });
    else if (command === 'duplicate') store.dispatch({ type: 'duplicate', id });
    else {
      if (store.cell(id)?.kind === 'train') void this.lab?.reset(id);
      store.dispatch({ type: 'remove', id });
    }
  }

  private async train(id: string, command: TrainCommand): Promise<void> {
    const lab = this.lab;
    if (!lab) return;
    if (command === 'play') await lab.play(id);
    else if (command === 'pause') await lab.pause(id);
    else if (command === 'step') await lab.step(id);
    else await lab.reset(id);
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

  private setTheme(theme: Theme): void {
    this.theme = theme;
    if (theme === 'auto') delete document.documentElement.dataset['theme'];
    else document.documentElement.dataset['theme'] = theme;
  }

  override render() {
    const gpu = this.lab?.gpu ?? { state: 'checking' as const };
    return html`<header class="bar">
        <div>
          <h1>Flowfield</h1>
          <p class="tagline">
            Train and sample normalizing flows and diffusion models, live on your GPU.
          </p>
        </div>
        <ff-gpu-status .status=${gpu}></ff-gpu-status>
        <label for="theme"
          >Theme
          <select
            id="theme"
            @change=${(e: Event) => this.setTheme((e.target as HTMLSelectElement).value as Theme)}
          >
            ${(['auto', 'light', 'dark'] as const).map((t) => html`<option value=${t} ?selected=${t === this.theme}>${t}</option>`)}
          </select>
        </label>
        <button aria-haspopup="dialog" @click=${() => this.help.showModal()}>Help (?)</button>
      </header>
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
      <ff-notebook-view
        .notebook=${this.store.notebook}
        .lookup=${this.lab ?? EMPTY_LOOKUP}
        .revision=${this.lab?.revision ?? 0}
      ></ff-notebook-view>
      <dialog aria-labelledby="help-title">
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

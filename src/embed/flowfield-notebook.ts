/**
 * <flowfield-notebook>: a Flowfield notebook on any page, with one script tag.
 *
 *   <script type="module" src="https://…/embed.js"></script>
 *   <flowfield-notebook src="gallery/nice-moons.flowfield.json" readonly hide="model,share">
 *   </flowfield-notebook>
 *
 * From any origin: a relative `src` and the gallery resolve against embed.js's URL, not the host
 * page's, and the worker starts through a same-origin blob shim when embed.js is elsewhere
 * (workerScriptUrl in worker/client.ts).
 *
 * Attributes: `src` (URL of a .flowfield.json) or `notebook` (a share link's `nb=…`),
 * `readonly` (no editing), `hide` (comma list, see HideableControl in src/ui/app/chrome.ts), `autoplay` (Run all once
 * loaded). Each element has its own shadow root, store and runs; every element on the page
 * shares one worker. Errors (a bad src or link) show inside the element.
 */
import { FfApp } from '../ui/app/app';
import type { LabClient } from '../ui/controllers/lab-client';
import { shareableWorkerClient } from '../ui/app/weights-client';
import { startWorker, type WorkerHandle } from '../worker/client';
import {
  NOTEBOOK_VERSION,
  decodeShareLink,
  notebookFromFile,
  type SharePayload,
} from '../notebook';
import { errorMessage } from '../ui/error-message';

let sharedWorker: WorkerHandle | undefined;

/**
 * A LabClient for one element. Every element talks to the same worker (one GPU device, fair
 * turns between runs), but keeps its own run table: two notebooks may both have a `train-1`.
 */
function elementClient(): LabClient {
  const where = FlowfieldNotebook.workerUrl ?? './worker.js';
  sharedWorker ??= startWorker(new URL(where, import.meta.url));
  return shareableWorkerClient(sharedWorker.api);
}

/**
 * A Flowfield notebook: cells, training and views, in its own shadow root.
 *
 * @tag flowfield-notebook
 * @attr src - URL of a `.flowfield.json` notebook file (relative: to embed.js's URL)
 * @attr notebook - a share link's `nb=…` (or the whole link)
 * @attr readonly - no editing; training and viewing still work
 * @attr hide - comma list of cell kinds and controls to hide (see HideableControl in src/ui/app/chrome.ts)
 * @attr autoplay - Run all once loaded
 */
export class FlowfieldNotebook extends HTMLElement {
  static observedAttributes = ['src', 'notebook', 'readonly', 'hide'];
  /** Makes each element's LabClient instead of the shared worker (tests; custom workers). */
  static clientFactory: (() => LabClient) | undefined;
  /**
   * Where the worker script is, when it is not `worker.js` next to embed.js: a page that bundles
   * `@flowfield/lab/embed` into its own script sets it (before the first element connects) to
   * the URL where it serves `@flowfield/lab/worker` (dist/worker.js). Relative: to embed.js.
   */
  static workerUrl: string | URL | undefined;

  readonly app: FfApp;
  private readonly errorBox: HTMLElement;
  private loadedFrom: string | null = null;
  /** Resolves when the current src/notebook has loaded (or failed, with the message shown). */
  ready: Promise<void> = Promise.resolve();

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    // A constructed sheet, not a <style> element: host pages' CSP then needs no style-src.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(
      ':host{display:block}.error{border:2px solid #b3261e;border-radius:8px;padding:.6rem .8rem;margin:.5rem 0;font:15px/1.4 system-ui,sans-serif}',
    );
    root.adoptedStyleSheets = [sheet];
    this.errorBox = document.createElement('p');
    this.errorBox.className = 'error';
    this.errorBox.setAttribute('role', 'alert');
    this.errorBox.hidden = true;
    this.app = new FfApp({ version: NOTEBOOK_VERSION, title: 'Loading…', cells: [] });
    this.app.embedded = true;
    this.app.session.appUrl = new URL('./', import.meta.url).href;
    this.app.session.galleryBase = new URL('./gallery/', import.meta.url).href;
    root.append(this.errorBox, this.app);
  }

  connectedCallback(): void {
    this.app.client ??= (FlowfieldNotebook.clientFactory ?? elementClient)();
    this.syncOptions();
    this.load();
  }

  attributeChangedCallback(name: string): void {
    if (name === 'readonly' || name === 'hide') this.syncOptions();
    else if (this.isConnected) this.load();
  }

  private syncOptions(): void {
    this.app.readonly = this.hasAttribute('readonly');
    this.app.hiddenControls = new Set(
      (this.getAttribute('hide') ?? '')
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    );
  }

  private showError(text: string | undefined): void {
    this.errorBox.textContent = text ?? '';
    this.errorBox.hidden = !text;
  }

  private load(): void {
    const src = this.getAttribute('src');
    const link = this.getAttribute('notebook');
    const source = link ? `notebook:${link}` : src ? `src:${src}` : 'nothing';
    if (source === this.loadedFrom) return;
    this.loadedFrom = source;
    this.ready = this.open(src, link);
  }

  private async open(src: string | null, link: string | null): Promise<void> {
    this.showError(undefined);
    let payload: SharePayload;
    try {
      if (link) {
        payload = await decodeShareLink(link.replace(/^.*#/, ''));
      } else if (src) {
        // Relative to embed.js, like the gallery: the host page may be on another origin.
        const url = new URL(src, import.meta.url);
        let text: string;
        try {
          const response = await fetch(url);
          if (!response.ok) throw new Error(`the server answered ${response.status}`);
          text = await response.text();
        } catch (error) {
          throw new Error(`Could not load the notebook file ${url.href}: ${errorMessage(error)}.`, {
            cause: error,
          });
        }
        payload = notebookFromFile(text);
      } else {
        throw new Error(
          'Give the element a notebook: src="notebook.flowfield.json" or notebook="nb=…" (a share link).',
        );
      }
    } catch (error) {
      this.showError(`This notebook could not be opened. ${errorMessage(error)}`);
      return;
    }
    await this.app.session.openPayload(payload);
    if (this.hasAttribute('autoplay')) void this.app.lab?.runAll();
  }
}

if (!customElements.get('flowfield-notebook')) {
  customElements.define('flowfield-notebook', FlowfieldNotebook);
}

declare global {
  interface HTMLElementTagNameMap {
    'flowfield-notebook': FlowfieldNotebook;
  }
}

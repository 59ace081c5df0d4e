import { LitElement, html, nothing, svg, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type {
  Bounds,
  PixelImage,
  ViewClient,
  ViewLayerRequest,
  ViewReport,
} from '../controllers/lab-client';
import { emit } from '../events';
import { gpuViewStyles } from './gpu-view.styles';
import { ViewSync, type ViewWish } from './view-sync';

/**
 * A canvas drawn by the GPU side: the canvas is transferred to the worker, which draws the
 * layers straight from GPU buffers. This element sizes it (ResizeObserver, devicePixelRatio),
 * keeps it live only while on screen and the tab is visible, draws the axis ticks and the
 * heatmap legend as an HTML/SVG overlay, and disposes the worker's view when it leaves the page.
 */
@customElement('ff-gpu-view')
export class FfGpuView extends LitElement {
  static override styles = gpuViewStyles;

  @property({ attribute: false }) client?: ViewClient;
  /** Drawn in order (the first at the back). */
  @property({ attribute: false }) layers: ViewLayerRequest[] = [];
  @property({ attribute: false }) bounds: Bounds = [-4, -4, 4, 4];
  /** Change it to re-send the layers (the models behind them were re-created). */
  @property({ type: Number }) version = 0;
  /** Change it to redraw from the current parameters. */
  @property() stamp = '';
  /** The canvas's accessible name. */
  @property() label = 'View';

  /** The latest render's report (ticks, legends, warp stages, NFE). */
  @state() report: ViewReport | undefined;
  @state() private error: string | undefined;
  @query('.stage') private stage!: HTMLDivElement;

  private readonly sync = new ViewSync({
    addController: (c) => this.addController(c),
    removeController: (c) => this.removeController(c),
    requestUpdate: () => this.requestUpdate(),
    get updateComplete() {
      return Promise.resolve(true);
    },
    freshCanvas: () => this.freshCanvas(),
    wish: () => this.wish(),
    onReport: (report) => {
      this.report = report;
      emit(this, 'ff-view-report', { report });
    },
    onError: (error) => {
      this.error = error;
    },
  });
  private size = { width: 0, height: 0, ratio: 1 };
  private onScreen = false;
  private resizer: ResizeObserver | undefined;
  private watcher: IntersectionObserver | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this.onVisibility);
    // Back on the page (a cell moved): a new canvas and view, as the old view was disposed.
    if (this.hasUpdated) {
      this.observe();
      void this.sync.request();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.resizer?.disconnect();
    this.watcher?.disconnect();
  }

  protected override firstUpdated(): void {
    this.observe();
  }

  protected override updated(changed: PropertyValues): void {
    if (
      changed.has('client') ||
      changed.has('layers') ||
      changed.has('bounds') ||
      changed.has('version') ||
      changed.has('stamp')
    ) {
      void this.sync.request();
    }
  }

  /** The worker's id of the view, once created (for export and tests). */
  get viewId(): string | undefined {
    return this.sync.viewId;
  }

  /** Resolves once every change so far reached the worker (and was drawn). */
  settled(): Promise<void> {
    return this.sync.request();
  }

  /** The current frame, read back from the GPU side. */
  async readPixels(): Promise<PixelImage> {
    await this.settled();
    const client = this.sync.viewClient;
    const view = this.sync.viewId;
    if (!client || !view) throw new Error('This view has not been drawn yet.');
    return client.readPixels(view);
  }

  private observe(): void {
    this.resizer = new ResizeObserver(([entry]) => {
      if (!entry) return;
      const width = Math.round(entry.contentRect.width);
      const height = Math.round(entry.contentRect.height);
      const ratio = window.devicePixelRatio || 1;
      if (width === this.size.width && height === this.size.height && ratio === this.size.ratio)
        return;
      this.size = { width, height, ratio };
      void this.sync.request();
    });
    this.resizer.observe(this.stage);
    this.watcher = new IntersectionObserver(([entry]) => {
      this.onScreen = entry?.isIntersecting ?? false;
      void this.sync.request();
    });
    this.watcher.observe(this);
  }

  private onVisibility = (): void => {
    void this.sync.request();
  };

  private wish(): ViewWish {
    return {
      client: this.client,
      layers: this.layers,
      bounds: this.bounds,
      size: this.size,
      visible: this.onScreen && document.visibilityState === 'visible',
      // Reduced motion: samples move during training once a second rather than four times.
      ...(matchMedia('(prefers-reduced-motion: reduce)').matches
        ? { refreshIntervalMs: 1000 }
        : {}),
      version: this.version,
      stamp: this.stamp,
    };
  }

  private freshCanvas(): HTMLCanvasElement {
    const canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', this.label);
    this.stage.querySelector('canvas')?.remove();
    this.stage.prepend(canvas);
    return canvas;
  }

  override render() {
    this.stage?.querySelector('canvas')?.setAttribute('aria-label', this.label);
    const report = this.report;
    const ticks = report?.ticks;
    const legend = report?.legend;
    const bottom = this.size.height;
    return html`<div class="stage">
        ${
          ticks
            ? html`<svg class="ticks" aria-hidden="true">
                ${ticks.x.map(
                  (t) =>
                    svg`<line x1=${t.px} x2=${t.px} y1=${bottom} y2=${bottom + 4}></line>
                      <text x=${t.px} y=${bottom + 14} text-anchor="middle">${t.label}</text>`,
                )}
                ${ticks.y.map(
                  (t) =>
                    svg`<line x1="-4" x2="0" y1=${t.px} y2=${t.px}></line>
                      <text x="-6" y=${t.px} dy="3" text-anchor="end">${t.label}</text>`,
                )}
              </svg>`
            : nothing
        }
      </div>
      ${
        legend
          ? html`<div class="legend">
              <span>log p: ${legend.min.toFixed(1)}</span>
              <span class="bar ${legend.colormap}" aria-hidden="true"></span>
              <span>${legend.max.toFixed(1)} nats</span>
            </div>`
          : nothing
      }
      ${
        report?.field
          ? html`<p class="legend">
              Arrows:
              ${report.field.quantity === 'velocity' ? 'velocity dx/dt' : 'probability-flow drift dx/dt'};
              the longest is ${report.field.maxMagnitude.toPrecision(3)} data units per unit of t.
            </p>`
          : nothing
      }
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-gpu-view': FfGpuView;
  }
}

// Over 400 lines on purpose: one cell's form for every source kind (built-in, points, drawing, image; the image set's parts in image-source.ts) with its preview.
import { LitElement, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import {
  DATASET_NAMES,
  NOTEBOOK_LIMITS,
  isImageSource,
  type DataCell,
  type DataSource,
  type DatasetName,
} from '../../notebook';
// Pure, GPU-free parser: validates pasted points on the page with line-numbered messages.
import { parsePoints } from '../../specs';
import { emit } from '../events';
import { numberField, selectField } from '../fields';
import { cellStyles } from '../shared.styles';
import { PALETTE } from '../scatter/scatter';
import '../scatter/scatter';
import { dataCellStyles } from './data-cell.styles';
import { imageFileToGrid, IMAGE_GRID_SIDE, IMAGE_TYPES } from './image-grid';
import type { ImageCellState } from '../controllers/image-sets';
import './image-source';
import { errorMessage } from '../error-message';
import { pngFromRgba, PictureUrls } from '../picture';

/** Side of the drawing grid (cells). */
export const DRAW_SIDE = 32;
const SEED_RANGE = { min: 0, max: 2 ** 32 - 1, integer: true, label: 'Seed' };
const JITTER_RANGE = { min: 0, max: 1, integer: false, label: 'Jitter' };

type SourceKind = DataSource['kind'];
const SOURCE_NAMES: Record<SourceKind, string> = {
  builtin: 'Built-in',
  points: 'Paste points',
  grid: 'Draw or image',
  images: 'Image set',
  'image-files': 'Your image set',
};

/** Where the training data comes from: a built-in density, pasted points, or a drawing. */
@customElement('ff-data-cell')
export class FfDataCell extends LitElement {
  static override styles = [cellStyles, dataCellStyles];

  @property({ attribute: false }) cell!: DataCell;
  /** Points drawn from the source by the worker, for the preview. */
  @property({ attribute: false }) preview?: Float32Array;
  @property() previewError = '';
  /** An image source's state: loading progress, sample grid, problems with dropped files. */
  @property({ attribute: false }) images?: ImageCellState;
  /** 'Your image set' was chosen but no files were given yet (the notebook is unchanged until then). */
  @state() private awaitingFiles = false;

  @state() private brush = 2;
  @state() private erase = false;
  @query('img.draw') private pad?: HTMLImageElement;
  /** The drawing pad's pictures (picture.ts: a PNG in an <img>, not a 2-D canvas). */
  private readonly padUrls = new PictureUrls();
  /** Light areas are dense instead of dark ones (applies to the next and the last image). */
  @state() private invert = false;
  @state() private imageError = '';
  @state() private csvError = '';
  @state() private loadingImage = false;
  /** The last image loaded, so that Invert can redo it. */
  private lastImage: File | undefined;
  private undoStack: number[][] = [];
  private strokeWeights: number[] | undefined;

  private change(source: DataSource): void {
    emit(this, 'ff-cell-change', { id: this.cell.id, patch: { source } });
  }

  private switchKind(kind: SourceKind): void {
    const seed = this.cell.source.seed;
    this.awaitingFiles = kind === 'image-files' && this.cell.source.kind !== kind;
    if (kind === this.cell.source.kind || this.awaitingFiles) return;
    if (kind === 'images') this.change({ kind, name: 'mnist', size: 14, seed });
    else if (kind === 'builtin') this.change({ kind, name: 'moons', seed });
    else if (kind === 'points')
      this.change({ kind, text: 'x,y\n0,0\n1,1\n-1,1\n', jitter: 0.05, seed });
    else if (kind === 'grid')
      this.change({
        kind,
        width: DRAW_SIDE,
        height: DRAW_SIDE,
        weights: new Array<number>(DRAW_SIDE * DRAW_SIDE).fill(0),
        seed,
      });
  }

  private get imageMode(): boolean {
    return this.awaitingFiles || isImageSource(this.cell.source);
  }

  override render() {
    const source = this.cell.source;
    if (this.awaitingFiles && source.kind === 'image-files') this.awaitingFiles = false;
    const chosen: SourceKind = this.awaitingFiles ? 'image-files' : source.kind;
    return html`<div
      class="layout"
      @dragover=${(e: DragEvent) => {
        if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
      }}
      @drop=${(e: DragEvent) => {
        const file = e.dataTransfer?.files[0];
        if (!file) return;
        e.preventDefault();
        e.stopPropagation();
        if (this.imageMode) {
          emit(this, 'ff-image-files', { id: this.cell.id, files: [...e.dataTransfer!.files] });
        } else void this.loadImage(file);
      }}
    >
      <div>
        <fieldset>
          <legend>Source</legend>
          ${(Object.keys(SOURCE_NAMES) as SourceKind[]).map(
            (kind) =>
              html`<label class="inline"
                ><input
                  type="radio"
                  name="source"
                  value=${kind}
                  .checked=${chosen === kind}
                  @change=${() => this.switchKind(kind)}
                />${SOURCE_NAMES[kind]}</label
              >`,
          )}
        </fieldset>
        ${
          this.imageMode
            ? html`<ff-image-source
                .cellId=${this.cell.id}
                .source=${isImageSource(source) && !this.awaitingFiles ? source : undefined}
                .state=${this.images}
              ></ff-image-source>`
            : source.kind === 'builtin'
              ? html`<div class="row">
                  ${selectField<DatasetName>({
                    id: 'dataset',
                    label: 'Dataset',
                    value: source.name,
                    choices: DATASET_NAMES,
                    onChange: (name) => this.change({ ...source, name }),
                  })}
                  ${numberField({
                    id: 'seed',
                    value: source.seed,
                    range: SEED_RANGE,
                    onChange: (seed) => this.change({ ...source, seed }),
                  })}
                </div>`
              : source.kind === 'points'
                ? this.renderPoints(source)
                : source.kind === 'grid'
                  ? this.renderDraw(source)
                  : nothing
        }
        ${this.imageMode ? nothing : this.renderImage()}
      </div>
      ${this.imageMode ? nothing : this.renderScatter()}
    </div>`;
  }

  private renderScatter() {
    return html`<ff-scatter
        label="Preview of the data"
        .layers=${this.preview ? [{ label: 'data', color: PALETTE.data, points: this.preview }] : []}
      ></ff-scatter>
      ${this.previewError ? html`<p class="error" role="alert">${this.previewError}</p>` : nothing}`;
  }

  private renderPoints(source: Extract<DataSource, { kind: 'points' }>) {
    let error = '';
    let count = 0;
    try {
      count = parsePoints(source.text).length / 2;
    } catch (e) {
      error = errorMessage(e);
    }
    return html`<label for="points"
        >Points: one "x, y" per line (CSV, TSV or JSON pairs)
        <textarea
          id="points"
          .value=${source.text}
          aria-invalid=${error ? 'true' : 'false'}
          aria-describedby="points-status"
          @change=${(event: Event) =>
            this.change({ ...source, text: (event.target as HTMLTextAreaElement).value })}
        ></textarea>
      </label>
      <p id="points-status" class=${error ? 'error' : 'hint'} role=${error ? 'alert' : 'status'}>
        ${error || `${count} points`}
      </p>
      <label for="csv-file"
        >Or load a file (CSV, TSV or text; it replaces the points above)
        <input
          id="csv-file"
          type="file"
          accept=".csv,.tsv,.txt,text/csv,text/plain,text/tab-separated-values"
          aria-describedby="csv-file-status"
          @change=${(e: Event) => {
            const input = e.target as HTMLInputElement;
            const file = input.files?.[0];
            if (file) void this.loadPointsFile(file, source);
            input.value = '';
          }}
        />
      </label>
      ${
        this.csvError
          ? html`<p id="csv-file-status" class="error" role="alert">${this.csvError}</p>`
          : nothing
      }
      <div class="row">
        ${numberField({
          id: 'jitter',
          value: source.jitter,
          range: JITTER_RANGE,
          onChange: (jitter) => this.change({ ...source, jitter }),
        })}
      </div>`;
  }

  private renderDraw(source: Extract<DataSource, { kind: 'grid' }>) {
    return html`<img
        class="draw"
        width=${source.width * 8}
        height=${source.height * 8}
        alt="Drawing pad: draw where the data should be dense"
        draggable="false"
        @pointerdown=${(e: PointerEvent) => this.stroke(e, 'down')}
        @pointermove=${(e: PointerEvent) => this.stroke(e, 'move')}
        @pointerup=${(e: PointerEvent) => this.stroke(e, 'up')}
        @pointercancel=${(e: PointerEvent) => this.stroke(e, 'up')}
      />
      <div class="row">
        <label for="brush"
          >Brush size
          <input
            id="brush"
            type="range"
            min="1"
            max="6"
            .value=${String(this.brush)}
            @input=${(e: Event) => (this.brush = Number((e.target as HTMLInputElement).value))}
          />
        </label>
        <label class="inline"
          ><input
            type="checkbox"
            .checked=${this.erase}
            @change=${() => (this.erase = !this.erase)}
          />Erase</label
        >
        <button @click=${this.undo} ?disabled=${this.undoStack.length === 0}>Undo</button>
        <button @click=${() => this.commit(new Array<number>(source.weights.length).fill(0), true)}>
          Clear
        </button>
      </div>`;
  }

  private renderImage() {
    return html`<div class="row image">
        <label for="image"
          >Load an image (PNG or JPEG; or drop one on this cell)
          <input
            id="image"
            type="file"
            accept=${IMAGE_TYPES.join(',')}
            aria-describedby="image-status"
            @change=${(e: Event) => {
              const input = e.target as HTMLInputElement;
              const file = input.files?.[0];
              if (file) void this.loadImage(file);
              input.value = '';
            }}
          />
        </label>
        <label class="inline"
          ><input
            id="invert"
            type="checkbox"
            .checked=${this.invert}
            @change=${(e: Event) => {
              this.invert = (e.target as HTMLInputElement).checked;
              if (this.lastImage) void this.loadImage(this.lastImage);
            }}
          />Invert (light areas are dense)</label
        >
      </div>
      <p
        id="image-status"
        class=${this.imageError ? 'error' : 'hint'}
        role=${this.imageError ? 'alert' : 'status'}
      >
        ${
          this.imageError ||
          (this.loadingImage
            ? 'Reading the image…'
            : `Images become a ${IMAGE_GRID_SIDE}×${IMAGE_GRID_SIDE} density: dark pixels are dense unless inverted.`)
        }
      </p>`;
  }

  /**
   * Reads a points file into the points text (line-numbered errors then show as for pasted
   * text). Only a file too large for a notebook, or one that is not text, is refused here; the
   * current points stay.
   */
  private async loadPointsFile(
    file: File,
    source: Extract<DataSource, { kind: 'points' }>,
  ): Promise<void> {
    const max = NOTEBOOK_LIMITS.pointsTextLength;
    if (file.size > max) {
      this.csvError = `${file.name} is ${(file.size / 1e6).toFixed(1)} MB; a notebook keeps at most ${(max / 1e6).toFixed(0)} MB of points text. Keep fewer points (e.g. a random subset) and load it again.`;
      return;
    }
    try {
      const text = await file.text();
      if (text.includes('\u0000')) {
        this.csvError = `${file.name} is not a text file (it contains binary data). Expected one "x, y" pair per line.`;
        return;
      }
      this.csvError = '';
      this.change({ ...source, text });
    } catch (error) {
      this.csvError = `${file.name} could not be read: ${errorMessage(error)}`;
    }
  }

  /** Decodes an image into a density grid; on failure says why and keeps the current data. */
  private async loadImage(file: File): Promise<void> {
    this.loadingImage = true;
    try {
      const grid = await imageFileToGrid(file, this.invert);
      this.lastImage = file;
      this.imageError = '';
      const source = this.cell.source;
      // Undo restores weights into the current grid, so it only spans grids of one size.
      if (source.kind === 'grid' && source.width === grid.width && source.height === grid.height) {
        this.undoStack.push(source.weights);
      } else {
        this.undoStack = [];
      }
      this.change({ kind: 'grid', ...grid, seed: source.seed });
    } catch (error) {
      this.imageError = errorMessage(error);
    } finally {
      this.loadingImage = false;
    }
  }

  protected override updated(): void {
    const source = this.cell.source;
    if (source.kind === 'grid') this.paint(this.strokeWeights ?? source.weights, source.width);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Moved in the page: its pictures were released on leaving; draw them again.
    if (this.hasUpdated) this.requestUpdate();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.padUrls.dispose();
    this.painted = undefined;
  }

  /** What the drawing pad shows now: repainting is skipped while these stay the same. */
  private painted: { weights: readonly number[]; side: number; pad: HTMLImageElement } | undefined;

  /**
   * Draws the grid: one pixel per cell in the data colour with alpha = weight / max, scaled up
   * without smoothing by CSS (image-rendering: pixelated).
   */
  private paint(weights: readonly number[], side: number, changedInPlace = false): void {
    const pad = this.pad;
    if (!pad) return;
    const last = this.painted;
    const same = last?.weights === weights && last.side === side && last.pad === pad;
    if (same && !changedInPlace) return;
    this.painted = { weights, side, pad };
    let max = 1e-9;
    for (const w of weights) if (w > max) max = w;
    const rows = Math.max(1, Math.ceil(weights.length / side));
    const image = new Uint8ClampedArray(side * rows * 4);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(PALETTE.data.slice(i, i + 2), 16));
    weights.forEach((w, i) => {
      if (w <= 0) return;
      image.set([r!, g!, b!, Math.round(255 * Math.min(1, w / max))], 4 * i);
    });
    pad.src = this.padUrls.add(pngFromRgba(image, side, rows));
  }

  private stroke(event: PointerEvent, phase: 'down' | 'move' | 'up'): void {
    const source = this.cell.source;
    if (source.kind !== 'grid' || !this.pad) return;
    if (phase === 'down') {
      this.strokeWeights = [...source.weights];
      this.pad.setPointerCapture?.(event.pointerId);
    }
    if (!this.strokeWeights) return;
    if (phase === 'up') {
      const weights = this.strokeWeights;
      this.strokeWeights = undefined;
      this.commit(weights, true);
      return;
    }
    const rect = this.pad.getBoundingClientRect();
    const gx = ((event.clientX - rect.left) / rect.width) * source.width;
    const gy = ((event.clientY - rect.top) / rect.height) * source.height;
    const pressure = event.pressure > 0 ? event.pressure : 0.5;
    const r = this.brush;
    for (let y = Math.floor(gy - r); y <= Math.ceil(gy + r); y++) {
      for (let x = Math.floor(gx - r); x <= Math.ceil(gx + r); x++) {
        if (x < 0 || y < 0 || x >= source.width || y >= source.height) continue;
        const d = Math.hypot(x + 0.5 - gx, y + 0.5 - gy);
        if (d > r) continue;
        const i = y * source.width + x;
        const w = this.strokeWeights[i]!;
        this.strokeWeights[i] = this.erase ? 0 : Math.min(1, w + pressure * (1 - d / r));
      }
    }
    this.paint(this.strokeWeights, source.width, true);
  }

  private commit(weights: number[], recordUndo: boolean): void {
    const source = this.cell.source;
    if (source.kind !== 'grid') return;
    if (recordUndo) this.undoStack.push(source.weights);
    this.change({ ...source, weights: weights.map((w) => Math.round(w * 1000) / 1000) });
  }

  private undo = (): void => {
    const previous = this.undoStack.pop();
    if (previous) this.commit(previous, false);
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-data-cell': FfDataCell;
  }
}

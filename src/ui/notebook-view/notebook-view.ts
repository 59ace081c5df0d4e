import { EMPTY_LOSSES } from '../controllers/loss-history';
import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import {
  CELL_KINDS,
  reflowTeacher,
  reflowTeachers,
  dataCellAbove,
  imageClassNames,
  isImageSource,
  imageDataProblem,
  imageSettingsErrors,
  imageShapeOf,
  settingsErrors,
  trainInputs,
  type Cell,
  type DataSource,
  type Notebook,
} from '../../notebook';
import type { DataPreview, RunView } from '../controllers/lab-controller';
import type { ImageCellState } from '../controllers/image-sets';
import { emit, type CellCommand } from '../events';
import { cellStyles } from '../shared.styles';
import '../compare-cell/compare-cell';
import { compareCandidates, comparePlan, type Comparison } from '../compare-cell/comparison';
import '../data-cell/data-cell';
import '../model-cell/model-cell';
import '../note-cell/note-cell';
import '../train-cell/train-cell';
import type { TrainReplay } from '../train-cell/train-cell';
import '../view-cell/view-cell';
import { mathAllowances, mathUsage } from '../markdown/render';
import { notebookViewStyles } from './notebook-view.styles';

/** Cells whose bodies render at once; the others when they come within NEAR of the viewport. */
export const EAGER_CELLS = 12;
const NEAR = '1500px 0px';

/** What the notebook reads about runs (the LabController provides it). */
export interface RunLookup {
  run(trainId: string): RunView;
  runForView(viewId: string): RunView;
  dataForView(viewId: string): DataPreview | undefined;
  previews: ReadonlyMap<string, DataPreview>;
  /** What Data cells with an image source show (progress, sample grid, file problems). */
  readonly imageStates?: ReadonlyMap<string, ImageCellState>;
  /** A Compare cell's latest result. */
  comparison(compareId: string): Comparison | undefined;
  /** A Train cell's speed cap, steps per second (undefined: full speed). */
  speed(trainId: string): number | undefined;
  /** Why nothing can train here (no WebGPU: the CPU backend only shows weights), or ''. */
  readonly trainingBlocked?: string;
}

export const EMPTY_LOOKUP: RunLookup = {
  run: () => ({
    state: 'idle',
    step: 0,
    totalSteps: 0,
    losses: EMPTY_LOSSES,
    learningRate: 0,
    stepsPerSecond: 0,
    samplesPerSecond: 0,
  }),
  runForView: (id) => EMPTY_LOOKUP.run(id),
  dataForView: () => undefined,
  previews: new Map(),
  comparison: () => undefined,
  speed: () => undefined,
};

export const KIND_NAMES: Record<Cell['kind'], string> = {
  note: 'Note',
  data: 'Data',
  model: 'Model',
  train: 'Train',
  view: 'View',
  compare: 'Compare',
};

/**
 * The ordered cells with their toolbars (move, duplicate, remove, collapse; drag to reorder).
 *
 * A notebook from a link may hold 200 heavy cells, so a cell's body renders only once it comes
 * near the viewport (the first EAGER_CELLS at once); until then it is an empty placeholder. Once
 * rendered a body stays. Notes share the notebook's math budget in document order.
 */
/** The class names of a Data cell's labelled image set ([] for 2-D data or unlabelled files). */
function labelledClasses(source: DataSource | undefined): readonly string[] {
  return source && isImageSource(source) ? imageClassNames(source) : [];
}

@customElement('ff-notebook-view')
export class FfNotebookView extends LitElement {
  static override styles = [cellStyles, notebookViewStyles];

  @property({ attribute: false }) notebook!: Notebook;
  @property({ attribute: false }) lookup: RunLookup = EMPTY_LOOKUP;
  /** Exact-replay verdicts by Train cell id (a new map whenever one changes). */
  @property({ attribute: false }) replays: ReadonlyMap<string, TrainReplay> = new Map();
  /** Changes whenever the lookup's contents change (it is the same object throughout). */
  @property({ type: Number }) revision = 0;
  /**
   * Cells as landmarks (named regions) for the page app; an embed's cells are named groups
   * instead, since a host page with two embeds would get landmarks of the same name
   * ("Data 1" twice), which screen readers cannot tell apart.
   */
  @property({ type: Boolean }) landmarks = true;
  @state() private dragging: string | undefined;
  /** Cells whose bodies have rendered (or may). */
  @state() private near: ReadonlySet<string> = new Set();
  private observer: IntersectionObserver | undefined;
  private readonly observed = new WeakSet<Element>();
  /** mathUsage per note, while its Markdown is the same string. */
  private readonly usage = new Map<string, { markdown: string; chars: number; formulas: number }>();
  private allowances = new Map<string, { chars: number; formulas: number }>();

  override connectedCallback(): void {
    super.connectedCallback();
    this.observer = new IntersectionObserver((entries) => this.onNear(entries), {
      rootMargin: NEAR,
    });
  }

  override disconnectedCallback(): void {
    this.observer?.disconnect();
    this.observer = undefined;
    super.disconnectedCallback();
  }

  private onNear(entries: IntersectionObserverEntry[]): void {
    const ids = entries
      .filter((entry) => entry.isIntersecting)
      .map((entry) => (entry.target as HTMLElement).dataset['cellId'] ?? '');
    if (!ids.some((id) => id && !this.near.has(id))) return;
    this.near = new Set([...this.near, ...ids]);
  }

  private isNear(id: string, index: number): boolean {
    return index < EAGER_CELLS || this.near.has(id);
  }

  protected override updated(): void {
    if (!this.observer) return;
    for (const section of this.renderRoot.querySelectorAll<HTMLElement>('section.pending')) {
      if (this.observed.has(section)) continue;
      this.observed.add(section);
      this.observer.observe(section);
    }
  }

  /** Each note's share of the notebook's math budget (mathAllowances), by cell id. */
  private mathAllowances(cells: readonly Cell[]): void {
    const notes = cells.filter((cell) => cell.kind === 'note');
    const usages = notes.map((note) => {
      let known = this.usage.get(note.id);
      if (known?.markdown !== note.markdown) {
        known = { markdown: note.markdown, ...mathUsage(note.markdown) };
        this.usage.set(note.id, known);
      }
      return known;
    });
    const allowances = mathAllowances(usages);
    this.allowances = new Map(notes.map((note, i) => [note.id, allowances[i]!]));
  }

  private command(id: string, command: CellCommand): void {
    emit(this, 'ff-cell-command', { id, command });
  }

  override render() {
    const cells = this.notebook.cells;
    this.mathAllowances(cells);
    return html`<div class="top">
        <button
          class="primary"
          ?disabled=${!!this.lookup.trainingBlocked}
          title=${this.lookup.trainingBlocked || nothing}
          @click=${() => emit(this, 'ff-run-all', {})}
        >
          Run all
        </button>
        <span class="hint">${cells.length} cells</span>
      </div>
      ${repeat(
        cells,
        (cell) => cell.id,
        (cell, index) => this.renderCell(cell, index, cells.length),
      )}
      <div class="add" role="group" aria-label="Add a cell">
        <span class="hint">Add cell:</span>
        ${CELL_KINDS.map(
          (kind) =>
            html`<button @click=${() => emit(this, 'ff-cell-add', { kind })}>
              + ${KIND_NAMES[kind]}
            </button>`,
        )}
      </div>`;
  }

  private renderCell(cell: Cell, index: number, count: number) {
    const title = `${KIND_NAMES[cell.kind]} ${index + 1}`;
    const headingId = `h-${cell.id}`;
    const near = this.isNear(cell.id, index);
    return html`<section
      class="cell ${cell.collapsed ? 'collapsed' : ''} ${this.dragging === cell.id ? 'dragging' : ''} ${near ? '' : 'pending'}"
      role=${this.landmarks ? nothing : 'group'}
      aria-labelledby=${headingId}
      data-cell-id=${cell.id}
      data-kind=${cell.kind}
      @dragover=${(e: DragEvent) => e.preventDefault()}
      @drop=${(e: DragEvent) => {
        e.preventDefault();
        const file = e.dataTransfer?.files?.[0];
        if (file && cell.kind === 'model' && /\.safetensors$/i.test(file.name)) {
          emit(this, 'ff-weights-drop', { modelId: cell.id, file });
          return;
        }
        if (this.dragging) emit(this, 'ff-cell-move', { id: this.dragging, index });
        this.dragging = undefined;
      }}
    >
      <div
        class="cell-head"
        draggable="true"
        @dragstart=${(e: DragEvent) => {
          this.dragging = cell.id;
          e.dataTransfer?.setData('text/plain', cell.id);
        }}
        @dragend=${() => (this.dragging = undefined)}
      >
        <h2 id=${headingId}><span class="kind">${KIND_NAMES[cell.kind]}</span>${index + 1}</h2>
        <button
          aria-label="Move ${title} up"
          title="Move up"
          ?disabled=${index === 0}
          @click=${() => this.command(cell.id, 'up')}
        >
          ↑
        </button>
        <button
          aria-label="Move ${title} down"
          title="Move down"
          ?disabled=${index === count - 1}
          @click=${() => this.command(cell.id, 'down')}
        >
          ↓
        </button>
        <button
          aria-label="Duplicate ${title}"
          title="Duplicate"
          @click=${() => this.command(cell.id, 'duplicate')}
        >
          Duplicate
        </button>
        <button
          aria-label="Remove ${title}"
          title="Remove"
          @click=${() => this.command(cell.id, 'remove')}
        >
          ✕
        </button>
        <button
          aria-label="Collapse ${title}"
          title=${cell.collapsed ? 'Expand' : 'Collapse'}
          aria-expanded=${cell.collapsed ? 'false' : 'true'}
          aria-controls="b-${cell.id}"
          @click=${() => this.command(cell.id, 'collapse')}
        >
          ${cell.collapsed ? '▸' : '▾'}
        </button>
      </div>
      <div class="body" id="b-${cell.id}" ?hidden=${cell.collapsed}>
        ${cell.collapsed || !near ? nothing : this.renderBody(cell)}
      </div>
    </section>`;
  }

  private renderBody(cell: Cell) {
    const lookup = this.lookup;
    switch (cell.kind) {
      case 'note': {
        const allowance = this.allowances.get(cell.id);
        return html`<ff-note-cell
          .cell=${cell}
          .mathChars=${allowance?.chars}
          .mathFormulas=${allowance?.formulas}
        ></ff-note-cell>`;
      }
      case 'data': {
        const preview = lookup.previews.get(cell.id);
        return html`<ff-data-cell
          .cell=${cell}
          .preview=${preview?.points}
          .previewError=${preview?.error ?? ''}
          .images=${lookup.imageStates?.get(cell.id)}
        ></ff-data-cell>`;
      }
      case 'model': {
        const teacher = reflowTeacher(this.notebook, cell.id);
        return html`<ff-model-cell
          .cell=${cell}
          .teachers=${reflowTeachers(this.notebook, cell.id).map(({ id, title }) => ({ id, title }))}
          .teacherError=${teacher && 'error' in teacher ? teacher.error : ''}
          .dataProblem=${imageDataProblem(this.notebook, cell.id)}
          .imageShape=${imageShapeOf(dataCellAbove(this.notebook, cell.id)?.source)}
          .imageClasses=${labelledClasses(dataCellAbove(this.notebook, cell.id)?.source).length}
        ></ff-model-cell>`;
      }
      case 'train':
        return html`<ff-train-cell
          .cell=${cell}
          .run=${lookup.run(cell.id)}
          .blocked=${this.blocked(cell.id)}
          .batch=${trainInputs(this.notebook, cell.id).model?.train.batch ?? 0}
          .speed=${lookup.speed(cell.id)}
          .replay=${this.replays.get(cell.id)}
        ></ff-train-cell>`;
      case 'view':
        return html`<ff-view-cell
          .cell=${cell}
          .run=${lookup.runForView(cell.id)}
          .data=${lookup.dataForView(cell.id)?.points}
          .classNames=${labelledClasses(dataCellAbove(this.notebook, cell.id)?.source)}
        ></ff-view-cell>`;
      case 'compare': {
        const plan = comparePlan(this.notebook, cell, (id) => lookup.run(id));
        const comparison = lookup.comparison(cell.id);
        const stale = !!comparison?.rows.some((row) => lookup.run(row.trainId).step !== row.steps);
        return html`<ff-compare-cell
          .cell=${cell}
          .choices=${compareCandidates(this.notebook, cell.id).map(({ trainId, label }) => ({
            trainId,
            label,
          }))}
          .comparison=${comparison}
          ?stale=${stale}
          .blocked=${'error' in plan ? plan.error : ''}
        ></ff-compare-cell>`;
      }
    }
  }

  /** Why a Train cell cannot run, or ''. */
  private blocked(trainId: string): string {
    if (this.lookup.trainingBlocked) return this.lookup.trainingBlocked;
    const { model, data } = trainInputs(this.notebook, trainId);
    if (!model) return 'Add a Model cell above this Train cell.';
    if (!data) return 'Add a Data cell above the Model cell.';
    const images = imageDataProblem(this.notebook, trainId);
    if (images) return images;
    const shape = imageShapeOf(data.source);
    const errors = Object.values(
      model.model.image && shape
        ? imageSettingsErrors(model.model, model.train, shape)
        : settingsErrors(model.model, model.train),
    );
    if (errors.length) return `Fix the model settings first: ${errors.join(' ')}`;
    // A reflow student whose teacher is missing, not flow matching or below it.
    const teacher = reflowTeacher(this.notebook, model.id);
    return teacher && 'error' in teacher ? teacher.error : '';
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-notebook-view': FfNotebookView;
  }
}

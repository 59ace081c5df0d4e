import { LitElement, html } from 'lit';
import { MATH_LIMITS } from '../markdown/render';
import { customElement, property, state } from 'lit/decorators.js';
import type { NoteCell } from '../../notebook';
import { emit } from '../events';
import { cellStyles } from '../shared.styles';
import '../markdown/markdown';
import { noteCellStyles } from './note-cell.styles';

/** A Markdown note with math; "Edit" shows its source. */
@customElement('ff-note-cell')
export class FfNoteCell extends LitElement {
  static override styles = [cellStyles, noteCellStyles];

  @property({ attribute: false }) cell!: NoteCell;
  /** This note's share of the notebook's math budget (the notebook view sets it). */
  @property({ attribute: false }) mathChars: number = MATH_LIMITS.noteChars;
  @property({ attribute: false }) mathFormulas: number = MATH_LIMITS.noteFormulas;
  @state() private editing = false;

  override render() {
    const cell = this.cell;
    return html`<div class="tools">
        <button
          aria-pressed=${this.editing ? 'true' : 'false'}
          @click=${() => (this.editing = !this.editing)}
        >
          ${this.editing ? 'Done' : 'Edit note'}
        </button>
      </div>
      ${
        this.editing
          ? html`<label for="source"
              >Markdown (with $math$)
              <textarea
                id="source"
                .value=${cell.markdown}
                @input=${(event: Event) =>
                  emit(this, 'ff-cell-change', {
                    id: cell.id,
                    patch: { markdown: (event.target as HTMLTextAreaElement).value },
                  })}
              ></textarea>
            </label>`
          : ''
      }
      <ff-markdown
        .source=${cell.markdown}
        .mathChars=${this.mathChars}
        .mathFormulas=${this.mathFormulas}
      ></ff-markdown>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-note-cell': FfNoteCell;
  }
}

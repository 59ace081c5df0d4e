import { LitElement, html, css } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { GALLERY, type GalleryEntry } from '../../gallery';
import { cellStyles } from '../shared.styles';

/**
 * The gallery dialog: the example notebooks with a line each. Choosing one emits
 * ff-gallery-open with its name; the app loads the pretrained file.
 */
@customElement('ff-gallery')
export class FfGallery extends LitElement {
  static override styles = [
    cellStyles,
    css`
      dialog {
        max-width: 40rem;
        color: inherit;
        background: var(--ff-cell-bg, #fff);
        border: 1px solid var(--ff-border, #8a8a8e);
        border-radius: 10px;
      }
      ul {
        list-style: none;
        padding: 0;
        margin: 0 0 1rem;
      }
      li {
        margin: 0.5rem 0;
      }
      li button {
        text-align: left;
        width: 100%;
      }
      .summary {
        display: block;
        color: var(--ff-muted, #5b5b60);
        font-size: 0.9em;
        font-weight: normal;
      }
    `,
  ];

  @property({ attribute: false }) entries: readonly GalleryEntry[] = GALLERY;
  @query('dialog') private dialog!: HTMLDialogElement;

  get open(): boolean {
    return this.dialog?.open ?? false;
  }

  async show(): Promise<void> {
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
  }

  close(): void {
    this.dialog?.close();
  }

  private choose(name: string): void {
    this.close();
    this.dispatchEvent(
      new CustomEvent('ff-gallery-open', { detail: { name }, bubbles: true, composed: true }),
    );
  }

  override render() {
    return html`<dialog aria-labelledby="gallery-title">
      <h2 id="gallery-title">Gallery</h2>
      <p>Pretrained examples: each opens with its weights and samples at once.</p>
      <ul>
        ${this.entries.map(
          (entry) =>
            html`<li>
              <button data-name=${entry.name} @click=${() => this.choose(entry.name)}>
                <strong>${entry.title}</strong>
                <span class="summary">${entry.summary}</span>
              </button>
            </li>`,
        )}
      </ul>
      <button @click=${() => this.close()}>Close</button>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-gallery': FfGallery;
  }
  interface GlobalEventHandlersEventMap {
    'ff-gallery-open': CustomEvent<{ name: string }>;
  }
}

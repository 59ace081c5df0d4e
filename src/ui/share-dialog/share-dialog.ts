import { LitElement, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { cellStyles } from '../shared.styles';
import { shareDialogStyles } from './share-dialog.styles';

/** One way to share: the full URL and the `nb=…` fragment it carries. */
export interface ShareLink {
  url: string;
  fragment: string;
}

/** What the app computed for the dialog. */
export interface ShareOptions {
  /** Settings, data and seeds; replays by retraining. */
  settings: ShareLink;
  /** Also the trained weights as float16; absent when nothing is trained; a message on failure. */
  weights?: ShareLink | { error: string };
  /** Train cells whose parameter hash the settings-only link records. */
  replayable: number;
  /** Longest link (characters) offered for copying; longer ones become a file. */
  budget: number;
  /** URL of embed.js for the Embed snippet. */
  embedScript: string;
}

type Choice = 'settings' | 'weights';

/**
 * The Share dialog: settings-only or with-weights link, each with its length; Copy, or a file
 * when the link is over budget; and the Embed snippet. It only renders and copies; the app
 * computes the links and writes the file (ff-share-download).
 */
@customElement('ff-share-dialog')
export class FfShareDialog extends LitElement {
  static override styles = [cellStyles, shareDialogStyles];

  @property({ attribute: false }) options: ShareOptions | undefined;
  @state() private choice: Choice = 'settings';
  @state() private status = '';
  /** The text the last Copy put on the clipboard (or tried to). */
  lastCopied = '';
  @query('dialog') private dialog!: HTMLDialogElement;

  get open(): boolean {
    return this.dialog?.open ?? false;
  }

  async show(options: ShareOptions): Promise<void> {
    this.options = options;
    this.status = '';
    this.choice =
      'weights' in options && options.weights && 'url' in options.weights ? 'weights' : 'settings';
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
  }

  close(): void {
    this.dialog?.close();
  }

  private selected(): ShareLink | undefined {
    const o = this.options;
    if (!o) return undefined;
    if (this.choice === 'weights') return o.weights && 'url' in o.weights ? o.weights : undefined;
    return o.settings;
  }

  /** The snippet that embeds this notebook on another page. */
  embedSnippet(link: ShareLink): string {
    return (
      `<script type="module" src="${this.options!.embedScript}"></script>\n` +
      `<flowfield-notebook notebook="${link.fragment}"></flowfield-notebook>`
    );
  }

  private async copy(text: string, what: string): Promise<void> {
    this.lastCopied = text;
    try {
      await navigator.clipboard.writeText(text);
      this.status = `${what} copied to the clipboard.`;
    } catch {
      // No clipboard permission (or an insecure page): leave the text selectable instead.
      this.status = `The browser refused the clipboard: select the ${what.toLowerCase()} in the box and copy it (Ctrl+C).`;
    }
  }

  private download(): void {
    this.dispatchEvent(new CustomEvent('ff-share-download', { bubbles: true, composed: true }));
  }

  private option(
    choice: Choice,
    label: string,
    link: ShareLink | { error: string } | undefined,
    note: string,
  ) {
    const budget = this.options!.budget;
    const length = link && 'url' in link ? link.url.length : undefined;
    return html`<label class="choice">
      <input
        type="radio"
        name="share"
        value=${choice}
        .checked=${this.choice === choice}
        ?disabled=${length === undefined}
        @change=${() => (this.choice = choice)}
      />
      <span>
        <strong>${label}</strong>
        <span class="length" data-choice=${choice}
          >${
            length === undefined
              ? link && 'error' in link
                ? link.error
                : 'nothing trained yet'
              : `${length.toLocaleString('en')} characters${length > budget ? ' — too long for a link' : ''}`
          }</span
        >
        <span class="note">${note}</span>
      </span>
    </label>`;
  }

  override render() {
    const o = this.options;
    const link = this.selected();
    const over = link ? link.url.length > (o?.budget ?? Infinity) : false;
    return html`<dialog aria-labelledby="share-title">
      <h2 id="share-title">Share this notebook</h2>
      ${
        o
          ? html`<fieldset>
                <legend>What the link carries</legend>
                ${this.option(
                  'settings',
                  'Settings only',
                  o.settings,
                  `Cells, data, settings and seeds. Run all on the same browser and GPU retrains to bit-identical parameters${o.replayable ? `; the link records the parameter hash of ${o.replayable} trained model${o.replayable > 1 ? 's' : ''}, so a replay says whether it matched` : ''}.`,
                )}
                ${this.option(
                  'weights',
                  'With weights (float16)',
                  o.weights,
                  'Also the trained weights: whoever opens it sees samples at once, without training.',
                )}
              </fieldset>
              ${
                link
                  ? html`<label for="share-url">Link</label>
                      <textarea
                        id="share-url"
                        readonly
                        rows="3"
                        .value=${over ? '' : link.url}
                      ></textarea>`
                  : nothing
              }
              <p class="privacy">
                Everything is in the part after <code>#</code>, which browsers never send to a
                server.
              </p>
              <div class="actions">
                ${
                  link && !over
                    ? html`<button class="primary" @click=${() => this.copy(link.url, 'Link')}>
                        Copy link
                      </button>`
                    : nothing
                }
                ${
                  over
                    ? html`<p class="over" role="note">
                        This link is ${link!.url.length.toLocaleString('en')} characters, over the
                        ${o.budget.toLocaleString('en')} that links reliably survive. Share a file
                        instead:
                      </p>`
                    : nothing
                }
                <button class=${over ? 'primary' : ''} @click=${() => this.download()}>
                  Download .flowfield.json
                </button>
                ${
                  link && !over
                    ? html`<button
                        @click=${() => this.copy(this.embedSnippet(link), 'Embed snippet')}
                      >
                        Embed
                      </button>`
                    : nothing
                }
                <button @click=${() => this.close()}>Close</button>
              </div>
              <p class="status" role="status">${this.status}</p>`
          : html`<p>Preparing the link…</p>`
      }
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-share-dialog': FfShareDialog;
  }
}

import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { MATH_LIMITS, mathBudget, renderMarkdown } from './render';
import { inOwnTask } from './render-queue';
import { loadKatex } from './katex-loader';
import { markdownStyles } from './markdown.styles';

/**
 * Characters of a note shown until "Show the whole note": laying out and styling 100 000
 * characters took a few hundred ms (20 000 still ~200 ms on a busy machine). The gallery's
 * longest note has under 3 000.
 */
export const NOTE_SHOWN_CHARS = 10_000;

/** `source` cut to about `limit` characters at a line break (whole when it is shorter). */
function shownPart(source: string, limit: number): string {
  if (source.length <= limit) return source;
  const cut = source.lastIndexOf('\n', limit);
  return source.slice(0, cut > limit / 2 ? cut : limit);
}

/** Sources up to this long with few formulas render at once; longer ones in a task of their own. */
const QUICK_SOURCE = 4000;
const QUICK_DOLLARS = 40;

function quick(source: string): boolean {
  if (source.length > QUICK_SOURCE) return false;
  let dollars = 0;
  for (let i = source.indexOf('$'); i >= 0; i = source.indexOf('$', i + 1)) {
    if (++dollars > QUICK_DOLLARS) return false;
  }
  return true;
}

/**
 * Renders a safe Markdown subset with math (see render.ts). Math stays within `mathChars` and
 * `mathFormulas` (the note's share of the notebook's budget); formulas past it show as TeX
 * source under a visible "math not rendered: too long". A long source renders in a task of its
 * own (render-queue.ts), so many heavy notes never block the page at once; `updateComplete`
 * waits for it.
 */
@customElement('ff-markdown')
export class FfMarkdown extends LitElement {
  static override styles = markdownStyles;

  @property() source = '';
  @property({ attribute: false }) mathChars: number = MATH_LIMITS.noteChars;
  @property({ attribute: false }) mathFormulas: number = MATH_LIMITS.noteFormulas;
  @state() private blocks: TemplateResult[] | undefined;
  /** The whole note shown (the reader asked for it). */
  @state() private whole = false;
  private hiddenChars = 0;
  @state() private skipped = 0;
  /** The queued render of a long source, until it has run. */
  private rendering: Promise<void> | undefined;
  private generation = 0;

  protected override willUpdate(changed: PropertyValues<this>): void {
    const inputs = ['source', 'mathChars', 'mathFormulas', 'whole'] as const;
    if (!inputs.some((name) => changed.has(name as keyof FfMarkdown))) return;
    const source = this.whole ? this.source : shownPart(this.source, NOTE_SHOWN_CHARS);
    this.hiddenChars = this.source.length - source.length;
    const generation = ++this.generation;
    const render = () => {
      if (generation !== this.generation) return;
      const budget = mathBudget(this.mathChars, this.mathFormulas);
      this.blocks = renderMarkdown(source, budget);
      this.skipped = budget.skipped;
      this.rendering = undefined;
      // Formulas met before KaTeX arrived show as TeX: render again once it is here.
      if (budget.waiting > 0) {
        this.rendering = loadKatex().then((katex) => {
          if (katex && generation === this.generation) render();
          else if (generation === this.generation) this.rendering = undefined;
        });
      }
    };
    if (quick(source)) {
      render();
      return;
    }
    this.blocks = undefined;
    this.rendering = inOwnTask(render);
  }

  protected override async getUpdateComplete(): Promise<boolean> {
    let done = await super.getUpdateComplete();
    while (this.rendering) {
      await this.rendering;
      done = await super.getUpdateComplete();
    }
    return done;
  }

  override render() {
    if (!this.blocks) return html`<p class="rendering" role="status">Rendering the note…</p>`;
    const notice = this.skipped
      ? html`<p class="math-skipped" role="note">
          <strong>Math not rendered: too long.</strong> ${this.skipped}
          ${this.skipped === 1 ? 'formula is' : 'formulas are'} shown as TeX source: a note renders
          at most ${MATH_LIMITS.noteFormulas} formulas and
          ${MATH_LIMITS.noteChars.toLocaleString('en')} characters of math (a notebook
          ${MATH_LIMITS.notebookChars.toLocaleString('en')}), each formula at most
          ${MATH_LIMITS.formulaChars.toLocaleString('en')}.
        </p>`
      : nothing;
    const more = this.hiddenChars
      ? html`<p class="more">
          <button @click=${() => (this.whole = true)}>
            Show the whole note (${this.hiddenChars.toLocaleString('en')} more characters)
          </button>
        </p>`
      : nothing;
    return html`${notice}${this.blocks}${more}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-markdown': FfMarkdown;
  }
}

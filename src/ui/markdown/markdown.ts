import { LitElement, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { renderMarkdown } from './render';
import { markdownStyles } from './markdown.styles';

/** Renders a safe Markdown subset with math (see markdown.ts). */
@customElement('ff-markdown')
export class FfMarkdown extends LitElement {
  static override styles = markdownStyles;

  @property() source = '';

  override render() {
    return html`${renderMarkdown(this.source)}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-markdown': FfMarkdown;
  }
}

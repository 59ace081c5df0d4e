/**
 * cssomStyle: the element's style properties follow the directive's values through CSSOM, on
 * the first render too (where Lit's styleMap writes a `style` attribute that a strict CSP
 * blocks: test/node/embed-origins.check.mjs runs the embed under the README's CSP).
 */
import { expect } from '@esm-bundle/chai';
import { html, render } from 'lit';
import { cssomStyle } from '../../src/ui/cssom-style';

describe('cssomStyle', () => {
  it('sets the properties on the first render, changes and removes them on later ones', () => {
    const host = document.createElement('div');
    const view = (properties: Record<string, string>) =>
      render(html`<span ${cssomStyle(properties)}></span>`, host);
    view({ background: 'rgb(1, 2, 3)', 'border-top-width': '4px' });
    const span = host.querySelector('span')!;
    expect(span.style.background).to.equal('rgb(1, 2, 3)');
    expect(span.style.borderTopWidth).to.equal('4px');
    view({ background: 'rgb(5, 6, 7)' });
    expect(span.style.background).to.equal('rgb(5, 6, 7)');
    expect(span.style.borderTopWidth).to.equal('');
  });

  it('refuses to go anywhere but on an element', () => {
    const host = document.createElement('div');
    expect(() => render(html`<span title=${cssomStyle({})}></span>`, host)).to.throw(
      /goes on an element/,
    );
  });
});

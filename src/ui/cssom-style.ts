/**
 * Inline styles that pass a strict Content-Security-Policy. Lit's styleMap writes its first
 * render as a `style` attribute (setAttribute), which a host page's `default-src 'none'` (or any
 * `style-src` without 'unsafe-inline') blocks as an inline style; properties set through CSSOM
 * (`element.style.setProperty`) are not inline styles and always apply. Used as an element
 * directive: <span ${cssomStyle({ background: color })}></span>.
 */
import { noChange } from 'lit';
import { Directive, directive, PartType, type ElementPart, type PartInfo } from 'lit/directive.js';

type Properties = Readonly<Record<string, string>>;

class CssomStyleDirective extends Directive {
  private previous: Properties = {};

  constructor(info: PartInfo) {
    super(info);
    if (info.type !== PartType.ELEMENT) {
      throw new Error('cssomStyle() goes on an element: <span ${cssomStyle({ … })}>.');
    }
  }

  render(_properties: Properties): typeof noChange {
    return noChange;
  }

  override update(part: ElementPart, [properties]: [Properties]): typeof noChange {
    const style = (part.element as HTMLElement).style;
    for (const name of Object.keys(this.previous)) {
      if (!(name in properties)) style.removeProperty(name);
    }
    for (const [name, value] of Object.entries(properties)) style.setProperty(name, value);
    this.previous = properties;
    return noChange;
  }
}

export const cssomStyle = directive(CssomStyleDirective);

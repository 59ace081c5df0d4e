/**
 * A small, safe Markdown subset rendered to Lit templates: headings (#, ##, ###), paragraphs,
 * *emphasis*, **strong**, `code`, bullet and numbered lists, [links](https://…) (http, https
 * and mailto only; others render as text) and math: $inline$ and $$display$$ through KaTeX.
 * User text only ever becomes text nodes or attribute values; the single HTML string inserted is
 * KaTeX's MathML output (trust: false), which escapes its input.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import katex from 'katex';

type Inline = TemplateResult | string;

/** Longest TeX source rendered (longer shows as text). */
const MAX_TEX = 2000;

export function renderMath(tex: string, display: boolean): TemplateResult {
  if (tex.length > MAX_TEX) return html`<code>${tex}</code>`;
  const markup = katex.renderToString(tex, {
    displayMode: display,
    output: 'mathml',
    throwOnError: false,
    trust: false,
    strict: 'ignore',
    maxSize: 20,
    maxExpand: 200,
  });
  return html`<span class=${display ? 'math display' : 'math'}>${unsafeHTML(markup)}</span>`;
}

function safeHref(href: string): string | undefined {
  try {
    const url = new URL(href, 'https://invalid.example/');
    if (url.origin === 'https://invalid.example') return undefined;
    return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

const INLINE = /\$([^$\n]+)\$|`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\n]+)\*|\[([^\]]+)\]\(([^)\s]+)\)/g;

export function renderInline(text: string): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    const index = match.index ?? 0;
    if (index > last) out.push(text.slice(last, index));
    const [, math, code, strong, em, label, href] = match;
    if (math !== undefined) out.push(renderMath(math, false));
    else if (code !== undefined) out.push(html`<code>${code}</code>`);
    else if (strong !== undefined) out.push(html`<strong>${renderInline(strong)}</strong>`);
    else if (em !== undefined) out.push(html`<em>${renderInline(em)}</em>`);
    else if (label !== undefined) {
      const safe = safeHref(href ?? '');
      out.push(
        safe
          ? html`<a href=${safe} rel="noopener noreferrer" target="_blank">${label}</a>`
          : match[0],
      );
    }
    last = index + match[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** The blocks of `source` as Lit templates. */
export function renderMarkdown(source: string): TemplateResult[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: TemplateResult[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === '') {
      i++;
      continue;
    }
    if (trimmed.startsWith('$$')) {
      const tex: string[] = [trimmed.slice(2)];
      let closed = tex[0]!.endsWith('$$') && tex[0]!.length >= 2;
      if (closed) tex[0] = tex[0]!.slice(0, -2);
      i++;
      while (!closed && i < lines.length) {
        const next = lines[i]!;
        i++;
        if (next.trim().endsWith('$$')) {
          tex.push(next.trim().slice(0, -2));
          closed = true;
        } else tex.push(next);
      }
      blocks.push(html`<div class="display-math">${renderMath(tex.join('\n'), true)}</div>`);
      continue;
    }
    const heading = /^(#{1,3})\s+(.*)$/.exec(trimmed);
    if (heading) {
      const content = renderInline(heading[2]!);
      const level = heading[1]!.length;
      blocks.push(
        level === 1
          ? html`<h3>${content}</h3>`
          : level === 2
            ? html`<h4>${content}</h4>`
            : html`<h5>${content}</h5>`,
      );
      i++;
      continue;
    }
    const bullet = /^[-*]\s+/;
    const numbered = /^\d+[.)]\s+/;
    if (bullet.test(trimmed) || numbered.test(trimmed)) {
      const pattern = bullet.test(trimmed) ? bullet : numbered;
      const items: Inline[][] = [];
      while (i < lines.length && pattern.test(lines[i]!.trim())) {
        items.push(renderInline(lines[i]!.trim().replace(pattern, '')));
        i++;
      }
      const lis = items.map((item) => html`<li>${item}</li>`);
      blocks.push(
        pattern === bullet
          ? html`<ul>
              ${lis}
            </ul>`
          : html`<ol>
              ${lis}
            </ol>`,
      );
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length) {
      const next = lines[i]!.trim();
      if (next === '' || next.startsWith('$$') || /^#{1,3}\s/.test(next)) break;
      if (paragraph.length > 0 && (bullet.test(next) || numbered.test(next))) break;
      paragraph.push(next);
      i++;
    }
    blocks.push(html`<p>${renderInline(paragraph.join(' '))}</p>`);
  }
  return blocks.length ? blocks : [html`${nothing}`];
}

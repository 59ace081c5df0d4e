/**
 * A small, safe Markdown subset rendered to Lit templates: headings (#, ##, ###), paragraphs,
 * *emphasis*, **strong**, `code`, bullet and numbered lists, [links](https://…) (http, https
 * and mailto only; others render as text) and math: $inline$ and $$display$$ through KaTeX.
 * User text only ever becomes text nodes or attribute values; the single HTML string inserted is
 * KaTeX's MathML output (trust: false), which escapes its input.
 *
 * Notes come from links, so their cost is bounded: KaTeX runs on at most MATH_LIMITS per note
 * (and per notebook, see mathAllowances), formulas past the budget show as their TeX source, and
 * every pattern of the inline parser is linear (an unclosed `[` used to rescan the rest).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { loadedKatex } from './katex-loader';

type Inline = TemplateResult | string;

/**
 * How much TeX KaTeX renders: one formula, one note, one notebook (characters of TeX source and
 * formulas). KaTeX takes up to ~4 µs per character on a laptop CPU (a 1 900-character matrix:
 * 7 ms), so a note's math stays within ~20 ms and a notebook's within ~80 ms. The gallery's
 * largest note has 441 characters of math in 12 formulas.
 */
export const MATH_LIMITS = {
  formulaChars: 2000,
  noteChars: 4000,
  noteFormulas: 100,
  notebookChars: 16_000,
  notebookFormulas: 400,
} as const;

/**
 * What is left to render of one note's math; `skipped` counts formulas shown as source because
 * of the budget, `waiting` those shown as source because KaTeX has not been loaded yet.
 */
export interface MathBudget {
  chars: number;
  formulas: number;
  skipped: number;
  waiting: number;
}

export function mathBudget(
  chars: number = MATH_LIMITS.noteChars,
  formulas: number = MATH_LIMITS.noteFormulas,
): MathBudget {
  return { chars, formulas, skipped: 0, waiting: 0 };
}

/** Formula `tex` through KaTeX, or as its TeX source when it is too long or over `budget`. */
export function renderMath(
  tex: string,
  display: boolean,
  budget: MathBudget = mathBudget(),
): TemplateResult {
  if (tex.length > MATH_LIMITS.formulaChars || tex.length > budget.chars || budget.formulas < 1) {
    budget.skipped++;
    return html`<code class="tex">${tex}</code>`;
  }
  const katex = loadedKatex();
  if (!katex) {
    budget.waiting++;
    return html`<code class="tex">${tex}</code>`;
  }
  budget.chars -= tex.length;
  budget.formulas--;
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

// Each alternative stops at its closing character or after a bounded length: a link label that
// never closes used to make the scan quadratic (33 000 "[a " froze the page for 6 s).
const INLINE =
  /\$([^$\n]+)\$|`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\n]+)\*|\[([^\]\n]{1,200})\]\(([^)\s]{1,2000})\)/g;

export function renderInline(text: string, budget: MathBudget = mathBudget()): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    const index = match.index ?? 0;
    if (index > last) out.push(text.slice(last, index));
    const [, math, code, strong, em, label, href] = match;
    if (math !== undefined) out.push(renderMath(math, false, budget));
    else if (code !== undefined) out.push(html`<code>${code}</code>`);
    else if (strong !== undefined) out.push(html`<strong>${renderInline(strong, budget)}</strong>`);
    else if (em !== undefined) out.push(html`<em>${renderInline(em, budget)}</em>`);
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

/** The blocks of `source` as Lit templates; math only as far as `budget` goes. */
export function renderMarkdown(
  source: string,
  budget: MathBudget = mathBudget(),
): TemplateResult[] {
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
      blocks.push(
        // A wide formula scrolls sideways: focusable, so keyboard users can scroll it too.
        html`<div class="display-math" tabindex="0" role="group" aria-label="Formula">
          ${renderMath(tex.join('\n'), true, budget)}
        </div>`,
      );
      continue;
    }
    const heading = /^(#{1,3})\s+(.*)$/.exec(trimmed);
    if (heading) {
      const content = renderInline(heading[2]!, budget);
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
        items.push(renderInline(lines[i]!.trim().replace(pattern, ''), budget));
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
    blocks.push(html`<p>${renderInline(paragraph.join(' '), budget)}</p>`);
  }
  return blocks.length ? blocks : [html`${nothing}`];
}

/**
 * Characters and count of the formulas in `source` ($…$ on one line, $$…$$ across lines), by
 * one linear scan with no KaTeX: what the notebook's math budget is shared out by.
 */
export function mathUsage(source: string): { chars: number; formulas: number } {
  let chars = 0;
  let formulas = 0;
  let newline = -1;
  let i = 0;
  for (;;) {
    const open = source.indexOf('$', i);
    if (open < 0) break;
    if (source.startsWith('$$', open)) {
      const close = source.indexOf('$$', open + 2);
      if (close < 0) break;
      chars += close - open - 2;
      formulas++;
      i = close + 2;
      continue;
    }
    if (newline < open) {
      newline = source.indexOf('\n', open);
      if (newline < 0) newline = source.length;
    }
    const close = source.indexOf('$', open + 1);
    if (close < 0) break;
    if (close > newline) {
      i = newline;
      continue;
    }
    chars += close - open - 1;
    formulas++;
    i = close + 1;
  }
  return { chars, formulas };
}

/**
 * Each note's math budget, in notebook order: its own MATH_LIMITS, less what the notes above it
 * use of the notebook's, so a notebook of many heavy notes renders the math of the first ones.
 */
export function mathAllowances(
  usages: readonly { chars: number; formulas: number }[],
): { chars: number; formulas: number }[] {
  let chars: number = MATH_LIMITS.notebookChars;
  let formulas: number = MATH_LIMITS.notebookFormulas;
  return usages.map((usage) => {
    const allowance = {
      chars: Math.min(MATH_LIMITS.noteChars, chars),
      formulas: Math.min(MATH_LIMITS.noteFormulas, formulas),
    };
    chars -= Math.min(usage.chars, allowance.chars);
    formulas -= Math.min(usage.formulas, allowance.formulas);
    return allowance;
  });
}

import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/markdown/markdown';
import { NOTE_SHOWN_CHARS, type FfMarkdown } from '../../../src/ui/markdown/markdown';
import {
  MATH_LIMITS,
  mathAllowances,
  mathUsage,
  renderInline,
} from '../../../src/ui/markdown/render';
import { loadedKatex } from '../../../src/ui/markdown/katex-loader';

async function render(source: string): Promise<ShadowRoot> {
  const el = await fixture<FfMarkdown>(html`<ff-markdown .source=${source}></ff-markdown>`);
  return el.shadowRoot!;
}

describe('<ff-markdown>', () => {
  // First, while this page has not rendered any math: KaTeX is fetched on demand.
  it('loads KaTeX only once a note has math, then renders that note again with it', async () => {
    const plain = await render('No formulas here, only *text* and a price of 5 dollars.');
    expect(plain.querySelector('em')!.textContent).to.equal('text');
    expect(loadedKatex(), 'KaTeX loaded for a note without math').to.equal(undefined);
    const el = await fixture<FfMarkdown>(
      html`<ff-markdown .source=${'Energy $E = mc^2$.'}></ff-markdown>`,
    );
    // updateComplete waits for KaTeX and the second rendering.
    expect(loadedKatex()).to.not.equal(undefined);
    expect(el.shadowRoot!.querySelectorAll('math')).to.have.length(1);
    expect(el.shadowRoot!.querySelector('code.tex')).to.equal(null);
  });

  it('renders headings, emphasis, code, lists and links', async () => {
    const root = await render(
      '# Title\n\nSome *em* and **strong** and `code`.\n\n- a\n- b\n\n1. one\n\n[site](https://example.org/x)',
    );
    expect(root.querySelector('h3')!.textContent).to.equal('Title');
    expect(root.querySelector('em')!.textContent).to.equal('em');
    expect(root.querySelector('strong')!.textContent).to.equal('strong');
    expect(root.querySelector('code')!.textContent).to.equal('code');
    expect(root.querySelectorAll('ul li')).to.have.length(2);
    expect(root.querySelectorAll('ol li')).to.have.length(1);
    const a = root.querySelector('a')!;
    expect(a.href).to.equal('https://example.org/x');
    expect(a.rel).to.contain('noopener');
  });

  it('renders inline and display math as MathML through KaTeX', async () => {
    const root = await render('Inline $x^2$ here.\n\n$$\\log p(x) = \\sum_k s_k$$');
    expect(root.querySelectorAll('math')).to.have.length(2);
    expect(root.querySelector('.display-math math')).to.not.equal(null);
  });

  it('a formula too wide for its note scrolls in a region keyboard users can reach (axe)', async () => {
    const wide = `$$${'x_1 + '.repeat(120)}x$$`;
    const el = await fixture<FfMarkdown>(
      html`<ff-markdown style="display:block;width:200px" .source=${wide}></ff-markdown>`,
    );
    const region = el.shadowRoot!.querySelector<HTMLElement>('.display-math')!;
    expect(region.scrollWidth, 'the formula overflows its note').to.be.greaterThan(
      region.clientWidth,
    );
    expect(region.tabIndex).to.equal(0);
    await expect(el).to.be.accessible();
  });

  it('keeps HTML, script and javascript: links inert', async () => {
    const root = await render(
      '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=1</script>\n\n[click](javascript:alert(1)) $\\href{javascript:alert(1)}{x}$',
    );
    expect(root.querySelector('img, script')).to.equal(null);
    expect(root.querySelector('a')).to.equal(null);
    expect(root.textContent).to.contain('<img src=x');
    expect(root.textContent).to.contain('[click](javascript:alert(1))');
    expect((window as { __pwned?: number }).__pwned).to.equal(undefined);
  });

  it('an unclosed link label costs linear time (33 000 "[a " took 6 s), and links still work', () => {
    const start = performance.now();
    renderInline('[a '.repeat(33_000));
    expect(performance.now() - start).to.be.lessThan(500);
    const [, link] = renderInline('see [the site](https://example.org/) now') as unknown[];
    expect(String((link as { strings?: string[] }).strings?.join(''))).to.contain('<a href=');
  });

  it('renders at most the note budget of formulas; the rest as TeX source under a notice', async () => {
    const source = Array.from({ length: 150 }, (_, i) => `$x_{${i}}$`).join(' ');
    const root = await render(source);
    expect(root.querySelectorAll('math')).to.have.length(MATH_LIMITS.noteFormulas);
    expect(root.querySelectorAll('code.tex')).to.have.length(150 - MATH_LIMITS.noteFormulas);
    expect(root.querySelector('.math-skipped')!.textContent).to.match(
      /Math not rendered: too long\.\s+50\s+formulas are shown as TeX source/,
    );
    const el = await fixture<FfMarkdown>(
      html`<ff-markdown .source=${'$a$ $b$ $c$ $d$'} .mathFormulas=${2}></ff-markdown>`,
    );
    expect(el.shadowRoot!.querySelectorAll('math')).to.have.length(2);
    expect(el.shadowRoot!.querySelector('.math-skipped')).to.not.equal(null);
    expect((await render('$a$ and $$b$$')).querySelector('.math-skipped')).to.equal(null);
  });

  it('shares the notebook budget among notes in order (mathUsage, mathAllowances)', () => {
    expect(mathUsage('a $x^2$ b\n\n$$\ny\n$$ c $ not closed\n$z$')).to.deep.equal({
      chars: 3 + 3 + 1,
      formulas: 3,
    });
    const start = performance.now();
    expect(mathUsage('$a'.repeat(50_000)).formulas).to.equal(25_000);
    expect(performance.now() - start).to.be.lessThan(200);
    const heavy = { chars: 5000, formulas: 10 };
    const allowances = mathAllowances([
      heavy,
      heavy,
      heavy,
      heavy,
      heavy,
      { chars: 10, formulas: 1 },
    ]);
    expect(allowances.map((a) => a.chars)).to.deep.equal([4000, 4000, 4000, 4000, 0, 0]);
    expect(allowances[0]!.formulas).to.equal(MATH_LIMITS.noteFormulas);
  });

  it('a very long note shows its first part, and all of it when asked', async () => {
    const line = 'Plain words in a long note, nothing else.\n';
    const source = line.repeat(Math.ceil((3 * NOTE_SHOWN_CHARS) / line.length));
    const el = await fixture<FfMarkdown>(html`<ff-markdown .source=${source}></ff-markdown>`);
    const shown = el.shadowRoot!.textContent!.length;
    expect(shown).to.be.lessThan(NOTE_SHOWN_CHARS + 500);
    const more = el.shadowRoot!.querySelector<HTMLButtonElement>('.more button')!;
    expect(more.textContent).to.match(/Show the whole note \([\d,]+ more characters\)/);
    more.click();
    await el.updateComplete;
    expect(el.shadowRoot!.textContent!.length).to.be.greaterThan(2 * NOTE_SHOWN_CHARS);
    expect(el.shadowRoot!.querySelector('.more')).to.equal(null);
  });

  it('is accessible', async () => {
    const el = await fixture(
      html`<ff-markdown
        source="# Hi

Text $a+b$."
      ></ff-markdown>`,
    );
    await expect(el).to.be.accessible();
  });
});

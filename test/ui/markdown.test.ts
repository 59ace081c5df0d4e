import { expect, fixture, html } from '@open-wc/testing';
import '../../src/ui/markdown/markdown';
import type { FfMarkdown } from '../../src/ui/markdown/markdown';

async function render(source: string): Promise<ShadowRoot> {
  const el = await fixture<FfMarkdown>(html`<ff-markdown .source=${source}></ff-markdown>`);
  return el.shadowRoot!;
}

describe('<ff-markdown>', () => {
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

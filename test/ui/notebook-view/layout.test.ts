/**
 * Phone portrait (360 × 740 CSS px): the notebook with every cell kind, trained runs and a
 * computed comparison fits the width (no horizontal scroll, no cell wider than the viewport),
 * and its controls are touch-sized.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import { CELL_KINDS, createCell, defaultNotebook, type Cell } from '../../../src/notebook';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import { FakeLabClient } from '../support/fake-lab-client';

const PHONE = { width: 360, height: 740 };
/** WCAG 2.5.8 asks for 24 px at least; phones want more. */
const TOUCH_PX = 40;

/** The fake client with the Compare cell's log-densities (constant: only the layout matters). */
class MeasuringClient extends FakeLabClient {
  async dataLogProb(_source: unknown, points: Float32Array): Promise<Float32Array> {
    return new Float32Array(points.length / 2).fill(-2);
  }
  async modelLogProb(_runId: string, points: Float32Array): Promise<Float32Array> {
    return new Float32Array(points.length / 2).fill(-2.5);
  }
  async parameterCount(): Promise<number> {
    return 123_456;
  }
}

/** Every element inside `root`, through open shadow roots. */
function* deep(root: ParentNode): Generator<Element> {
  for (const el of root.querySelectorAll('*')) {
    yield el;
    if (el.shadowRoot) yield* deep(el.shadowRoot);
  }
}

/** Whether `el` is shown: not display:none, not in a closed <details>, not collapsed. */
function shown(el: Element): boolean {
  const rect = el.getBoundingClientRect();
  return el.checkVisibility() && rect.width > 0 && rect.height > 0;
}

describe('phone portrait layout', () => {
  before(async () => {
    await setViewport(PHONE);
  });
  after(async () => {
    await setViewport({ width: 800, height: 600 });
  });

  it('every cell kind fits 360 px: no horizontal scroll, touch-sized controls', async () => {
    expect(window.innerWidth).to.equal(PHONE.width);
    document.body.style.margin = '0';
    const client = new MeasuringClient();
    const app = await fixture<FfApp>(html`<ff-app .client=${client}></ff-app>`);
    const base = defaultNotebook();
    const extra: Cell[] = [
      createCell('model', 'model-2'),
      createCell('train', 'train-2'),
      createCell('view', 'view-2'),
      createCell('compare', 'compare-1'),
      {
        ...(createCell('data', 'data-2') as Cell & { kind: 'data' }),
        source: { kind: 'grid', width: 32, height: 32, weights: new Array(1024).fill(0), seed: 1 },
      },
      {
        ...(createCell('data', 'data-3') as Cell & { kind: 'data' }),
        source: { kind: 'points', text: 'x,y\n0,0\n1,1\n', jitter: 0.1, seed: 1 },
      },
    ];
    app.store.dispatch({
      type: 'replace',
      notebook: { ...base, cells: [...base.cells, ...extra] },
    });
    await app.lab!.play('train-1');
    await app.lab!.play('train-2');
    await app.lab!.compare('compare-1');
    expect(app.lab!.comparison('compare-1')?.state).to.equal('done');
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await app.updateComplete;
    }
    const view = app.shadowRoot!.querySelector('ff-notebook-view')!;
    await view.updateComplete;
    const kinds = new Set(
      [...view.shadowRoot!.querySelectorAll<HTMLElement>('section.cell')].map(
        (s) => s.dataset['kind'],
      ),
    );
    expect([...kinds].sort()).to.deep.equal([...CELL_KINDS].sort());
    await new Promise((r) => requestAnimationFrame(() => r(undefined)));

    expect(document.documentElement.scrollWidth, 'page width').to.be.at.most(PHONE.width);
    const wide: string[] = [];
    const small: string[] = [];
    for (const el of deep(app.shadowRoot!)) {
      if (!shown(el)) continue;
      const rect = el.getBoundingClientRect();
      const name = `${el.localName}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')}`;
      // Wide tables scroll inside their own region; nothing else may stick out.
      const scroller = el.closest('.table-wrap');
      if (!scroller && (rect.right > PHONE.width + 0.5 || rect.left < -0.5)) {
        wide.push(`${name} [${rect.left.toFixed(0)}, ${rect.right.toFixed(0)}]`);
      }
      const control =
        el.localName === 'button' ||
        el.localName === 'select' ||
        (el.localName === 'input' &&
          !['checkbox', 'radio', 'range'].includes((el as HTMLInputElement).type));
      if (control && rect.height < TOUCH_PX) small.push(`${name} ${rect.height.toFixed(0)}px`);
    }
    expect(wide, 'elements wider than the phone').to.deep.equal([]);
    expect(small, 'controls shorter than a touch target').to.deep.equal([]);
  });

  it('the header menus open inside the 360 px screen', async () => {
    document.body.style.margin = '0';
    const app = await fixture<FfApp>(html`<ff-app .client=${new MeasuringClient()}></ff-app>`);
    await app.session.boot({ hash: '', autosaveDb: `layout-${Date.now()}-${Math.random()}` });
    await app.updateComplete;
    const menus = [...app.shadowRoot!.querySelectorAll<HTMLDetailsElement>('details.menu')];
    expect(menus.length, 'header menus').to.be.greaterThan(0);
    const outside: string[] = [];
    for (const menu of menus) {
      menu.open = true;
      await new Promise((r) => requestAnimationFrame(() => r(undefined)));
      for (const el of [menu, ...deep(menu)]) {
        if (!shown(el)) continue;
        const rect = el.getBoundingClientRect();
        if (rect.right > PHONE.width + 0.5 || rect.left < -0.5) {
          outside.push(
            `${menu.className} ${el.localName} [${rect.left.toFixed(0)}, ${rect.right.toFixed(0)}]`,
          );
        }
      }
      menu.open = false;
    }
    expect(outside, 'menu parts outside the screen').to.deep.equal([]);
  });
});

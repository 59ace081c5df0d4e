import { expect, fixture, html } from '@open-wc/testing';
import { createCell, type ModelCell } from '../../../src/notebook';
import '../../../src/ui/model-cell/model-cell';
import type { FfModelCell } from '../../../src/ui/model-cell/model-cell';
import type { TeacherOption } from '../../../src/ui/model-cell/pairing';
import { modelSpec } from '../../../src/specs';
import { resolveDiffusionSpec, type DiffusionModelSpec } from '../../../src/models/diffusion/spec';
import { $, patches, setValue } from '../support/helpers';

type Model = ModelCell['model'];

function cellWith(patch: Partial<Model>, batch = 256): ModelCell {
  const cell = createCell('model', 'student') as ModelCell;
  const kind = patch.kind ?? 'flow-matching';
  const family = kind === 'ddpm' || kind === 'flow-matching' ? 'diffusion' : 'flow';
  return {
    ...cell,
    model: { ...cell.model, kind, family, ...patch },
    train: { ...cell.train, batch },
  };
}

const TEACHERS: TeacherOption[] = [
  { id: 'fm-a', title: 'First FM' },
  { id: 'fm-b', title: 'OT teacher' },
];

async function mount(
  cell: ModelCell,
  teachers: TeacherOption[] = TEACHERS,
  teacherError = '',
): Promise<FfModelCell> {
  return fixture<FfModelCell>(
    html`<ff-model-cell
      .cell=${cell}
      .teachers=${teachers}
      .teacherError=${teacherError}
    ></ff-model-cell>`,
  );
}

const has = (el: FfModelCell, selector: string) => el.shadowRoot!.querySelector(selector) !== null;
const lastModel = (seen: unknown[]) => (seen.at(-1) as { model: Model }).model;
const alerts = (el: FfModelCell) =>
  [...el.shadowRoot!.querySelectorAll('[role="alert"]')].map((e) => e.textContent!.trim());

describe('<ff-model-cell>: flow-matching pairing', () => {
  it('shows the pairing control only for flow matching', async () => {
    expect(has(await mount(cellWith({})), '#pairing')).to.equal(true);
    for (const kind of ['ddpm', 'realnvp', 'nice', 'glow', 'spline'] as const) {
      expect(has(await mount(cellWith({ kind })), '#pairing'), kind).to.equal(false);
    }
    // An old notebook's cell (no pairing field) shows Independent.
    const el = await mount(cellWith({}));
    expect(($(el, '#pairing') as unknown as HTMLSelectElement).value).to.equal('independent');
    expect(has(el, '#reflowTeacher')).to.equal(false);
  });

  it('every pairing control changes the setting it names; leaving reflow drops its settings', async () => {
    const el = await mount(cellWith({}));
    const seen = patches(el);
    setValue($(el, '#pairing'), 'minibatch-ot');
    expect(lastModel(seen).pairing).to.equal('minibatch-ot');
    expect(lastModel(seen)).to.not.have.property('reflow');
    expect(lastModel(seen).hidden).to.equal(el.cell.model.hidden);

    setValue($(el, '#pairing'), 'reflow');
    // The nearest teacher above (the last in notebook order), at the usual pairs and steps.
    expect(lastModel(seen)).to.deep.include({
      pairing: 'reflow',
      reflow: { teacher: 'fm-b', pairs: 4096, teacherSteps: 20 },
    });
    el.cell = { ...el.cell, model: lastModel(seen) };
    await el.updateComplete;
    for (const [selector, value, field, expected] of [
      ['#reflowTeacher', 'fm-a', 'teacher', 'fm-a'],
      ['#reflowPairs', '1024', 'pairs', 1024],
      ['#teacherSteps', '8', 'teacherSteps', 8],
    ] as const) {
      setValue($(el, selector), value);
      expect(lastModel(seen).reflow![field], selector).to.equal(expected);
      expect(lastModel(seen).pairing, selector).to.equal('reflow');
    }
    setValue($(el, '#pairing'), 'independent');
    expect(lastModel(seen).pairing).to.equal('independent');
    expect(lastModel(seen)).to.not.have.property('reflow');
  });

  it('another model kind drops the pairing (DDPM and flows have none)', async () => {
    const el = await mount(
      cellWith({ pairing: 'reflow', reflow: { teacher: 'fm-a', pairs: 512, teacherSteps: 4 } }),
    );
    const seen = patches(el);
    setValue($(el, '#kind'), 'ddpm');
    expect(lastModel(seen).kind).to.equal('ddpm');
    expect(lastModel(seen)).to.not.have.any.keys('pairing', 'reflow');
  });

  it('limits: OT over 512 says so, pairs out of range say so, no teacher disables reflow', async () => {
    const ot = await mount(cellWith({ pairing: 'minibatch-ot' }, 1024));
    expect(alerts(ot).join(' ')).to.match(/batch size must be at most 512 \(it is 1,024\)/);
    const fine = await mount(cellWith({ pairing: 'minibatch-ot' }, 512));
    expect(alerts(fine)).to.deep.equal([]);

    const many = await mount(
      cellWith({ pairing: 'reflow', reflow: { teacher: 'fm-a', pairs: 100, teacherSteps: 4 } }),
    );
    expect(many.shadowRoot!.querySelector('#reflowPairs-error')!.textContent).to.contain(
      'between 256 and 65,536',
    );

    const lonely = await mount(cellWith({}), []);
    const option = lonely.shadowRoot!.querySelector<HTMLOptionElement>(
      '#pairing option[value="reflow"]',
    )!;
    expect(option.disabled).to.equal(true);
    expect(lonely.shadowRoot!.textContent).to.contain(
      'Reflow needs a flow-matching Model cell above this one',
    );
  });

  it("shows why the teacher cannot teach, and keeps a missing teacher's id visible", async () => {
    const message = 'The reflow teacher "gone" is not in this notebook (was it deleted?)';
    const el = await mount(
      cellWith({ pairing: 'reflow', reflow: { teacher: 'gone', pairs: 512, teacherSteps: 4 } }),
      TEACHERS,
      message,
    );
    expect(alerts(el)).to.deep.equal([message]);
    const select = $(el, '#reflowTeacher') as unknown as HTMLSelectElement;
    expect(select.value).to.equal('gone');
    expect(select.selectedOptions[0]!.textContent).to.contain('unavailable');
  });

  it('tooltips say what each pairing buys', async () => {
    const el = await mount(
      cellWith({ pairing: 'reflow', reflow: { teacher: 'fm-a', pairs: 512, teacherSteps: 4 } }),
    );
    const tip = $(el, '#pairing').title;
    expect(tip).to.match(/straighter paths, so fewer ODE steps/);
    expect(tip).to.match(/cost per step/);
    expect(tip).to.match(/Liu et al\. 2023/);
    expect(tip).to.match(/1–2 Euler steps/);
    expect($(el, '#reflowTeacher').title).to.match(/trained flow-matching model above/);
  });

  it('explains the pairings with equations that typeset', async () => {
    const el = await mount(cellWith({}));
    const learn = el.shadowRoot!.querySelector('#pairing-learn')!;
    expect(learn.textContent).to.contain('How pairings work');
    const markdown = learn.querySelector('ff-markdown')!;
    await (markdown as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    const root = markdown.shadowRoot!;
    expect(root.textContent).to.match(/Liu et al\. 2023/);
    expect(root.querySelectorAll('math').length).to.be.greaterThan(4);
    expect(root.querySelector('.katex-error, merror, [mathcolor="#cc0000"]')).to.equal(null);
    expect(has(await mount(cellWith({ kind: 'ddpm' })), '#pairing-learn')).to.equal(false);
  });

  it('maps the pairing to a spec the library accepts (independent stays the default)', () => {
    for (const pairing of ['minibatch-ot', 'reflow'] as const) {
      const spec = modelSpec(cellWith({ pairing }).model) as DiffusionModelSpec;
      expect(spec.pairing).to.equal(pairing);
      expect(resolveDiffusionSpec(spec).pairing).to.equal(pairing);
    }
    for (const model of [cellWith({}).model, cellWith({ pairing: 'independent' }).model]) {
      const spec = modelSpec(model) as DiffusionModelSpec;
      expect(spec).to.not.have.property('pairing');
      expect(resolveDiffusionSpec(spec).pairing).to.equal('independent');
    }
  });

  it('is accessible with each pairing', async () => {
    await expect(await mount(cellWith({ pairing: 'minibatch-ot' }, 1024))).to.be.accessible();
    await expect(
      await mount(
        cellWith({ pairing: 'reflow', reflow: { teacher: 'fm-a', pairs: 512, teacherSteps: 4 } }),
      ),
    ).to.be.accessible();
    await expect(await mount(cellWith({}), [])).to.be.accessible();
  });
});

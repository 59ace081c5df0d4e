import { expect, fixture, html } from '@open-wc/testing';
import { createCell, type TrainCell } from '../../src/notebook';
import { IDLE_RUN, type RunView } from '../../src/ui/controllers/lab-controller';
import '../../src/ui/train-cell/train-cell';
import type { FfTrainCell } from '../../src/ui/train-cell/train-cell';
import { $, patches, setValue } from './support/helpers';

const cell = createCell('train', 't') as TrainCell;
const trained: RunView = {
  ...IDLE_RUN,
  state: 'done',
  step: 3,
  totalSteps: 3,
  losses: [3, 2, 1],
  learningRate: 1e-3,
  stepsPerSecond: 10,
  samplesPerSecond: 2560,
};

describe('<ff-train-cell>', () => {
  it('emits play, step and reset; pause while running', async () => {
    const el = await fixture<FfTrainCell>(
      html`<ff-train-cell .cell=${cell} .run=${trained}></ff-train-cell>`,
    );
    const commands: string[] = [];
    el.addEventListener('ff-train-command', (e) => commands.push(e.detail.command));
    for (const button of el.shadowRoot!.querySelectorAll('button')) button.click();
    expect(commands).to.deep.equal(['play', 'step', 'reset']);
    el.run = { ...trained, state: 'running' };
    await el.updateComplete;
    el.shadowRoot!.querySelector('button')!.click();
    expect(commands.at(-1)).to.equal('pause');
  });

  it('smoothing and log scale change the cell', async () => {
    const el = await fixture<FfTrainCell>(
      html`<ff-train-cell .cell=${cell} .run=${trained}></ff-train-cell>`,
    );
    const seen = patches(el);
    setValue($(el, '#smoothing'), '0.9');
    $(el, 'input[type=checkbox]').click();
    expect(seen).to.deep.equal([{ smoothing: 0.9 }, { logScale: true }]);
  });

  it('shows the loss, throughput and a failure banner', async () => {
    const el = await fixture<FfTrainCell>(
      html`<ff-train-cell
        .cell=${cell}
        .run=${{ ...trained, state: 'failed', error: 'The loss became NaN' }}
      ></ff-train-cell>`,
    );
    expect($(el, '.loss').textContent).to.equal('1.0000');
    expect($(el, '.banner').textContent).to.contain('NaN');
    const plot = $(el, 'ff-loss-plot');
    expect(plot.shadowRoot!.querySelector('svg')!.getAttribute('aria-label')).to.contain('3 steps');
  });

  it('is accessible', async () => {
    const el = await fixture<FfTrainCell>(
      html`<ff-train-cell .cell=${cell} .run=${trained}></ff-train-cell>`,
    );
    await expect(el).to.be.accessible();
  });
});

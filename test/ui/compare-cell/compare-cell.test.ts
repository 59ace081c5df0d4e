/**
 * The Compare cell: its metrics against closed forms and hand-computed values, which models it
 * compares (and the messages when it cannot), the component's controls, and the whole path
 * through <ff-app> and the LabController with a GPU-free client.
 */
import { expect, fixture, html } from '@open-wc/testing';
import {
  createCell,
  defaultNotebook,
  type Cell,
  type CompareCell,
  type DataSource,
  type ModelCell,
  type Notebook,
  type ViewCell,
} from '../../../src/notebook';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import '../../../src/ui/compare-cell/compare-cell';
import type { FfCompareCell } from '../../../src/ui/compare-cell/compare-cell';
import {
  comparePlan,
  computeComparison,
  runKey,
  compareCandidates,
  type Comparison,
  type TrainedRun,
} from '../../../src/ui/compare-cell/comparison';
import {
  energyDistance,
  klDataModel,
  nll,
  samplingNfe,
  NATS_TO_BITS_PER_DIM,
} from '../../../src/ui/compare-cell/metrics';
import type { SamplerChoice } from '../../../src/ui/controllers/lab-client';
import { FakeLabClient } from '../support/fake-lab-client';
import { $, patches, setValue } from '../support/helpers';

/** mulberry32: a small seeded generator, so the tests draw the same points every run. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` points of N(0, σ² I) in 2-D (Box–Muller). */
function gaussian(count: number, sigma: number, seed: number): Float32Array {
  const next = generator(seed);
  const out = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const r = Math.sqrt(-2 * Math.log(1 - next())) * sigma;
    const a = 2 * Math.PI * next();
    out[2 * i] = r * Math.cos(a);
    out[2 * i + 1] = r * Math.sin(a);
  }
  return out;
}

function gaussianLogProb(points: Float32Array, sigma: number): Float32Array {
  const out = new Float32Array(points.length / 2);
  for (let i = 0; i < out.length; i++) {
    const r2 = points[2 * i]! ** 2 + points[2 * i + 1]! ** 2;
    out[i] = -Math.log(2 * Math.PI * sigma * sigma) - r2 / (2 * sigma * sigma);
  }
  return out;
}

/**
 * The data are N(0, I); run `train-N`'s model is N(0, σ² I) with σ from `sigmas`. Grid and point
 * sources have no exact density, as in the worker.
 */
class GaussianClient extends FakeLabClient {
  constructor(readonly sigmas: Record<string, number>) {
    super();
  }
  override async sampleData(source: unknown, count: number, seed = 0): Promise<Float32Array> {
    this.calls.push('sampleData');
    return gaussian(count, 1, seed);
  }
  async dataLogProb(source: DataSource, points: Float32Array): Promise<Float32Array> {
    if (source.kind !== 'builtin') throw new Error('no closed-form density for this source');
    return gaussianLogProb(points, 1);
  }
  async modelLogProb(runId: string, points: Float32Array): Promise<Float32Array> {
    return gaussianLogProb(points, this.sigmas[runId]!);
  }
  readonly samplers: [string, SamplerChoice | undefined][] = [];
  override async sampleModel(
    runId: string,
    count: number,
    seed = 0,
    sampler?: SamplerChoice,
  ): Promise<Float32Array> {
    this.calls.push(`sampleModel ${runId}`);
    this.samplers.push([runId, sampler]);
    return gaussian(count, this.sigmas[runId]!, seed + 1000);
  }
  async parameterCount(runId: string): Promise<number> {
    return runId.length * 100;
  }
}

/** data → model → train → (model → train)… → compare, with the given model kinds. */
function notebookWith(kinds: string[], second?: DataSource): Notebook {
  const cells: Cell[] = [createCell('data', 'data-1')];
  kinds.forEach((kind, i) => {
    if (i === 1 && second) {
      cells.push({ ...(createCell('data', 'data-2') as Cell & { kind: 'data' }), source: second });
    }
    const model = createCell('model', `model-${i + 1}`) as ModelCell;
    const family = kind === 'ddpm' || kind === 'flow-matching' ? 'diffusion' : 'flow';
    cells.push({ ...model, model: { ...model.model, kind: kind as 'realnvp', family } });
    cells.push(createCell('train', `train-${i + 1}`));
    const view = createCell('view', `view-${i + 1}`) as ViewCell;
    cells.push(family === 'flow' ? view : { ...view, sampler: 'rk4', samplerSteps: 10 });
  });
  cells.push(createCell('compare', 'compare-1'));
  return { ...defaultNotebook(), cells };
}

function trainedRuns(notebook: Notebook, which: string[]): (id: string) => TrainedRun {
  const keys = new Map(compareCandidates(notebook, 'compare-1').map((c) => [c.trainId, runKey(c)]));
  return (id) =>
    which.includes(id)
      ? { state: 'done', step: 200, stepsPerSecond: 50, key: keys.get(id) }
      : { state: 'idle', step: 0, stepsPerSecond: 0 };
}

const compareCell = (notebook: Notebook) => notebook.cells.at(-1) as CompareCell;

describe('Compare metrics', () => {
  it('energy distance matches hand-computed values', () => {
    // Unit square's bottom edge vs its top edge: 2·(1 + √2)/2 − 1 − 1 = √2 − 1.
    const bottom = [0, 0, 1, 0];
    const top = [0, 1, 1, 1];
    expect(energyDistance(bottom, top)).to.be.closeTo(Math.SQRT2 - 1, 1e-12);
    // Two unit segments 10 apart: 2·(20 + 2√101)/4 − 1 − 1 = 8 + √101.
    expect(energyDistance([0, 0, 0, 1], [10, 0, 10, 1])).to.be.closeTo(8 + Math.sqrt(101), 1e-12);
    // Symmetric, and ≈ 0 for independent samples of one distribution.
    expect(energyDistance(top, bottom)).to.be.closeTo(Math.SQRT2 - 1, 1e-12);
    expect(Math.abs(energyDistance(gaussian(800, 1, 1), gaussian(800, 1, 2)))).to.be.lessThan(0.02);
    expect(() => energyDistance([0, 0], [1, 1, 2, 2])).to.throw(/at least 2 points/);
  });

  it('NLL and KL of a Gaussian model match the closed forms within sampling error', () => {
    const data = gaussian(20_000, 1, 7);
    const pData = gaussianLogProb(data, 1);
    for (const sigma of [1, 1.3, 0.8]) {
      const pModel = gaussianLogProb(data, sigma);
      // −E[log N(x; 0, σ²I)] for x ~ N(0, I) in 2-D = ln(2πσ²) + 1/σ².
      const crossEntropy = Math.log(2 * Math.PI * sigma * sigma) + 1 / (sigma * sigma);
      // KL(N(0, I) ‖ N(0, σ²I)) in 2-D = 2 ln σ + 1/σ² − 1.
      const kl = 2 * Math.log(sigma) + 1 / (sigma * sigma) - 1;
      const n = nll(pModel);
      const k = klDataModel(pData, pModel);
      expect(n.value).to.be.closeTo(crossEntropy, 4 * n.stderr + 1e-9);
      expect(k.value).to.be.closeTo(kl, 4 * k.stderr + 1e-9);
    }
    expect(NATS_TO_BITS_PER_DIM * 2 * Math.LN2).to.be.closeTo(1, 1e-15);
  });

  it('NFE follows the sampler: flows 1, DDPM ancestral T, ODE solvers steps × stages', () => {
    const flow = (createCell('model', 'm') as ModelCell).model;
    const ddpm = { ...flow, family: 'diffusion' as const, kind: 'ddpm' as const, timesteps: 100 };
    const fm = { ...ddpm, kind: 'flow-matching' as const };
    expect(samplingNfe(flow, 'rk4', 10)).to.equal(1);
    expect(samplingNfe(ddpm, 'ddpm', 10)).to.equal(100);
    expect(samplingNfe(ddpm, 'ddim', 20)).to.equal(20);
    expect(samplingNfe(ddpm, 'pf-heun', 10)).to.equal(20);
    expect(samplingNfe(fm, 'rk4', 10)).to.equal(40);
    expect(samplingNfe(fm, 'midpoint', 7)).to.equal(14);
  });
});

describe('Compare plan', () => {
  it('needs two models, trained with their current settings, on the same data', () => {
    const one = notebookWith(['realnvp']);
    const few = comparePlan(one, compareCell(one), trainedRuns(one, ['train-1']));
    expect('error' in few && few.error).to.contain('two or more models');

    const two = notebookWith(['realnvp', 'flow-matching']);
    const untrained = comparePlan(two, compareCell(two), trainedRuns(two, ['train-1']));
    expect('error' in untrained && untrained.error).to.match(/1 of 2 trained.*flow-matching/);

    // A model whose settings changed after training is not "trained" any more.
    const stale = (id: string) => ({ ...trainedRuns(two, ['train-1', 'train-2'])(id), key: 'x' });
    expect('error' in comparePlan(two, compareCell(two), stale)).to.equal(true);

    const ok = comparePlan(two, compareCell(two), trainedRuns(two, ['train-1', 'train-2']));
    expect('targets' in ok && ok.targets.map((t) => t.trainId)).to.deep.equal([
      'train-1',
      'train-2',
    ]);

    const mixed = notebookWith(['realnvp', 'realnvp'], {
      kind: 'builtin',
      name: 'circles',
      seed: 1,
    });
    const different = comparePlan(
      mixed,
      compareCell(mixed),
      trainedRuns(mixed, ['train-1', 'train-2']),
    );
    expect('error' in different && different.error).to.match(/different data.*moons.*circles/);
  });

  it('compares only the ticked models', () => {
    const three = notebookWith(['realnvp', 'nice', 'flow-matching']);
    const cell = { ...compareCell(three), trainIds: ['train-1', 'train-3'] };
    const plan = comparePlan(three, cell, trainedRuns(three, ['train-1', 'train-2', 'train-3']));
    expect('targets' in plan && plan.targets.map((t) => t.trainId)).to.deep.equal([
      'train-1',
      'train-3',
    ]);
  });

  it('computes every metric against the closed forms (model equal to the data: KL ≈ 0)', async () => {
    const notebook = notebookWith(['realnvp', 'flow-matching']);
    const cell = { ...compareCell(notebook), sampleCount: 4096 };
    const runs = trainedRuns(notebook, ['train-1', 'train-2']);
    const plan = comparePlan(notebook, cell, runs);
    if (!('targets' in plan)) throw new Error(plan.error);
    const client = new GaussianClient({ 'train-1': 1, 'train-2': 1.5 });
    const result = await computeComparison(client, notebook, cell, plan.targets, runs);
    const [same, wide] = result.rows;
    expect(same!.kl!.value).to.be.closeTo(0, 1e-9);
    expect(same!.nll.value).to.be.closeTo(Math.log(2 * Math.PI) + 1, 4 * same!.nll.stderr);
    expect(same!.energy).to.be.lessThan(0.02);
    const klWide = 2 * Math.log(1.5) + 1 / 2.25 - 1;
    expect(wide!.kl!.value).to.be.closeTo(klWide, 4 * wide!.kl!.stderr);
    expect(wide!.bitsPerDim).to.be.closeTo(wide!.nll.value / (2 * Math.LN2), 1e-12);
    expect(wide!.energy).to.be.greaterThan(0.05);
    expect(same!.nfe).to.equal(1);
    expect(wide!.nfe).to.equal(40);
    // Each model is sampled with its View cell's sampler (flows: none).
    expect(client.samplers).to.deep.equal([
      ['train-1', undefined],
      ['train-2', { sampler: 'rk4', steps: 10 }],
    ]);
    expect(same!.parameters).to.equal(700);
    expect(same!.stepsPerSecond).to.equal(50);
  });

  it('says why KL is missing for data without a known density', async () => {
    const notebook = notebookWith(['realnvp', 'nice']);
    const grid: DataSource = { kind: 'grid', width: 2, height: 2, weights: [1, 0, 0, 1], seed: 1 };
    const data = notebook.cells[0] as Cell & { kind: 'data' };
    notebook.cells[0] = { ...data, source: grid };
    const runs = trainedRuns(notebook, ['train-1', 'train-2']);
    const plan = comparePlan(notebook, compareCell(notebook), runs);
    if (!('targets' in plan)) throw new Error(plan.error);
    const client = new GaussianClient({ 'train-1': 1, 'train-2': 1 });
    const result = await computeComparison(
      client,
      notebook,
      compareCell(notebook),
      plan.targets,
      runs,
    );
    expect(result.rows[0]!.kl).to.equal(undefined);
    expect(result.klNote).to.contain('exact data density');
  });
});

const done: Comparison = {
  state: 'done',
  data: gaussian(256, 1, 1),
  rows: [
    {
      trainId: 'train-1',
      label: 'realnvp · Train 3',
      steps: 200,
      nll: { value: 2.8379, stderr: 0.0123 },
      bitsPerDim: 2.0471,
      kl: { value: 0.0012, stderr: 0.0004 },
      energy: 0.00321,
      stepsPerSecond: 55.5,
      nfe: 1,
      parameters: 12_345,
      samples: gaussian(256, 1, 2),
    },
    {
      trainId: 'train-2',
      label: 'flow-matching · Train 7',
      steps: 200,
      nll: { value: 3.1, stderr: 0.02 },
      bitsPerDim: 2.236,
      kl: { value: 0.26, stderr: 0.01 },
      energy: 0.0456,
      stepsPerSecond: 20,
      nfe: 40,
      parameters: 4_000,
      samples: gaussian(256, 1.5, 3),
    },
  ],
};

describe('<ff-compare-cell>', () => {
  const choices = [
    { trainId: 'train-1', label: 'realnvp · Train 3' },
    { trainId: 'train-2', label: 'flow-matching · Train 7' },
    { trainId: 'train-3', label: 'nice · Train 10' },
  ];
  const cell = createCell('compare', 'c') as CompareCell;

  it('every control changes the cell; Compute asks for the metrics', async () => {
    const el = await fixture<FfCompareCell>(
      html`<ff-compare-cell .cell=${cell} .choices=${choices}></ff-compare-cell>`,
    );
    const seen = patches(el);
    const computes: string[] = [];
    el.addEventListener('ff-compare', (e) => computes.push(e.detail.id));
    const boxes = el.shadowRoot!.querySelectorAll<HTMLInputElement>('input[type=checkbox]');
    expect([...boxes].map((b) => b.checked)).to.deep.equal([true, true, true]);
    boxes[1]!.click();
    setValue($(el, '#sample-count'), '1024');
    setValue($(el, '#compare-seed'), '8');
    expect(seen).to.deep.equal([
      { trainIds: ['train-1', 'train-3'] },
      { sampleCount: 1024 },
      { seed: 8 },
    ]);
    el.cell = { ...cell, trainIds: ['train-1', 'train-3'] };
    await el.updateComplete;
    // Ticking the last unticked model means "all" again.
    boxes[1]!.click();
    expect(seen.at(-1)).to.deep.equal({ trainIds: [] });
    const compute = [...el.shadowRoot!.querySelectorAll('button')].find(
      (b) => b.textContent!.trim() === 'Compute',
    )!;
    compute.click();
    expect(computes).to.deep.equal(['c']);
  });

  it('refuses out-of-range sample counts and explains why it cannot compute', async () => {
    const el = await fixture<FfCompareCell>(
      html`<ff-compare-cell
        .cell=${{ ...cell, sampleCount: 10 }}
        .choices=${choices}
      ></ff-compare-cell>`,
    );
    expect($(el, '#sample-count-error').textContent).to.contain('between 256 and 65,536');
    expect($(el, 'button.primary').disabled).to.equal(true);
    el.cell = cell;
    el.blocked = 'Train at least two of these models first';
    await el.updateComplete;
    expect($(el, 'button.primary').disabled).to.equal(true);
    expect($(el, '[role=status]').textContent).to.contain('Train at least two');
  });

  it('shows the numbers of every model and their samples side by side', async () => {
    const el = await fixture<FfCompareCell>(
      html`<ff-compare-cell
        .cell=${cell}
        .choices=${choices}
        .comparison=${done}
      ></ff-compare-cell>`,
    );
    const rows = el.shadowRoot!.querySelectorAll('tbody tr');
    expect(rows.length).to.equal(2);
    expect(rows[0]!.querySelector('.nll')!.textContent).to.equal('2.838 ± 0.012');
    expect(rows[0]!.querySelector('.energy')!.textContent).to.equal('3.21e-3');
    expect(rows[1]!.querySelector('.nfe')!.textContent).to.equal('40');
    expect(rows[0]!.querySelector('.params')!.textContent).to.equal('12,345');
    const plots = el.shadowRoot!.querySelectorAll('ff-scatter');
    expect(plots.length).to.equal(2);
    expect(plots[1]!.getAttribute('label')).to.contain('flow-matching');
  });

  it('shows a failure as an alert', async () => {
    const el = await fixture<FfCompareCell>(
      html`<ff-compare-cell
        .cell=${cell}
        .comparison=${{ state: 'failed', rows: [], error: 'The GPU device was lost.' }}
      ></ff-compare-cell>`,
    );
    expect($(el, '[role=alert]').textContent).to.contain('device was lost');
  });

  it('is accessible, with and without results', async () => {
    const empty = await fixture<FfCompareCell>(
      html`<ff-compare-cell .cell=${cell} .choices=${choices}></ff-compare-cell>`,
    );
    await expect(empty).to.be.accessible();
    const full = await fixture<FfCompareCell>(
      html`<ff-compare-cell
        .cell=${cell}
        .choices=${choices}
        .comparison=${done}
      ></ff-compare-cell>`,
    );
    await expect(full).to.be.accessible();
  });
});

describe('Compare through the app', () => {
  it('trains two models, then Compute fills the table from the controller', async () => {
    const client = new GaussianClient({ 'train-1': 1, 'train-2': 1.4 });
    const app = await fixture<FfApp>(html`<ff-app .client=${client}></ff-app>`);
    app.store.dispatch({ type: 'replace', notebook: notebookWith(['realnvp', 'flow-matching']) });
    await app.updateComplete;
    const view = app.shadowRoot!.querySelector('ff-notebook-view')!;
    await view.updateComplete;
    const compare = () => view.shadowRoot!.querySelector('ff-compare-cell')!;
    expect($(compare(), '[role=status]').textContent).to.contain('0 of 2 trained');
    await app.lab!.play('train-1');
    await app.lab!.play('train-2');
    await app.updateComplete;
    await view.updateComplete;
    await compare().updateComplete;
    $(compare(), 'button.primary').click();
    for (let i = 0; i < 50 && app.lab!.comparison('compare-1')?.state !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const result = app.lab!.comparison('compare-1');
    expect(result?.state, result?.error).to.equal('done');
    await app.updateComplete;
    await view.updateComplete;
    await compare().updateComplete;
    const cells = [...compare().shadowRoot!.querySelectorAll('tbody .kl')].map((td) =>
      Number.parseFloat(td.textContent!),
    );
    expect(cells[0]).to.be.closeTo(0, 1e-6);
    expect(cells[1]).to.be.closeTo(2 * Math.log(1.4) + 1 / 1.96 - 1, 0.05);
    expect($(compare(), '[role=status]').textContent).to.contain('Measured on 4096');
    // Training further makes the numbers stale, and the cell says so.
    await app.lab!.play('train-2');
    await app.updateComplete;
    await view.updateComplete;
    await compare().updateComplete;
    expect($(compare(), '[role=status]').textContent).to.contain('press Compute to update');
  });
});

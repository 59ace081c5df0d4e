import { expect, fixture, html } from '@open-wc/testing';
import { parsePoints } from '../../../src/data/points';
import { createCell, type ModelCell, type ModelKind, type ViewCell } from '../../../src/notebook';
import { defaultNotebook, NotebookStore } from '../../../src/notebook';
import { IDLE_RUN, LabController, type RunView } from '../../../src/ui/controllers/lab-controller';
import { FakeLabClient } from '../support/fake-lab-client';
import { waitUntil } from '../../worker/helpers';
import { samplerChoice, samplersFor } from '../../../src/ui/view-cell/samplers';
import '../../../src/ui/view-cell/view-cell';
import { samplesCsv, type FfViewCell } from '../../../src/ui/view-cell/view-cell';
import { overlaysFor, viewLayers, warpStageAt } from '../../../src/ui/view-cell/view-layers';
import { $, patches, setValue } from '../support/helpers';

const cell = createCell('view', 'v') as ViewCell;
const samples = new Float32Array([0, 0, 0.5, 0.5, -0.5, 0.2]);

function runOf(kind: ModelKind): RunView {
  const model = (createCell('model', 'm') as ModelCell).model;
  const family = kind === 'ddpm' || kind === 'flow-matching' ? 'diffusion' : 'flow';
  return { ...IDLE_RUN, samples, model: { ...model, kind, family } };
}

async function mount(view: ViewCell, run: RunView = IDLE_RUN): Promise<FfViewCell> {
  return fixture<FfViewCell>(html`<ff-view-cell .cell=${view} .run=${run}></ff-view-cell>`);
}

describe('<ff-view-cell>', () => {
  it('every control changes the cell', async () => {
    const el = await mount({ ...cell, overlay: 'warp' }, runOf('ddpm'));
    const seen = patches(el);
    $(el, '#showData').click();
    $(el, '#showSamples').click();
    setValue($(el, '#sampleCount'), '512');
    setValue($(el, '#sampleSeed'), '9');
    setValue($(el, '#overlay'), 'field');
    setValue($(el, '#sampler'), 'pf-heun');
    setValue($(el, '#samplerSteps'), '12');
    setValue($(el, '#position'), '0.25');
    expect(seen).to.deep.equal([
      { showData: false },
      { showSamples: false },
      { sampleCount: 512 },
      { sampleSeed: 9 },
      { overlay: 'field' },
      { sampler: 'pf-heun' },
      { samplerSteps: 12 },
      // setValue fires input and change; the range reports on input only.
      { position: 0.25 },
    ]);
  });

  it('offers the samplers of the model kind, none for flows', async () => {
    const options = (el: FfViewCell) =>
      [...el.shadowRoot!.querySelectorAll('#sampler option')].map((o) => o.getAttribute('value'));
    expect(options(await mount(cell, runOf('ddpm')))).to.deep.equal([
      'ddpm',
      'ddim',
      'pf-euler',
      'pf-heun',
    ]);
    const fm = await mount({ ...cell, sampler: 'rk4' }, runOf('flow-matching'));
    expect(options(fm)).to.deep.equal(['euler', 'midpoint', 'heun', 'rk4']);
    expect(($(fm, '#sampler') as unknown as HTMLSelectElement).value).to.equal('rk4');
    const flow = await mount(cell, runOf('realnvp'));
    expect(flow.shadowRoot!.querySelector('#sampler')).to.equal(null);
    expect(flow.shadowRoot!.querySelector('#samplerSteps')).to.equal(null);
    // The field needs time: flows do not offer it.
    expect(overlaysFor('realnvp')).to.not.include('field');
    expect(overlaysFor('flow-matching')).to.include('field');
  });

  it('a sampler the model does not offer falls back to that kind’s default', () => {
    // The cell default is DDIM (a DDPM sampler); a flow-matching model uses Euler instead.
    expect(samplerChoice({ ...cell, sampler: 'ddim' }, 'flow-matching')).to.deep.equal({
      sampler: 'euler',
      steps: cell.samplerSteps,
    });
    expect(samplerChoice({ ...cell, sampler: 'rk4' }, 'ddpm')!.sampler).to.equal('ddim');
    expect(samplerChoice(cell, 'nice')).to.equal(undefined);
    expect(samplersFor(undefined)).to.deep.equal([]);
  });

  it('shows the scrubber only for overlays that have one, labelled for flows and ODEs', async () => {
    expect((await mount(cell, runOf('realnvp'))).shadowRoot!.querySelector('#position')).to.equal(
      null,
    );
    const flowWarp = await mount({ ...cell, overlay: 'warp' }, runOf('realnvp'));
    expect($(flowWarp, 'label[for=position]').textContent).to.contain('Layer');
    const odeField = await mount({ ...cell, overlay: 'field', position: 0.4 }, runOf('ddpm'));
    expect($(odeField, 'label[for=position]').textContent).to.contain('t = 0.40');
  });

  it('layers: back to front, sources and sampler as the cell says', () => {
    const data = { kind: 'builtin' as const, name: 'moons' as const, seed: 1 };
    const view: ViewCell = {
      ...cell,
      overlay: 'trajectories',
      sampler: 'rk4',
      samplerSteps: 5,
      position: 0.3,
    };
    const layers = viewLayers({ cell: view, run: 't', kind: 'flow-matching', data, warpStages: 3 });
    expect(layers.map((l) => l.kind)).to.deep.equal(['points', 'points', 'trajectories']);
    expect(layers[0]).to.deep.include({ source: { data }, count: view.sampleCount });
    expect(layers[1]).to.deep.include({
      source: { run: 't' },
      sample: { sampler: 'rk4', steps: 5 },
    });
    expect(layers[2]).to.deep.include({ upTo: 0.3, sample: { sampler: 'rk4', steps: 5 } });
    // Before a model exists: only the data, and the data's own density where it is closed-form.
    const before = (source: typeof data | typeof gaussian) =>
      viewLayers({
        cell: { ...view, overlay: 'density' },
        run: undefined,
        kind: 'flow-matching',
        data: source,
        warpStages: null,
      });
    const gaussian = { kind: 'builtin' as const, name: 'gaussian' as const, seed: 1 };
    expect(before(gaussian).map((l) => l.kind)).to.deep.equal(['heatmap', 'points']);
    expect(before(gaussian)[0]).to.deep.include({ source: { data: gaussian } });
    expect(
      before(data).map((l) => l.kind),
      'moons has no closed-form density',
    ).to.deep.equal(['points']);
    // The scrubber spans every warp stage.
    expect(warpStageAt(0, 9)).to.equal(0);
    expect(warpStageAt(1, 9)).to.equal(8);
    expect(warpStageAt(0.5, 9)).to.equal(4);
  });

  it('draws samples over the data on the page when the client has no GPU views', async () => {
    const el = await fixture<FfViewCell>(
      html`<ff-view-cell
        .cell=${cell}
        .data=${new Float32Array([1, 1, -1, -1])}
        .run=${{ ...IDLE_RUN, samples }}
      ></ff-view-cell>`,
    );
    expect(el.shadowRoot!.textContent).to.contain('3 samples shown');
    const scatter = $(el, 'ff-scatter') as unknown as { layers: unknown[] };
    expect(scatter.layers).to.have.length(2);
    expect(el.shadowRoot!.querySelector('ff-gpu-view')).to.equal(null);
  });

  it('samples CSV parses back to the same points', () => {
    const points = new Float32Array([0.125, -2.5, 3.0000001, 1e-7]);
    expect(Array.from(parsePoints(samplesCsv(points)))).to.deep.equal(Array.from(points));
  });

  it('is accessible, with the diffusion controls', async () => {
    await expect(await mount(cell, { ...IDLE_RUN, samples })).to.be.accessible();
    await expect(await mount({ ...cell, overlay: 'field' }, runOf('ddpm'))).to.be.accessible();
  });

  it('the controller samples with the view’s sampler, and again when the view’s settings change', async () => {
    const store = new NotebookStore(defaultNotebook());
    const client = new FakeLabClient();
    const host = {
      addController: () => undefined,
      removeController: () => undefined,
      requestUpdate: () => undefined,
      updateComplete: Promise.resolve(true),
    };
    const lab = new LabController(host, store, client);
    lab.hostConnected();
    const model = store.notebook.cells.find((c) => c.kind === 'model')!;
    const view = store.notebook.cells.find((c) => c.kind === 'view')!;
    const train = store.notebook.cells.find((c) => c.kind === 'train')!;
    if (model.kind !== 'model') throw new Error('no model cell');
    store.dispatch({
      type: 'update',
      id: model.id,
      patch: { model: { ...model.model, kind: 'flow-matching', family: 'diffusion' } },
    });
    await lab.play(train.id);
    // The cell's default sampler (DDIM) is DDPM's: flow matching samples with its own default.
    expect(client.sampleRequests.at(-1)).to.deep.equal({
      runId: train.id,
      count: 2048,
      sampler: { sampler: 'euler', steps: 50 },
    });
    expect(lab.runForView(view.id).model!.kind).to.equal('flow-matching');
    expect(lab.runForView(view.id).views, 'no GPU views in this client').to.equal(undefined);
    store.dispatch({
      type: 'update',
      id: view.id,
      patch: { sampler: 'rk4', samplerSteps: 7, sampleCount: 64 },
    });
    await waitUntil(() => lab.run(train.id).samples?.length === 128, 5000, 'the new samples');
    expect(client.sampleRequests.at(-1)).to.deep.equal({
      runId: train.id,
      count: 64,
      sampler: { sampler: 'rk4', steps: 7 },
    });
    // A change that does not touch sampling draws nothing new.
    const before = client.sampleRequests.length;
    store.dispatch({ type: 'update', id: view.id, patch: { overlay: 'density' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(client.sampleRequests.length).to.equal(before);
    lab.hostDisconnected();
  });
});

import { expect, fixture, html } from '@open-wc/testing';
import { createCell, type ModelCell, type TrainCell } from '../../../src/notebook';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import type {
  CompileProgress,
  ModelRequest,
  RunProgress,
} from '../../../src/ui/controllers/lab-client';
import { IDLE_RUN, type RunView } from '../../../src/ui/controllers/lab-controller';
import { lossHistoryOf } from '../../../src/ui/controllers/loss-history';
import '../../../src/ui/train-cell/train-cell';
import type { FfTrainCell } from '../../../src/ui/train-cell/train-cell';
import { FakeLabClient, workerProgress } from '../support/fake-lab-client';
import { $, patches, setValue } from '../support/helpers';

const cell = createCell('train', 't') as TrainCell;
const trained: RunView = {
  ...IDLE_RUN,
  state: 'done',
  step: 3,
  totalSteps: 3,
  losses: lossHistoryOf([3, 2, 1]),
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

  it('says how the held-out dots were computed: a flow exactly, flow matching through the ODE ± SE', async () => {
    const el = await fixture<FfTrainCell>(
      html`<ff-train-cell
        .cell=${cell}
        .run=${{ ...trained, heldOut: [{ step: 3, bits: 1.25, standardError: 0.01, count: 256 }] }}
      ></ff-train-cell>`,
    );
    const exact = $(el, '#held-out').textContent!.replace(/\s+/g, ' ');
    expect(exact).to.contain('first 256 images').and.contain('1.250 at step 3');
    el.run = {
      ...trained,
      heldOut: [
        {
          step: 3,
          bits: 1.5,
          standardError: 0.125,
          count: 8,
          ode: { probes: 2, sampler: 'heun', steps: 3 },
        },
      ],
    };
    await el.updateComplete;
    const ode = $(el, '#held-out').textContent!.replace(/\s+/g, ' ');
    expect(ode)
      .to.contain('probability-flow ODE')
      .and.contain('first 8 images, 2 Hutchinson probes each, heun 3 steps')
      .and.contain('1.500 ± 0.125 at step 3');
  });

  it('is accessible', async () => {
    const el = await fixture<FfTrainCell>(
      html`<ff-train-cell .cell=${cell} .run=${trained}></ff-train-cell>`,
    );
    await expect(el).to.be.accessible();
  });

  it('changes the batch size and the speed cap live', async () => {
    const el = await fixture<FfTrainCell>(
      html`<ff-train-cell
        .cell=${cell}
        .run=${{ ...trained, state: 'running' }}
        .batch=${256}
      ></ff-train-cell>`,
    );
    const batches: number[] = [];
    const speeds: (number | null)[] = [];
    el.addEventListener('ff-batch-size', (e) => batches.push(e.detail.batch));
    el.addEventListener('ff-speed', (e) => speeds.push(e.detail.stepsPerSecond));
    expect($(el, '#batch').value).to.equal('256');
    setValue($(el, '#batch'), '64');
    setValue($(el, '#speed'), '10');
    setValue($(el, '#speed'), '');
    expect(batches).to.deep.equal([64]);
    expect(speeds).to.deep.equal([10, null]);
    el.batch = 0;
    el.speed = 50;
    await el.updateComplete;
    expect($(el, '#batch-error').textContent).to.contain('between 1 and 65,536');
    expect(($(el, '#speed') as unknown as HTMLSelectElement).value).to.equal('50');
  });

  it('shows samples/s, GPU ms/step, dispatches/step and the batch in use', async () => {
    const el = await fixture<FfTrainCell>(
      html`<ff-train-cell
        .cell=${cell}
        .run=${{ ...trained, gpuMsPerStep: 1.234, dispatchesPerStep: 61, batch: 512 }}
      ></ff-train-cell>`,
    );
    const text = [...el.shadowRoot!.querySelectorAll('dl div')].map((d) =>
      d.textContent!.replace(/\s+/g, ' ').trim(),
    );
    expect(text).to.include.members([
      'Samples/s 2560',
      'GPU ms/step 1.23',
      'Dispatches/step 61',
      'Batch in use 512',
    ]);
  });

  it('says what a NaN rollback and a device loss did, with the step', async () => {
    const nan = await fixture<FfTrainCell>(
      html`<ff-train-cell
        .cell=${cell}
        .run=${{
          ...trained,
          state: 'failed',
          step: 120,
          checkpointStep: 120,
          noticeKind: 'non-finite-loss',
          error: 'The loss became NaN or infinite at step 131 (learning rate 1).',
        }}
      ></ff-train-cell>`,
    );
    const nanBanner = $(nan, '.banner').textContent!.replace(/\s+/g, ' ');
    expect(nanBanner).to.contain('rolled back to step 120; try a smaller learning rate');
    expect(nanBanner).to.contain('at step 131');
    const lost = await fixture<FfTrainCell>(
      html`<ff-train-cell
        .cell=${cell}
        .run=${{
          ...trained,
          state: 'running',
          step: 90,
          checkpointStep: 80,
          noticeKind: 'device-recovered',
          error: 'The GPU device was lost (destroyed).',
        }}
      ></ff-train-cell>`,
    );
    expect($(lost, '.banner').textContent).to.contain(
      'GPU device was lost; recovered from the checkpoint at step 80',
    );
    await expect(nan).to.be.accessible();
    await expect(lost).to.be.accessible();
  });
});

/** The fake client with the worker's live batch-size change. */
class BatchClient extends FakeLabClient {
  async setBatchSize(runId: string, batch: number): Promise<void> {
    this.calls.push(`batch ${runId} ${batch}`);
    this.batches.set(runId, batch);
  }
}

/** The fake client whose run hits a NaN loss: the worker rolls back and says so. */
class NanClient extends FakeLabClient {
  override async train(
    runId: string,
    steps: number,
    onProgress: (p: RunProgress) => void,
  ): Promise<RunProgress> {
    onProgress(
      workerProgress({
        step: 3,
        totalSteps: steps,
        loss: Number.NaN,
        losses: new Float32Array([2, 1.5, 1]),
        learningRate: 1,
        stepsPerSecond: 10,
        samplesPerSecond: 2560,
        state: 'failed',
        notice: {
          kind: 'non-finite-loss',
          message: 'The loss became NaN or infinite at step 4 (learning rate 1).',
        },
        checkpointStep: 3,
        batch: 256,
        dispatchesPerStep: 61,
      }),
    );
    throw new Error('The loss became NaN or infinite at step 4 (learning rate 1).');
  }
}

/** A worker run that rolls back: steps 0–3 reported, then the redo from the checkpoint at 2. */
class RollbackClient extends FakeLabClient {
  override async train(
    _runId: string,
    _steps: number,
    onProgress: (p: RunProgress) => void,
  ): Promise<RunProgress> {
    const report = (step: number, losses: number[]) =>
      onProgress(
        workerProgress({
          step,
          totalSteps: 5,
          loss: losses.at(-1) ?? 0,
          losses: new Float32Array(losses),
          state: 'running',
        }),
      );
    report(2, [10, 11]);
    report(4, [12, 13]);
    report(2, []); // rolled back to the checkpoint at step 2
    report(4, [20, 21]);
    report(5, [22]);
    return workerProgress({ step: 5, totalSteps: 5, losses: new Float32Array(0), state: 'done' });
  }
}

/** A client whose model compiles until the test says so, reporting `compiled` of 12 kernels. */
class SlowCompileClient extends FakeLabClient {
  compiled = 0;
  polls = 0;
  private finish: (() => void) | undefined;
  override async createRun(runId: string, request: ModelRequest): Promise<void> {
    await new Promise<void>((resolve) => (this.finish = resolve));
    return super.createRun(runId, request);
  }
  async compileProgress(): Promise<CompileProgress> {
    this.polls++;
    return { compiled: this.compiled, expected: this.finish ? 12 : null };
  }
  done(): void {
    this.finish?.();
    this.finish = undefined;
  }
}

async function until<T>(what: string, probe: () => T | undefined | null | false): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function mountApp(client: FakeLabClient): Promise<FfApp> {
  const app = await fixture<FfApp>(html`<ff-app .client=${client}></ff-app>`);
  const model = app.store.notebook.cells.find((c) => c.kind === 'model') as ModelCell;
  app.store.dispatch({
    type: 'update',
    id: model.id,
    patch: { train: { ...model.train, steps: 5 } },
  });
  return app;
}

describe('Train cell through the app', () => {
  it('shows kernel compilation as a bar of compiled / requested kernels while the model is created', async () => {
    const client = new SlowCompileClient();
    const app = await mountApp(client);
    const playing = app.lab!.play('train-1');
    const trainCell = () =>
      app
        .shadowRoot!.querySelector('ff-notebook-view')!
        .shadowRoot!.querySelector('ff-train-cell')!;
    const bar = () =>
      trainCell().shadowRoot!.querySelector<HTMLProgressElement>('progress.compile');
    client.compiled = 3;
    const first = await until('a compile bar at 3 of 12', () => bar()?.value === 3 && bar());
    expect(first.max).to.equal(12);
    expect(trainCell().shadowRoot!.textContent).to.contain(
      'Compiling the model’s kernels: 3 of 12',
    );
    client.compiled = 11;
    await until('the bar at 11 of 12', () => bar()?.value === 11);
    client.done();
    await playing;
    await app.updateComplete;
    await trainCell().updateComplete;
    expect(bar(), 'the bar is gone once the model is created').to.equal(null);
    expect(app.lab!.run('train-1').compile).to.equal(undefined);
    expect(app.lab!.run('train-1').state).to.equal('done');
    // Polling stops with the creation.
    const polls = client.polls;
    await new Promise((r) => setTimeout(r, 400));
    expect(client.polls).to.equal(polls);
  });

  it('carries the worker notice, checkpoint, batch and dispatches to the banner', async () => {
    const app = await mountApp(new NanClient());
    await app.lab!.play('train-1');
    const run = app.lab!.run('train-1');
    expect(run).to.include({
      state: 'failed',
      noticeKind: 'non-finite-loss',
      checkpointStep: 3,
      batch: 256,
      dispatchesPerStep: 61,
    });
    await app.updateComplete;
    const view = app.shadowRoot!.querySelector('ff-notebook-view')!;
    await view.updateComplete;
    const trainCell = view.shadowRoot!.querySelector('ff-train-cell')!;
    await trainCell.updateComplete;
    expect($(trainCell, '.banner').textContent).to.contain('rolled back to step 3');
    expect($(trainCell, '.dispatches').textContent).to.equal('61');
  });

  it('after a rollback the loss history restarts at the checkpoint: one loss per step', async () => {
    const app = await mountApp(new RollbackClient());
    await app.lab!.play('train-1');
    const run = app.lab!.run('train-1');
    expect(run.step).to.equal(5);
    // Steps 0–3 before the NaN, steps 2–4 redone from the checkpoint at step 2.
    expect(run.losses.exact()).to.deep.equal([10, 11, 20, 21, 22]);
  });

  it('a speed cap goes to the worker, which paces the run: the page trains in one call', async () => {
    const client = new FakeLabClient();
    const app = await mountApp(client);
    await app.lab!.setSpeed('train-1', 20);
    expect(app.lab!.speed('train-1')).to.equal(20);
    await app.lab!.play('train-1');
    // The pacing is the worker's (test/worker/pacing.test.ts): one step(n) call, no page slices.
    expect(client.calls.filter((c) => /^(train|speed) /.test(c))).to.deep.equal([
      'speed train-1 20',
      'train train-1 5',
    ]);
    expect(app.lab!.run('train-1')).to.include({ state: 'done', step: 5 });
    expect(client.speedCaps.get('train-1')).to.equal(20);
    // "Max" lifts the cap of the run, live.
    await app.lab!.setSpeed('train-1', undefined);
    expect(app.lab!.speed('train-1')).to.equal(undefined);
    expect(client.calls.at(-1)).to.equal('speed train-1 null');
    await app.lab!.play('train-1');
    expect(client.calls.at(-2)).to.equal('train train-1 5');
    expect(app.lab!.run('train-1').step).to.equal(10);
  });

  it('a speed-cap change the worker refuses shows its message on the run', async () => {
    const client = new FakeLabClient();
    client.setSpeedCap = async () => {
      throw new Error('The speed cap must be a positive number of steps per second.');
    };
    const app = await mountApp(client);
    await app.lab!.play('train-1');
    await app.lab!.setSpeed('train-1', -1);
    expect(app.lab!.run('train-1').error).to.contain('positive number of steps per second');
  });

  it('a batch-size change updates the Model cell and the run; out of range reaches neither run', async () => {
    const client = new BatchClient();
    const app = await mountApp(client);
    await app.lab!.play('train-1');
    const view = app.shadowRoot!.querySelector('ff-notebook-view')!;
    await view.updateComplete;
    const trainCell = view.shadowRoot!.querySelector('ff-train-cell')!;
    setValue($(trainCell, '#batch'), '128');
    await new Promise((r) => setTimeout(r, 0));
    const model = () => app.store.notebook.cells.find((c) => c.kind === 'model') as ModelCell;
    expect(model().train.batch).to.equal(128);
    expect(client.calls).to.include('batch train-1 128');
    expect(app.lab!.run('train-1').batch).to.equal(128);
    await app.lab!.setBatchSize('train-1', 0);
    expect(model().train.batch).to.equal(0);
    expect(client.calls.filter((c) => c.startsWith('batch '))).to.deep.equal(['batch train-1 128']);
  });
});

/**
 * RunController on its own (GPU-free, a scripted client): the run state the page shows is the
 * worker's report, as it is — no local 'running' or 'done' guessed around the train call.
 */
import { expect, fixture, html } from '@open-wc/testing';
import {
  createCell,
  defaultNotebook,
  NotebookStore,
  type ModelCell,
  type TrainCell,
} from '../../../src/notebook';
import type { RunProgress } from '../../../src/ui/controllers/lab-client';
import { RunController } from '../../../src/ui/controllers/run-controller';
import '../../../src/ui/train-cell/train-cell';
import type { FfTrainCell } from '../../../src/ui/train-cell/train-cell';
import { FakeLabClient, workerProgress } from '../support/fake-lab-client';

const TARGET = 5;
const TRAIN_CELL = createCell('train', 'train-1') as TrainCell;

/** A client whose train call reports what the test plays, and ends when the test says. */
class ScriptedClient extends FakeLabClient {
  private listener: ((p: RunProgress) => void) | undefined;
  private finish: ((end: RunProgress) => void) | undefined;
  readonly trained: number[] = [];

  override train(_runId: string, steps: number, onProgress: (p: RunProgress) => void) {
    this.trained.push(steps);
    this.listener = onProgress;
    return new Promise<RunProgress>((resolve) => (this.finish = resolve));
  }
  /** The worker's progress report while the train call runs. */
  report(fields: Parameters<typeof workerProgress>[0]): void {
    this.listener!(workerProgress(fields));
  }
  /** The train call's final report. */
  end(fields: Parameters<typeof workerProgress>[0]): void {
    this.finish!(workerProgress(fields));
    this.finish = undefined;
  }
  override async pause(runId: string): Promise<void> {
    await super.pause(runId);
    this.end({ step: 2, totalSteps: TARGET, losses: new Float32Array(0), state: 'paused' });
  }
}

function setup() {
  const notebook = defaultNotebook();
  const cells = notebook.cells.map((cell) =>
    cell.kind === 'model'
      ? { ...cell, train: { ...(cell as ModelCell).train, steps: TARGET } }
      : cell,
  );
  const store = new NotebookStore({ ...notebook, cells });
  const client = new ScriptedClient();
  let changes = 0;
  const runs = new RunController({
    store,
    client,
    trainingBlocked: () => '',
    changed: () => changes++,
  });
  return { runs, client, changes: () => changes };
}

/** Lets the controller's awaits (createRun, the train call's start) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function trainCell(runs: RunController): Promise<FfTrainCell> {
  return fixture<FfTrainCell>(
    html`<ff-train-cell .cell=${TRAIN_CELL} .run=${runs.run('train-1')}></ff-train-cell>`,
  );
}

const primary = (cell: FfTrainCell) =>
  cell.shadowRoot!.querySelector<HTMLButtonElement>('.controls button.primary')!;

describe('RunController: the run state is the worker’s report', () => {
  it("shows a 'failed' report's message, and the Train button returns to Train", async () => {
    const { runs, client } = setup();
    const playing = runs.play('train-1');
    await settle();
    client.report({
      step: 3,
      totalSteps: TARGET,
      losses: new Float32Array([1, 2, 3]),
      state: 'running',
    });
    expect(runs.run('train-1').state).to.equal('running');
    expect(primary(await trainCell(runs)).textContent!.trim()).to.equal('Pause');

    const sampledWhileRunning = client.sampleRequests.length;
    const message =
      'Training stopped: the loss became NaN or infinite at step 4 (learning rate 1).';
    client.end({
      step: 3,
      totalSteps: TARGET,
      losses: new Float32Array(0),
      state: 'failed',
      notice: { kind: 'error', message },
    });
    await playing;
    expect(runs.run('train-1')).to.include({ state: 'failed', error: message, step: 3 });
    const cell = await trainCell(runs);
    expect(primary(cell).textContent!.trim()).to.equal('Train');
    expect(cell.shadowRoot!.querySelector('[role="alert"]')!.textContent).to.contain(message);
    // A failed run's model is not sampled again at its end: there is nothing new to show.
    expect(client.sampleRequests).to.have.length(sampledWhileRunning);
  });

  it("shows 'done' at the step target from the train call's final report, then samples", async () => {
    const { runs, client } = setup();
    const playing = runs.play('train-1');
    await settle();
    expect(client.trained).to.deep.equal([TARGET]);
    client.report({ step: 4, totalSteps: TARGET, losses: new Float32Array(4), state: 'running' });
    client.end({ step: TARGET, totalSteps: TARGET, losses: new Float32Array(1), state: 'done' });
    await playing;
    expect(runs.run('train-1')).to.include({ state: 'done', step: TARGET, totalSteps: TARGET });
    expect(runs.run('train-1').losses.length).to.equal(TARGET);
    expect(primary(await trainCell(runs)).textContent!.trim()).to.equal('Train');
  });

  it('says nothing of its own while waiting: preparing until the first report, which rules', async () => {
    const { runs, client } = setup();
    const playing = runs.play('train-1');
    await settle();
    // The model exists, no report yet: the page does not claim 'running'.
    expect(runs.run('train-1').state).to.equal('preparing');
    // A second press while the call is in flight does not start a second one.
    await runs.play('train-1');
    expect(client.trained).to.have.length(1);
    client.report({
      step: 1,
      totalSteps: TARGET,
      losses: new Float32Array(1),
      state: 'recovering',
    });
    expect(runs.run('train-1').state).to.equal('recovering');
    client.report({ step: 2, totalSteps: TARGET, losses: new Float32Array(1), state: 'running' });
    expect(runs.run('train-1').state).to.equal('running');
    client.end({ step: TARGET, totalSteps: TARGET, losses: new Float32Array(0), state: 'done' });
    await playing;
  });

  it("pauses through the worker: its 'paused' report says Resume, which trains the rest", async () => {
    const { runs, client } = setup();
    const playing = runs.play('train-1');
    await settle();
    client.report({ step: 2, totalSteps: TARGET, losses: new Float32Array(2), state: 'running' });
    await runs.pause('train-1');
    await playing;
    expect(client.calls).to.include('pause train-1');
    expect(runs.run('train-1')).to.include({ state: 'paused', step: 2 });
    expect(primary(await trainCell(runs)).textContent!.trim()).to.equal('Resume');

    const resumed = runs.play('train-1');
    await settle();
    expect(client.trained).to.deep.equal([TARGET, TARGET - 2]);
    client.end({ step: TARGET, totalSteps: TARGET, losses: new Float32Array(0), state: 'done' });
    await resumed;
    expect(runs.run('train-1').state).to.equal('done');
  });
});

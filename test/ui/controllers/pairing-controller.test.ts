import { expect } from '@esm-bundle/chai';
import type { ReactiveController } from 'lit';
import {
  createCell,
  defaultNotebook,
  NotebookStore,
  type Cell,
  type ModelCell,
} from '../../../src/notebook';
import { LabController } from '../../../src/ui/controllers/lab-controller';
import { FakeLabClient } from '../support/fake-lab-client';

/** The fake client with the worker's live batch-size change. */
class BatchClient extends FakeLabClient {
  async setBatchSize(runId: string, batch: number): Promise<void> {
    this.calls.push(`batch ${runId} ${batch}`);
  }
}

function fm(id: string, title: string, patch: Partial<ModelCell['model']>): ModelCell {
  const cell = createCell('model', id) as ModelCell;
  return {
    ...cell,
    title,
    model: { ...cell.model, family: 'diffusion', kind: 'flow-matching', seed: 11, ...patch },
    train: { ...cell.train, batch: 256, steps: 5 },
  };
}

function setup() {
  const cells: Cell[] = [
    createCell('data', 'data'),
    fm('teacher', 'Teacher', { pairing: 'minibatch-ot' }),
    createCell('train', 'train-teacher'),
    fm('student', 'Student', {
      pairing: 'reflow',
      reflow: { teacher: 'teacher', pairs: 2048, teacherSteps: 6 },
    }),
    createCell('train', 'train-student'),
  ];
  const store = new NotebookStore({ ...defaultNotebook(), cells });
  const client = new BatchClient();
  const host = {
    addController: (_: ReactiveController) => undefined,
    removeController: () => undefined,
    requestUpdate: () => undefined,
    updateComplete: Promise.resolve(true),
  };
  return { store, client, lab: new LabController(host, store, client) };
}

describe('LabController: pairings (GPU-free, fake client)', () => {
  it("asks for the teacher's trained run, its pairs and the student's seed", async () => {
    const { lab, client } = setup();
    await lab.play('train-student');
    expect(lab.run('train-student').error).to.match(/^Train the teacher cell "Teacher"/);
    expect(client.calls.filter((c) => c.startsWith('createRun'))).to.deep.equal([]);

    await lab.play('train-teacher');
    await lab.play('train-student');
    expect(lab.run('train-student').state).to.equal('done');
    expect(client.requests.get('train-student')!.teacher).to.deep.equal({
      trainId: 'train-teacher',
      pairs: 2048,
      steps: 6,
      seed: 11,
    });
    // Models without reflow send no teacher.
    expect(client.requests.get('train-teacher')).to.not.have.property('teacher');
    expect(client.requests.get('train-teacher')!.model.pairing).to.equal('minibatch-ot');
  });

  it('a live batch change over 512 on an OT run stays in the cell and never reaches the run', async () => {
    const { lab, client, store } = setup();
    await lab.play('train-teacher');
    await lab.setBatchSize('train-teacher', 1024);
    expect((store.cell('teacher') as ModelCell).train.batch).to.equal(1024);
    await lab.setBatchSize('train-teacher', 512);
    expect(client.calls.filter((c) => c.startsWith('batch '))).to.deep.equal([
      'batch train-teacher 512',
    ]);
  });
});

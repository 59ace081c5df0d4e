import { expect } from '@esm-bundle/chai';
import type { ReactiveController } from 'lit';
import {
  createCell,
  defaultNotebook,
  NotebookStore,
  paramsHash,
  type Cell,
  type ModelCell,
  type Notebook,
} from '../../../src/notebook';
import { shareableWorkerClient, type ShareableClient } from '../../../src/ui/app/weights-client';
import { LabController } from '../../../src/ui/controllers/lab-controller';
import { rejection, startLabWorker } from '../../worker/helpers';

/** A tiny flow-matching Model cell (16 wide, 2 hidden layers, batch ≤ 64). */
function fm(
  id: string,
  title: string,
  model: Partial<ModelCell['model']>,
  steps: number,
): ModelCell {
  const cell = createCell('model', id) as ModelCell;
  return {
    ...cell,
    title,
    model: {
      ...cell.model,
      family: 'diffusion',
      kind: 'flow-matching',
      hidden: 16,
      hiddenLayers: 2,
      activation: 'silu',
      seed: 4,
      ...model,
    },
    train: { ...cell.train, learningRate: 1e-2, batch: 64, steps },
  };
}

/** data → teacher → train → OT model → train → reflow student → train → view. */
function notebook(): Notebook {
  const cells: Cell[] = [
    createCell('data', 'data'),
    fm('teacher', 'Teacher', {}, 40),
    createCell('train', 'train-teacher'),
    fm('ot', 'OT', { pairing: 'minibatch-ot' }, 20),
    createCell('train', 'train-ot'),
    fm(
      'student',
      'Student',
      { pairing: 'reflow', reflow: { teacher: 'teacher', pairs: 256, teacherSteps: 2 } },
      40,
    ),
    createCell('train', 'train-student'),
    createCell('view', 'view'),
  ];
  return { ...defaultNotebook(), cells };
}

function playground(): {
  lab: LabController;
  store: NotebookStore;
  client: ShareableClient;
  end(): void;
} {
  const worker = startLabWorker();
  const store = new NotebookStore(notebook());
  // The app's client: the worker client plus weights export (the replay check hashes them).
  const client = shareableWorkerClient(worker.api);
  const host = {
    addController: (_: ReactiveController) => undefined,
    removeController: () => undefined,
    requestUpdate: () => undefined,
    updateComplete: Promise.resolve(true),
  };
  const lab = new LabController(host, store, client);
  lab.hostConnected();
  return { lab, store, client, end: () => (lab.hostDisconnected(), worker.terminate()) };
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;

describe('playground: minibatch-OT and reflow runs through the real worker', () => {
  it('trains OT, refuses a student before its teacher, then trains the student on the teacher’s pairs', async () => {
    const { lab, store, client, end } = playground();
    try {
      // The student first: a message, no GPU work.
      await lab.play('train-student');
      expect(lab.run('train-student').state).to.equal('failed');
      expect(lab.run('train-student').error).to.equal(
        'Train the teacher cell "Teacher" (teacher) first: reflow learns from the (noise, sample) pairs its trained model makes.',
      );

      await lab.play('train-ot');
      const ot = lab.run('train-ot');
      expect(ot.state, ot.error).to.equal('done');
      const otLosses = ot.losses.exact();
      expect(otLosses).to.have.length(20);
      expect(otLosses.every(Number.isFinite)).to.equal(true);
      expect(mean(otLosses.slice(-5))).to.be.below(mean(otLosses.slice(0, 5)));

      await lab.play('train-teacher');
      expect(lab.run('train-teacher').state, lab.run('train-teacher').error).to.equal('done');
      await lab.play('train-student');
      const student = lab.run('train-student');
      expect(student.state, student.error).to.equal('done');
      const studentLosses = student.losses.exact();
      expect(studentLosses).to.have.length(40);
      expect(studentLosses.every(Number.isFinite)).to.equal(true);
      const early = mean(studentLosses.slice(0, 10));
      const late = mean(studentLosses.slice(-10));
      expect(late, `early ${early}, late ${late}`).to.be.below(early);

      // Its samples are not an untrained model's: the same settings, made without a teacher
      // (as a shared link's weights would load), sample the network's initial weights.
      const request = {
        data: { kind: 'builtin', name: 'moons', seed: 1 } as const,
        model: (store.cell('student') as ModelCell).model,
        train: (store.cell('student') as ModelCell).train,
      };
      await client.createRun('untrained', request);
      expect((await rejection(client.train('untrained', 1, () => undefined))).message).to.match(
        /loaded without its teacher/,
      );
      const choice = { sampler: 'euler', steps: 1 } as const;
      const [trained, untrained] = await Promise.all([
        client.sampleModel('train-student', 512, 9, choice),
        client.sampleModel('untrained', 512, 9, choice),
      ]);
      let gap = 0;
      for (let i = 0; i < trained.length; i++) gap += Math.abs(trained[i]! - untrained[i]!);
      expect(gap / trained.length, 'mean |trained − untrained|').to.be.above(0.05);

      // The teacher is trained again from scratch: the student is stale and is made afresh
      // from the new teacher's pairs.
      const generation = lab.run('train-student').generation!;
      await lab.reset('train-teacher');
      await lab.play('train-teacher');
      await lab.play('train-student');
      expect(lab.run('train-student').state, lab.run('train-student').error).to.equal('done');
      expect(lab.run('train-student').generation).to.be.above(generation);
      expect(lab.run('train-student').step).to.equal(40);
    } finally {
      end();
    }
  });

  it('replays exactly: a fresh worker trains the same teacher, pairs and student bit for bit', async () => {
    const hashes: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { lab, client, end } = playground();
      try {
        await lab.play('train-teacher');
        await lab.play('train-student');
        expect(lab.run('train-student').state, lab.run('train-student').error).to.equal('done');
        hashes.push(await paramsHash((await client.exportWeights('train-student')).params));
      } finally {
        end();
      }
    }
    expect(hashes[1]).to.equal(hashes[0]);
  });

  it('an OT batch over 512 fails with the limit before training', async () => {
    const { lab, store, end } = playground();
    try {
      const ot = store.cell('ot') as ModelCell;
      store.dispatch({ type: 'update', id: 'ot', patch: { train: { ...ot.train, batch: 600 } } });
      await lab.play('train-ot');
      expect(lab.run('train-ot').state).to.equal('failed');
      expect(lab.run('train-ot').error).to.match(/batch size must be at most 512, got 600/);
      expect(lab.run('train-ot').step).to.equal(0);
    } finally {
      end();
    }
  });
});

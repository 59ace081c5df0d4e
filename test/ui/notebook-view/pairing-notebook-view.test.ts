import { expect, fixture, html } from '@open-wc/testing';
import {
  createCell,
  defaultNotebook,
  type Cell,
  type ModelCell,
  type Notebook,
} from '../../../src/notebook';
import '../../../src/ui/notebook-view/notebook-view';
import type { FfNotebookView } from '../../../src/ui/notebook-view/notebook-view';

function fm(id: string, title: string, patch: Partial<ModelCell['model']>, batch = 256): ModelCell {
  const cell = createCell('model', id) as ModelCell;
  return {
    ...cell,
    title,
    model: { ...cell.model, family: 'diffusion', kind: 'flow-matching', ...patch },
    train: { ...cell.train, batch },
  };
}

const REFLOW = { teacher: 'teacher', pairs: 1024, teacherSteps: 10 };

function notebook(teacherBatch: number, studentFirst = false): Notebook {
  const teacher = [
    fm('teacher', 'Teacher', { pairing: 'minibatch-ot' }, teacherBatch),
    createCell('train', 'train-teacher'),
  ];
  const student = [
    fm('student', 'Student', { pairing: 'reflow', reflow: REFLOW }),
    createCell('train', 'train-student'),
  ];
  const cells: Cell[] = [
    createCell('data', 'data'),
    ...(studentFirst ? [...student, ...teacher] : [...teacher, ...student]),
  ];
  return { ...defaultNotebook(), cells };
}

async function mount(nb: Notebook): Promise<FfNotebookView> {
  return fixture<FfNotebookView>(html`<ff-notebook-view .notebook=${nb}></ff-notebook-view>`);
}

const cellElement = <K extends keyof HTMLElementTagNameMap>(
  view: FfNotebookView,
  id: string,
  tag: K,
): HTMLElementTagNameMap[K] =>
  view.shadowRoot!.querySelector(`#b-${id} ${tag}`) as HTMLElementTagNameMap[K];

describe('<ff-notebook-view>: pairings reach the Model and Train cells', () => {
  it('an OT batch over 512 blocks the Train cell with the limit before any GPU work', async () => {
    const view = await mount(notebook(1024));
    expect(cellElement(view, 'train-teacher', 'ff-train-cell').blocked).to.match(
      /batch size must be at most 512 \(it is 1,024\)/,
    );
    const fine = await mount(notebook(512));
    expect(cellElement(fine, 'train-teacher', 'ff-train-cell').blocked).to.equal('');
    expect(cellElement(fine, 'train-student', 'ff-train-cell').blocked).to.equal('');
  });

  it('the student is offered the flow-matching cells above it and told when its teacher is below', async () => {
    const view = await mount(notebook(256));
    const student = cellElement(view, 'student', 'ff-model-cell');
    expect(student.teachers).to.deep.equal([{ id: 'teacher', title: 'Teacher' }]);
    expect(student.teacherError).to.equal('');
    expect(cellElement(view, 'teacher', 'ff-model-cell').teachers).to.deep.equal([]);

    const moved = await mount(notebook(256, true));
    const message =
      'The reflow teacher "Teacher" (teacher) comes after this cell; move it above, so that it is trained first.';
    expect(cellElement(moved, 'student', 'ff-model-cell').teacherError).to.equal(message);
    expect(cellElement(moved, 'train-student', 'ff-train-cell').blocked).to.equal(message);
  });
});

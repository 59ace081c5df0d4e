import { expect } from '@esm-bundle/chai';
import {
  MAX_OT_BATCH,
  NOTEBOOK_VERSION,
  createCell,
  decodeShareLink,
  defaultNotebook,
  encodeShareLink,
  notebookFromFile,
  notebookToFile,
  parseNotebook,
  reflowTeacher,
  reflowTeachers,
  settingsErrors,
  type Cell,
  type ModelCell,
  type Notebook,
} from '../../src/notebook';
import { errorOf } from './errors';

type Json = Record<string, unknown>;

const GALLERY_FM = new URL(
  '../../public/gallery/flow-matching-circles.flowfield.json',
  import.meta.url,
);
/** Made with the notebook code of commit 5a7df91 (before pairings existed) from GALLERY_FM. */
const OLD_LINK = new URL('./fixtures/link-v2-flow-matching-before-pairing.txt', import.meta.url);
const OLD_PAIRINGS_LINK = new URL('./fixtures/link-v2-couplings.txt', import.meta.url);
const OLD_PAIRINGS_FILE = new URL(
  './fixtures/notebook-v2-couplings.flowfield.json',
  import.meta.url,
);

function model(id: string, patch: Partial<ModelCell['model']> = {}, title = id): ModelCell {
  const cell = createCell('model', id) as ModelCell;
  return {
    ...cell,
    title,
    model: { ...cell.model, family: 'diffusion', kind: 'flow-matching', ...patch },
  };
}

/** data → teacher (OT) → train → student (reflow of the teacher) → train → view. */
function teacherAndStudent(): Notebook {
  const cells: Cell[] = [
    createCell('data', 'data'),
    model('teacher', { pairing: 'minibatch-ot' }, 'Teacher'),
    createCell('train', 'train-teacher'),
    model('student', {
      pairing: 'reflow',
      reflow: { teacher: 'teacher', pairs: 2048, teacherSteps: 12 },
    }),
    createCell('train', 'train-student'),
    createCell('view', 'view'),
  ];
  return { ...defaultNotebook(), cells };
}

/** The notebook as JSON with its cell `id`'s model changed by `edit`. */
function withModel(notebook: Notebook, id: string, edit: (model: Json) => void): Json {
  const doc = JSON.parse(JSON.stringify(notebook)) as { cells: Json[] };
  edit(doc.cells.find((c) => c['id'] === id)!['model'] as Json);
  return doc as unknown as Json;
}

describe('notebook: flow-matching pairing and reflow teacher', () => {
  it('pairing and reflow survive a share link and a .flowfield.json round trip', async () => {
    const notebook = teacherAndStudent();
    const fromLink = await decodeShareLink(await encodeShareLink({ notebook, weights: [] }));
    const fromFile = notebookFromFile(notebookToFile({ notebook, weights: [] }));
    for (const decoded of [fromLink.notebook, fromFile.notebook]) {
      expect(decoded).to.deep.equal(notebook);
      const student = decoded.cells[3] as ModelCell;
      expect(student.model.pairing).to.equal('reflow');
      expect(student.model.reflow).to.deep.equal({
        teacher: 'teacher',
        pairs: 2048,
        teacherSteps: 12,
      });
      expect((decoded.cells[1] as ModelCell).model.pairing).to.equal('minibatch-ot');
    }
  });

  it('a link made before pairings existed opens unchanged, as independent flow matching', async () => {
    const link = (await (await fetch(OLD_LINK)).text()).trim();
    const file = notebookFromFile(await (await fetch(GALLERY_FM)).text());
    const opened = await decodeShareLink(link);
    // Nothing added, nothing lost: the same notebook as the file the link was made from.
    expect(opened.notebook).to.deep.equal(file.notebook);
    const fm = opened.notebook.cells.find((c): c is ModelCell => c.kind === 'model')!;
    expect(fm.model.kind).to.equal('flow-matching');
    expect('pairing' in fm.model).to.equal(false);
    expect(reflowTeacher(opened.notebook, fm.id)).to.equal(undefined);
    // Re-sharing it writes the current version of the very same notebook (nothing added).
    const reshared = await encodeShareLink({ notebook: opened.notebook, weights: [] });
    expect(reshared.startsWith(`nb=${NOTEBOOK_VERSION}.`)).to.equal(true);
    expect((await decodeShareLink(reshared)).notebook).to.deep.equal(opened.notebook);
  });

  it("a version-2 link and file (the field was called 'coupling') open as the same pairings", async () => {
    // Both made by the notebook code of commit a80df21, before the rename.
    const link = (await (await fetch(OLD_PAIRINGS_LINK)).text()).trim();
    const file = await (await fetch(OLD_PAIRINGS_FILE)).text();
    expect(link.startsWith('nb=2.')).to.equal(true);
    expect(file).to.contain('"coupling": "minibatch-ot"');
    const expected: Notebook = {
      ...teacherAndStudent(),
      title: 'Couplings, version 2',
      cells: [
        ...teacherAndStudent().cells.slice(0, 5),
        model('plain', { pairing: 'independent' }, 'Plain'),
        createCell('train', 'train-plain'),
        createCell('view', 'view'),
      ],
    };
    for (const opened of [
      (await decodeShareLink(link)).notebook,
      notebookFromFile(file).notebook,
    ]) {
      expect(opened).to.deep.equal(expected);
      const models = opened.cells.filter((c): c is ModelCell => c.kind === 'model');
      for (const m of models) expect(m.model).to.not.have.property('coupling');
      // The same meaning: the teacher's OT batch limit, the student's teacher.
      const teacher = models[0]!;
      expect(settingsErrors(teacher.model, { ...teacher.train, batch: MAX_OT_BATCH + 1 })['batch'])
        .to.be.a('string')
        .and.contain('Minibatch OT');
      expect(reflowTeacher(opened, 'student')).to.deep.include({ teacher });
    }
  });

  it("a current-version notebook with the old 'coupling' field says it was renamed", () => {
    const doc = withModel(teacherAndStudent(), 'teacher', (m) => {
      m['coupling'] = m['pairing'];
      delete m['pairing'];
    });
    const error = errorOf(doc);
    expect(error.path).to.equal('cells[1].model.coupling');
    expect(error.message).to.equal(
      `cells[1].model.coupling: expected no 'coupling' (renamed 'pairing' in notebook version 3), received the text "minibatch-ot".`,
    );
  });

  it('bad pairing values name the path, the allowed values and what came', () => {
    const nb = teacherAndStudent();
    const cases: [string, (m: Json) => void, string][] = [
      [
        'cells[1].model.pairing',
        (m) => (m['pairing'] = 'sinkhorn'),
        `cells[1].model.pairing: expected one of 'independent', 'minibatch-ot', 'reflow', received the text "sinkhorn".`,
      ],
      [
        'cells[1].model.pairing',
        (m) => ((m['kind'] = 'ddpm'), (m['pairing'] = 'minibatch-ot')),
        `cells[1].model.pairing: expected 'independent' or no pairing for a 'ddpm' model (minibatch OT and reflow are flow matching's), received the text "minibatch-ot".`,
      ],
      [
        'cells[3].model.reflow',
        (m) => delete m['reflow'],
        `cells[3].model.reflow: expected the reflow teacher and pairs ({ teacher, pairs, teacherSteps }) for pairing 'reflow', received nothing.`,
      ],
      [
        'cells[3].model.reflow.pairs',
        (m) => ((m['reflow'] as Json)['pairs'] = 100),
        'cells[3].model.reflow.pairs: expected Reflow pairs: a whole number from 256 to 65,536, received 100.',
      ],
      [
        'cells[3].model.reflow.teacherSteps',
        (m) => ((m['reflow'] as Json)['teacherSteps'] = 0.5),
        'cells[3].model.reflow.teacherSteps: expected Teacher RK4 steps: a whole number from 1 to 200, received 0.5.',
      ],
      [
        'cells[3].model.reflow.teacher',
        (m) => ((m['reflow'] as Json)['teacher'] = 7),
        'cells[3].model.reflow.teacher: expected text, received 7.',
      ],
    ];
    for (const [path, edit, message] of cases) {
      const id = path.startsWith('cells[1]') ? 'teacher' : 'student';
      const error = errorOf(withModel(nb, id, edit));
      expect(error.path, path).to.equal(path);
      expect(error.message, path).to.equal(message);
    }
  });

  it('a missing, non-flow-matching or later teacher is a message at the student, not a load error', () => {
    const nb = teacherAndStudent();
    expect(reflowTeacher(nb, 'student')).to.deep.include({ teacher: nb.cells[1] });
    expect(reflowTeachers(nb, 'student').map((c) => c.id)).to.deep.equal(['teacher']);

    const missing = parseNotebook({ ...nb, cells: nb.cells.filter((c) => c.id !== 'teacher') });
    expect(reflowTeacher(missing, 'student')).to.deep.equal({
      error:
        'The reflow teacher "teacher" is not in this notebook (was it deleted?); pick a flow-matching Model cell above this one as the teacher.',
    });

    const flow = parseNotebook(
      withModel(
        nb,
        'teacher',
        (m) => ((m['kind'] = 'realnvp'), (m['family'] = 'flow'), delete m['pairing']),
      ),
    );
    expect((reflowTeacher(flow, 'student') as { error: string }).error).to.equal(
      'The reflow teacher "Teacher" (teacher) is a RealNVP flow model; a teacher must be flow matching (its ODE makes the pairs): pick a flow-matching Model cell above this one as the teacher.',
    );
    expect(reflowTeachers(flow, 'student')).to.deep.equal([]);

    // The student moved above its teacher: it opens, and says to move the teacher up.
    const [data, teacher, trainTeacher, student, ...rest] = nb.cells;
    const reordered = parseNotebook({
      ...nb,
      cells: [data, student, teacher, trainTeacher, ...rest],
    });
    expect((reflowTeacher(reordered, 'student') as { error: string }).error).to.equal(
      'The reflow teacher "Teacher" (teacher) comes after this cell; move it above, so that it is trained first.',
    );

    const untrainable = parseNotebook({
      ...nb,
      cells: nb.cells.filter((c) => c.id !== 'train-teacher'),
    });
    // Without its own Train cell, the student's Train cell trains the nearest model: the student.
    expect((reflowTeacher(untrainable, 'student') as { error: string }).error).to.match(
      /"Teacher" \(teacher\) has no Train cell below it: add one and train the teacher cell first\./,
    );

    const self = withModel(nb, 'student', (m) => ((m['reflow'] as Json)['teacher'] = 'student'));
    expect((reflowTeacher(parseNotebook(self), 'student') as { error: string }).error).to.match(
      /cannot be its own reflow teacher/,
    );
  });

  it('settings errors: minibatch OT refuses a batch over the GPU pairing limit, before any GPU work', () => {
    const nb = teacherAndStudent();
    const teacher = nb.cells[1] as ModelCell;
    const at = (batch: number) =>
      settingsErrors(teacher.model, { ...teacher.train, batch })['batch'];
    expect(at(MAX_OT_BATCH)).to.equal(undefined);
    expect(at(MAX_OT_BATCH + 1)).to.equal(
      "Minibatch OT solves each batch's pairing exactly on the GPU, so the batch size must be at most 512 (it is 513); use a smaller batch or pairing Independent.",
    );
    // The same batch is fine for independent pairs.
    const independent = { ...teacher.model, pairing: 'independent' as const };
    expect(settingsErrors(independent, { ...teacher.train, batch: 4096 })['batch']).to.equal(
      undefined,
    );
    const student = nb.cells[3] as ModelCell;
    const bad = { ...student.model, reflow: { ...student.model.reflow!, pairs: 70_000 } };
    expect(settingsErrors(bad, student.train)['reflowPairs']).to.equal(
      'Reflow pairs must be between 256 and 65,536.',
    );
  });
});

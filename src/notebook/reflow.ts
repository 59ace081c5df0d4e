/**
 * Which Model cell teaches a reflow student, and why a chosen teacher cannot. The teacher is a
 * reference by id (ReflowSettings.teacher), resolved against the current cell order, so that
 * deleting or moving cells gives a message at the student, never a notebook that fails to load.
 */
import { trainInputs } from './links';
import type { ModelCell, ModelKind, Notebook, ReflowSettings, TrainCell } from './schema';

const KIND_LABELS: Record<ModelKind, string> = {
  nice: 'NICE flow',
  realnvp: 'RealNVP flow',
  glow: 'Glow-style flow',
  spline: 'spline flow',
  ddpm: 'DDPM',
  'flow-matching': 'flow-matching',
};

/** Default reflow settings with `teacher` (pairs and steps at their usual values). */
export function defaultReflow(teacher: string): ReflowSettings {
  return { teacher, pairs: 4096, teacherSteps: 20 };
}

/** How a cell is named in messages: its title and id. */
export function cellName(cell: ModelCell): string {
  return `"${cell.title || 'Model'}" (${cell.id})`;
}

/** The Model cells above `studentId` that can teach it: flow matching, in notebook order. */
export function reflowTeachers(notebook: Notebook, studentId: string): ModelCell[] {
  const index = notebook.cells.findIndex((cell) => cell.id === studentId);
  return notebook.cells
    .slice(0, Math.max(0, index))
    .filter(
      (cell): cell is ModelCell => cell.kind === 'model' && cell.model.kind === 'flow-matching',
    );
}

/** The Train cells that train Model cell `modelId` (each trains the nearest Model cell above it). */
export function trainCellsOf(notebook: Notebook, modelId: string): TrainCell[] {
  return notebook.cells.filter(
    (cell): cell is TrainCell =>
      cell.kind === 'train' && trainInputs(notebook, cell.id).model?.id === modelId,
  );
}

export type TeacherResolution =
  { teacher: ModelCell; trainCells: TrainCell[]; settings: ReflowSettings } | { error: string };

/**
 * The teacher of Model cell `studentId` when it uses reflow, with the Train cells that train it;
 * `{ error }` saying what to do when it has none, or undefined when the cell does not use reflow.
 */
export function reflowTeacher(
  notebook: Notebook,
  studentId: string,
): TeacherResolution | undefined {
  const index = notebook.cells.findIndex((cell) => cell.id === studentId);
  const student = notebook.cells[index];
  if (!student || student.kind !== 'model') return undefined;
  const { model } = student;
  if (model.kind !== 'flow-matching' || model.pairing !== 'reflow') return undefined;
  const pick = 'pick a flow-matching Model cell above this one as the teacher';
  const settings = model.reflow;
  if (!settings) return { error: `Reflow needs a teacher: ${pick}.` };
  const teacherIndex = notebook.cells.findIndex((cell) => cell.id === settings.teacher);
  const teacher = notebook.cells[teacherIndex];
  if (!teacher) {
    return {
      error: `The reflow teacher "${settings.teacher}" is not in this notebook (was it deleted?); ${pick}.`,
    };
  }
  if (teacher.kind !== 'model') {
    return {
      error: `The reflow teacher "${settings.teacher}" is a ${teacher.kind} cell; ${pick}.`,
    };
  }
  if (teacher === student) {
    return { error: `A model cannot be its own reflow teacher; ${pick}.` };
  }
  if (teacher.model.kind !== 'flow-matching') {
    return {
      error: `The reflow teacher ${cellName(teacher)} is a ${KIND_LABELS[teacher.model.kind]} model; a teacher must be flow matching (its ODE makes the pairs): ${pick}.`,
    };
  }
  if (teacherIndex > index) {
    return {
      error: `The reflow teacher ${cellName(teacher)} comes after this cell; move it above, so that it is trained first.`,
    };
  }
  const trainCells = trainCellsOf(notebook, teacher.id);
  if (trainCells.length === 0) {
    return {
      error: `The reflow teacher ${cellName(teacher)} has no Train cell below it: add one and train the teacher cell first.`,
    };
  }
  return { teacher, trainCells, settings };
}

/**
 * What a Train cell asks the GPU side to create: the model request made of the cells above it,
 * or a message saying what to do first (a missing cell, an image set, an untrained teacher).
 */
import {
  cellName,
  imageDataProblem,
  reflowTeacher,
  trainInputs,
  type ModelCell,
  type Notebook,
} from '../../notebook';
import type { ModelRequest } from './lab-client';
import type { RunView } from './run-view';

/** The model request of a Train cell, or a message saying what is missing. */
export function modelRequest(
  notebook: Notebook,
  trainId: string,
  runOf: (trainId: string) => RunView,
): ModelRequest | string {
  const { model, data } = trainInputs(notebook, trainId);
  if (!model) return 'Add a Model cell above this Train cell.';
  if (!data) return 'Add a Data cell above the Model cell.';
  const images = imageDataProblem(notebook, trainId);
  if (images) return images;
  const request: ModelRequest = { data: data.source, model: model.model, train: model.train };
  const teacher = teacherRequest(notebook, model, runOf);
  if (typeof teacher === 'string') return teacher;
  return teacher ? { ...request, teacher } : request;
}

/**
 * A reflow student's teacher: the first trained run of the teacher cell, or a message saying
 * what to do first (undefined for models that do not use reflow).
 */
function teacherRequest(
  notebook: Notebook,
  student: ModelCell,
  runOf: (trainId: string) => RunView,
): ModelRequest['teacher'] | string {
  const resolved = reflowTeacher(notebook, student.id);
  if (!resolved) return undefined;
  if ('error' in resolved) return resolved.error;
  const name = cellName(resolved.teacher);
  const busy = resolved.trainCells.find((cell) =>
    ['running', 'preparing'].includes(runOf(cell.id).state),
  );
  const trained = resolved.trainCells.find(
    (cell) => runOf(cell.id).step > 0 && runOf(cell.id).key !== undefined,
  );
  if (busy && (!trained || busy === trained)) {
    return `The reflow teacher ${name} is training: pause it or let it finish, then train this cell.`;
  }
  if (!trained) {
    return `Train the teacher cell ${name} first: reflow learns from the (noise, sample) pairs its trained model makes.`;
  }
  const { pairs, teacherSteps } = resolved.settings;
  // The pairs' noise follows the student's seed, so a replay makes the same pairs.
  return { trainId: trained.id, pairs, steps: teacherSteps, seed: student.model.seed };
}

/**
 * The key of the model a request creates: a run is re-created when it changes. A reflow
 * student is stale too when its teacher was re-created or trained further.
 */
export function requestKey(request: ModelRequest, runOf: (trainId: string) => RunView): string {
  const teacher = request.teacher && {
    ...request.teacher,
    generation: runOf(request.teacher.trainId).generation,
    step: runOf(request.teacher.trainId).step,
  };
  return JSON.stringify({
    data: request.data,
    model: request.model,
    ...(teacher ? { teacher } : {}),
  });
}

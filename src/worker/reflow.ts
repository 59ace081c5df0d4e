/**
 * Reflow pair banks in the worker. A bank is made from a teacher model as it is at that moment;
 * the record keeps the teacher's spec and sampling weights (a copy, a few hundred KB at most), so
 * a device-loss recovery remakes the same pairs on the new device with a temporary teacher —
 * even when the teacher trained on or was disposed since.
 */
import type { Lab } from '../lab/lab';
import type { ModelSpec, Normalization, ReflowPairs } from '../lab/models';
import type { ModelId, PairsId, ReflowPairsInfo, ReflowPairsOptions } from './api';
import { copyNormalization, type ModelRecord } from './records';

/** What remakes a bank: the teacher as it was, and how it sampled. */
export interface TeacherSnapshot {
  spec: ModelSpec;
  /** The weights the teacher sampled with (its EMA after training, else its parameters). */
  weights: Float32Array;
  normalization: Normalization;
  step: number;
}

export interface PairsRecord {
  readonly id: PairsId;
  readonly teacher: ModelId;
  readonly snapshot: TeacherSnapshot;
  readonly options: ReflowPairsOptions;
  pairs: ReflowPairs;
}

/**
 * Why `record` cannot teach right now, or undefined. `trainedSteps` is the teacher's run step
 * (undefined without a run); imported weights count as trained.
 */
export function teacherProblem(
  record: ModelRecord,
  trainedSteps: number | undefined,
  training: boolean,
): string | undefined {
  const spec = record.spec;
  if (spec.family !== 'diffusion' || spec.kind !== 'flow-matching') {
    const kind = String(spec.kind);
    return `${record.id} is a ${kind} model; reflow pairs come from a flow-matching teacher (its ODE carries noise to data). Pick a flow-matching teacher.`;
  }
  if (training) {
    return `The teacher ${record.id} is training (${String(record.run)}); pause it or let it finish, then make reflow pairs from it.`;
  }
  const imported = record.checkpoint !== undefined && record.checkpoint.optimizer === undefined;
  if (!imported && !(trainedSteps !== undefined && trainedSteps > 0)) {
    return `The teacher ${record.id} has not been trained: train the teacher cell first, then make reflow pairs from it (an untrained teacher's pairs would teach noise).`;
  }
  return undefined;
}

/** The teacher's spec and sampling weights now. */
export async function snapshotTeacher(record: ModelRecord, step: number): Promise<TeacherSnapshot> {
  const model = record.model;
  if (record.spec.family !== 'diffusion') {
    throw new TypeError(`${record.id} is not a diffusion model; it cannot teach reflow.`);
  }
  return {
    spec: record.spec,
    // The EMA where training left one, else the parameters: what sample() uses.
    weights: await model.samplingWeights(),
    normalization: copyNormalization(model.normalization),
    step,
  };
}

/** A bank from a teacher made afresh from `snapshot` on `lab` (the temporary teacher is freed). */
export async function pairsFromSnapshot(
  lab: Lab,
  snapshot: TeacherSnapshot,
  options: ReflowPairsOptions,
): Promise<ReflowPairs> {
  const teacher = await lab.createModel(snapshot.spec);
  try {
    // Imported weights are also the sampling weights (LabDiffusion.importParams).
    teacher.importParams(snapshot.weights.slice());
    teacher.normalization = copyNormalization(snapshot.normalization);
    return await lab.reflowPairs(teacher, options);
  } finally {
    teacher.dispose();
  }
}

export function pairsInfo(record: PairsRecord): ReflowPairsInfo {
  return {
    id: record.id,
    teacher: record.teacher,
    count: record.pairs.count,
    nfe: record.pairs.source.nfe,
    teacherStep: record.snapshot.step,
    normalization: copyNormalization(record.pairs.normalization),
  };
}

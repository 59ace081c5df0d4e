/**
 * What happens around every chunk of a run's training: a turn of the worker's FairScheduler (one
 * chunk in flight at a time), then, at that boundary where no step of the model is in flight,
 * an in-memory checkpoint every few seconds of training (parameters and optimizer state) and
 * the test hooks; the chunk is timed
 * with timestamp queries; its end bumps the model's version so views know to refresh.
 */
import type { ChunkGate, TrainingRun } from '../lab/training';
import { allFinite, copyNormalization, type ModelRecord } from './records';
import type { DeviceScope } from './device-scope';

/** One lab TrainingRun of a run, from the run's step `base` on, on one device. */
export interface Segment {
  run: TrainingRun;
  readonly scope: DeviceScope;
  /** Run step at the segment's start. */
  readonly base: number;
  /** The trainer's own step counter at the segment's start (the carried state's, or 0). */
  readonly trainerBase: number;
  checkpointDue: boolean;
  /** Training time (turns held) since the last checkpoint, ms. */
  sinceCheckpointMs: number;
}

export interface GateContext {
  /** The scheduler key (the run id). */
  key: string;
  /** Training time between checkpoints, ms. */
  interval: number;
  record(): ModelRecord;
  /** False once the run moved on (stopped, new segment, device lost): refuse further chunks. */
  isCurrent(): boolean;
  /** Loss of the latest step, stored with a checkpoint. */
  loss(): number;
  measured(gpuMsPerStep: number): void;
  /**
   * Waits out a speed cap's pacing before the chunk (before its turn: a wait never holds the
   * GPU) and says how many steps the chunk may take; undefined: no cap, no wait.
   */
  pace?(): Promise<number | undefined>;
}

export function chunkGate(segment: Segment, context: GateContext): ChunkGate {
  return {
    enter: async () => {
      if (!context.isCurrent()) {
        throw new Error('This training segment ended (device lost or run changed).');
      }
      const maxSteps = await context.pace?.();
      // Paused or stopped while the pace held the chunk (a batch change ends its segment so):
      // no chunk, and the run ends or pauses as after any chunk, with its losses reported.
      if (segment.run.isPaused || segment.run.isStopped) return undefined;
      if (!context.isCurrent()) {
        throw new Error('This training segment ended (device lost or run changed).');
      }
      const release = await segment.scope.scheduler.turn(context.key);
      try {
        if (segment.checkpointDue || segment.sinceCheckpointMs >= context.interval) {
          await takeCheckpoint(segment, context);
        }
        await applyTestHooks(context.record());
      } catch (error) {
        release();
        throw error;
      }
      const started = performance.now();
      const timing = segment.scope.timer?.begin();
      return {
        ...(maxSteps !== undefined ? { steps: maxSteps } : {}),
        submitted: () => timing?.end(),
        leave: async (result) => {
          try {
            const gpuMs = await timing?.read();
            if (result && gpuMs !== undefined) context.measured(gpuMs / result.losses.length);
            segment.sinceCheckpointMs += performance.now() - started;
            if (result) context.record().version++;
          } finally {
            release();
          }
        },
      };
    },
  };
}

/** Keeps the parameters as the model's checkpoint, if every value is finite. */
async function takeCheckpoint(segment: Segment, context: GateContext): Promise<void> {
  const record = context.record();
  const [params, optimizer] = await Promise.all([
    record.model.exportParams(),
    segment.run.exportTrainerState(),
  ]);
  segment.checkpointDue = false;
  segment.sinceCheckpointMs = 0;
  // A parameter already non-finite would make a checkpoint that cannot be rolled back to.
  if (!allFinite(params)) return;
  const step = segment.base + segment.run.stepsDone;
  // Kept when its counter is the run's (always, unless the segment started without a state).
  const keep = optimizer && optimizer.step === step && allFinite(optimizer.moments);
  record.checkpoint = {
    step,
    params,
    normalization: copyNormalization(record.model.normalization),
    loss: context.loss(),
    ...(keep ? { optimizer } : {}),
  };
}

async function applyTestHooks(record: ModelRecord): Promise<void> {
  if (!record.pendingNaN) return;
  record.pendingNaN = false;
  const params = await record.model.exportParams();
  record.model.importParams(params.fill(NaN));
}

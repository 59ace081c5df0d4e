/** What the worker keeps about each dataset and model, enough to rebuild them on a new device. */
import type { Dataset, DatasetSpec, LabModel, Normalization } from '../lab/models';
import type { ImageDataset } from '../lab/lab';
import type { TrainerState } from '../lab/training';
import type { DatasetId, ImageSetId, ImageSetSpec, ModelId, RunId } from './api';
import type { WorkerModelSpec } from './image-models';

export interface DatasetRecord {
  readonly id: DatasetId;
  readonly spec: DatasetSpec;
  dataset: Dataset;
}

/** A model's last good state: parameters with every value finite, and its normalisation. */
export interface Checkpoint {
  /** Run step the parameters belong to (0 for imports outside a run). */
  step: number;
  params: Float32Array;
  normalization: Normalization;
  loss: number;
  /**
   * The run's optimizer at that step (step counter, moments, EMA of the weights), so training
   * continues from the checkpoint as if never interrupted; absent for imports.
   */
  optimizer?: TrainerState;
}

/** An image set: what image models train on (reopened from its spec on a new device). */
export interface ImageSetRecord {
  readonly id: ImageSetId;
  readonly spec: ImageSetSpec;
  dataset: ImageDataset;
  /** The device generation the dataset lives on. */
  generation: number;
}

export interface ModelRecord {
  readonly id: ModelId;
  /** A 2-D model's spec, or an image model's (image-models.ts). */
  readonly spec: WorkerModelSpec;
  model: LabModel;
  /** What a rollback or a rebuild on a new device restores; undefined: the spec's initial state. */
  checkpoint: Checkpoint | undefined;
  /** Bumped whenever the parameters change, so views know their samples are stale. */
  version: number;
  /** The live run of this model, if any (one at a time). */
  run: RunId | undefined;
  /** Test hook: write NaN into the parameters at the next chunk boundary. */
  pendingNaN: boolean;
}

export function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}

/**
 * The float32 values of parameters handed to importParams / importRunWeights (a view of
 * `params`), or a TypeError / RangeError saying what was expected: exportParams()'s buffer,
 * every value finite.
 */
export function importedValues(params: ArrayBuffer): Float32Array {
  if (!(params instanceof ArrayBuffer) || params.byteLength % 4 !== 0) {
    throw new TypeError(
      'importParams expects the ArrayBuffer of float32 values that exportParams() returned.',
    );
  }
  const values = new Float32Array(params);
  if (!allFinite(values)) {
    throw new RangeError(
      'importParams got NaN or infinite values; import parameters from a healthy export.',
    );
  }
  return values;
}

export function copyNormalization(n: {
  readonly shift: readonly [number, number];
  readonly scale: readonly [number, number];
}): Normalization {
  return { shift: [n.shift[0], n.shift[1]], scale: [n.scale[0], n.scale[1]] };
}

/**
 * Restores a checkpoint into a model (copies: the checkpoint stays intact). A diffusion model
 * also gets the EMA weights of the checkpoint, which it samples with, as after training.
 */
export function restoreCheckpoint(model: LabModel, checkpoint: Checkpoint): void {
  model.restore({
    params: checkpoint.params,
    normalization: copyNormalization(checkpoint.normalization),
    ...(checkpoint.optimizer ? { trainerState: checkpoint.optimizer } : {}),
  });
}

/**
 * Every event the playground's components emit, typed in one place. Components only render
 * and emit; <ff-app> turns these into store actions and controller calls.
 */
import type { CellKind, CellPatch } from '../notebook';
import type { ViewReport } from './controllers/lab-client';

export type CellCommand = 'remove' | 'duplicate' | 'up' | 'down' | 'collapse';
export type TrainCommand = 'play' | 'pause' | 'step' | 'reset';

export interface FfEvents {
  /** A cell's settings changed (the patch is applied to the notebook as is). */
  'ff-cell-change': { id: string; patch: CellPatch };
  /** A cell toolbar action. */
  'ff-cell-command': { id: string; command: CellCommand };
  /** Move a cell to a position (drag and drop). */
  'ff-cell-move': { id: string; index: number };
  /** Add a cell of `kind` after `after` (at the end when absent). */
  'ff-cell-add': { kind: CellKind; after?: string };
  'ff-train-command': { id: string; command: TrainCommand };
  /** A live learning-rate change during training. */
  'ff-learning-rate': { id: string; learningRate: number };
  'ff-run-all': Record<string, never>;
  /** A GPU view drew a frame: its ticks, legends, warp stages and the sampler's NFE. */
  'ff-view-report': { report: ViewReport };
  /** Compute a Compare cell's metrics. */
  'ff-compare': { id: string };
  /** A live batch-size change of a Train cell's model (also while training). */
  'ff-batch-size': { id: string; batch: number };
  /** A Train cell's speed cap in steps per second (null: as fast as possible). */
  'ff-speed': { id: string; stepsPerSecond: number | null };
  /** A .safetensors file dropped on a Model cell: load it into that model's Train cell. */
  'ff-weights-drop': { modelId: string; file: File };
  /** Image files (PNG/JPEG/.zip) dropped on or picked in a Data cell: make them its image set. */
  'ff-image-files': { id: string; files: File[] };
  /** The size and colour a Data cell's image files are made at (28/14/8, grey or RGB). */
  'ff-image-choice': { id: string; size: 28 | 14 | 8; channels: 1 | 3 };
}

export type FfEventName = keyof FfEvents;

declare global {
  interface GlobalEventHandlersEventMap {
    'ff-cell-change': CustomEvent<FfEvents['ff-cell-change']>;
    'ff-cell-command': CustomEvent<FfEvents['ff-cell-command']>;
    'ff-cell-move': CustomEvent<FfEvents['ff-cell-move']>;
    'ff-cell-add': CustomEvent<FfEvents['ff-cell-add']>;
    'ff-train-command': CustomEvent<FfEvents['ff-train-command']>;
    'ff-learning-rate': CustomEvent<FfEvents['ff-learning-rate']>;
    'ff-run-all': CustomEvent<FfEvents['ff-run-all']>;
    'ff-view-report': CustomEvent<FfEvents['ff-view-report']>;
    'ff-compare': CustomEvent<FfEvents['ff-compare']>;
    'ff-batch-size': CustomEvent<FfEvents['ff-batch-size']>;
    'ff-speed': CustomEvent<FfEvents['ff-speed']>;
    'ff-weights-drop': CustomEvent<FfEvents['ff-weights-drop']>;
    'ff-image-files': CustomEvent<FfEvents['ff-image-files']>;
    'ff-image-choice': CustomEvent<FfEvents['ff-image-choice']>;
  }
}

/** Dispatches a typed event that bubbles out of shadow roots. */
export function emit<K extends FfEventName>(
  target: EventTarget,
  name: K,
  detail: FfEvents[K],
): void {
  target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
}

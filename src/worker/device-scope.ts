/**
 * What runs and views hold of the worker's lab session, as narrow types of their own, so that
 * the session (which registers runs and views) and they do not import one another: the device
 * scope they draw and train on, and the session's records and device-loss hooks.
 */
import type { GpuDeviceLostError } from '../gpu/errors';
import type { Lab } from '../lab/lab';
import type { RenderPipelineCache } from '../render';
import type { DatasetId, ImageSetId, ModelId, PairsId } from './api';
import type { ChunkTimer } from './gpu-timer';
import type { DatasetRecord, ImageSetRecord, ModelRecord } from './records';
import type { PairsRecord } from './reflow';
import type { Registry } from './registry';
import type { FairScheduler } from './scheduler';

/** Everything that belongs to one device; replaced as a whole after a device loss. */
export interface DeviceScope {
  readonly lab: Lab;
  readonly generation: number;
  readonly scheduler: FairScheduler;
  readonly timer: ChunkTimer | undefined;
  readonly renderPipelines: RenderPipelineCache;
  /** Resolves when this scope's device is lost. */
  readonly lost: Promise<GPUDeviceLostInfo>;
}

/** What runs and views need of the lab session (LabSession, session.ts, is one). */
export interface SessionHost {
  readonly datasets: Registry<DatasetId, DatasetRecord>;
  readonly models: Registry<ModelId, ModelRecord>;
  readonly pairs: Registry<PairsId, PairsRecord>;
  /** Image sets (openImageSet), which image models train on. */
  readonly imageSets: Registry<ImageSetId, ImageSetRecord>;
  /** The device scope, opened on first use; during a recovery, waits for the new one. */
  ready(): Promise<DeviceScope>;
  /** The scope if one is open and not being replaced (for code that must not wait). */
  readonly scopeNow: DeviceScope | undefined;
  /** True when the device of `scope` was lost (waiting briefly for the loss to be reported). */
  wasLost(scope: DeviceScope): Promise<boolean>;
  /** A GPU call found the device gone: start the recovery now (once per device). */
  noticeLoss(scope: DeviceScope, error: GpuDeviceLostError): void;
}

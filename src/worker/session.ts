/**
 * The worker's lab session: the Lab (device, pools, pipelines) and everything created through
 * the API, by handle id. It owns the device-loss guardrail: when the device is lost it acquires
 * a new one, rebuilds every dataset and model (models from their last checkpoint), rebinds the
 * views, resumes the runs that were training, and tells the page.
 */
import { GpuDeviceLostError } from '../gpu/errors';
import { openLab } from '../lab/lab';
import { RenderPipelineCache } from '../render';
import type {
  DatasetId,
  ImageSetId,
  LabEvent,
  LabEventListener,
  ModelId,
  PairsId,
  RunId,
  ViewId,
} from './api';
import type { DeviceScope, SessionHost } from './device-scope';
import { ChunkTimer } from './gpu-timer';
import { Registry } from './registry';
import {
  restoreCheckpoint,
  type DatasetRecord,
  type ImageSetRecord,
  type ModelRecord,
} from './records';
import { createWorkerModel } from './image-models';
import { pairsFromSnapshot, type PairsRecord } from './reflow';
import type { RunController } from './runs';
import { FairScheduler } from './scheduler';
import type { ViewController } from './views';

export type { DeviceScope };

const RECOVERY_ATTEMPTS = 3;
/**
 * More losses than this within LOSS_WINDOW_MS stop the recovery: something keeps killing the
 * device (a driver fault, a workload the GPU cannot take), and recovering again would loop.
 */
export const MAX_LOSSES_IN_WINDOW = 3;
export const LOSS_WINDOW_MS = 60_000;
/** One GPU error message is sent again only after this quiet time (a kernel may fail per frame). */
const REPEAT_QUIET_MS = 5_000;

export class LabSession implements SessionHost {
  readonly datasets = new Registry<DatasetId, DatasetRecord>(
    'dataset',
    'create it again with createDataset()',
  );
  readonly models = new Registry<ModelId, ModelRecord>(
    'model',
    'create it again with createModel()',
  );
  /** Reflow pair banks (training data of reflow students), remade from their teacher snapshots. */
  readonly pairs = new Registry<PairsId, PairsRecord>(
    'pairs',
    'make them again with createReflowPairs()',
  );
  /** Image sets (image-sets.ts), which image models train on. */
  readonly imageSets = new Registry<ImageSetId, ImageSetRecord>(
    'image set',
    'open it again with openImageSet()',
  );
  readonly runs = new Registry<RunId, RunController>('run', 'create it again with createRun()');
  readonly views = new Registry<ViewId, ViewController>(
    'view',
    'create it again with createView()',
  );
  private scope: Promise<DeviceScope> | undefined;
  private current: DeviceScope | undefined;
  private generation = 0;
  /** The newest generation whose loss is being (or was) handled: a loss is handled once. */
  private handledLoss = 0;
  /** When recent losses happened (performance.now()), for the loop guard. */
  private readonly lossTimes: number[] = [];
  /** When each GPU error message was last sent to the page. */
  private readonly lastSent = new Map<string, number>();
  private readonly listeners = new Set<LabEventListener>();

  /** The device scope, opened on first use; during a recovery, waits for the new one. */
  ready(): Promise<DeviceScope> {
    this.scope ??= this.open().then(
      (scope) => (this.current = scope),
      (error: unknown) => {
        this.scope = undefined;
        throw error;
      },
    );
    return this.scope;
  }

  /** The scope if one is open and not being replaced (for code that must not wait). */
  get scopeNow(): DeviceScope | undefined {
    return this.current;
  }

  subscribe(listener: LabEventListener): void {
    this.listeners.add(listener);
  }

  emit(event: LabEvent): void {
    if (this.listeners.size === 0 && event.kind !== 'device-recovered') {
      console.error(`[flowfield worker] ${event.kind}: ${event.message}`);
    }
    for (const listener of this.listeners) {
      // A comlink proxy returns a promise; a page that went away must not break the worker.
      Promise.resolve(listener(event)).catch(() => this.listeners.delete(listener));
    }
  }

  /**
   * True when the device of `scope` was lost, waiting briefly for the loss to be reported:
   * a failed readback can arrive before device.lost resolves.
   */
  async wasLost(scope: DeviceScope): Promise<boolean> {
    if (scope.generation !== this.generation) return true;
    const lost = await Promise.race([
      scope.lost.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500)),
    ]);
    return lost || scope.generation !== this.generation;
  }

  /** Test hook: raises an uncaptured GPU error on the device, as a failed allocation would. */
  async injectGpuError(kind: 'out-of-memory' | 'validation', message: string): Promise<void> {
    const { device } = (await this.ready()).lab.runtime;
    const error =
      kind === 'out-of-memory' ? new GPUOutOfMemoryError(message) : new GPUValidationError(message);
    device.dispatchEvent(new GPUUncapturedErrorEvent('uncapturederror', { error }));
  }

  /** Test hook: destroys the device, as a driver reset would lose it. */
  async loseDevice(): Promise<void> {
    (await this.ready()).lab.runtime.device.destroy();
  }

  private async open(): Promise<DeviceScope> {
    const lab = await openLab();
    const generation = ++this.generation;
    const scope: DeviceScope = {
      lab,
      generation,
      scheduler: new FairScheduler(),
      timer: ChunkTimer.create(lab.runtime),
      renderPipelines: new RenderPipelineCache(lab.runtime.device),
      lost: lab.runtime.context.lost,
    };
    void scope.lost.then((info) => this.onLost(scope, info));
    lab.runtime.context.reporter.subscribe((event) => {
      if (event.kind === 'uncaptured-error' && scope.generation === this.generation) {
        this.reportGpuError(event.errorType, event.message);
      }
    });
    return scope;
  }

  /** An uncaptured GPU error reaches the page once per message and REPEAT_QUIET_MS. */
  private reportGpuError(errorType: string, detail: string): void {
    const message =
      errorType === 'GPUOutOfMemoryError'
        ? `The GPU ran out of memory (${detail}). Use a smaller batch, fewer samples or a ` +
          'narrower model, then try again.'
        : `A GPU operation failed (${errorType}: ${detail}). If it happens again, reload the ` +
          'page; if it still does, please report it with the notebook (Share → settings only).';
    const now = performance.now();
    if ((this.lastSent.get(message) ?? -Infinity) > now - REPEAT_QUIET_MS) return;
    this.lastSent.set(message, now);
    if (this.lastSent.size > 50) this.lastSent.delete(this.lastSent.keys().next().value!);
    this.emit({ kind: 'gpu-error', message });
  }

  /**
   * A GPU call found the device gone (a compile or readback failed with GpuDeviceLostError),
   * possibly before device.lost resolved: start the recovery now (once per device).
   */
  noticeLoss(scope: DeviceScope, error: GpuDeviceLostError): void {
    this.onLost(scope, { reason: error.reason, message: error.message });
  }

  private onLost(scope: DeviceScope, info: { reason: GPUDeviceLostReason; message: string }): void {
    // Only the newest device matters (a lab disposed after a recovery reports nothing), once.
    if (scope.generation !== this.generation || this.handledLoss === scope.generation) return;
    this.handledLoss = scope.generation;
    void this.recover(scope, info);
  }

  /**
   * Runs `work` on the current device; if the device is lost under it (GpuDeviceLostError, e.g.
   * while compiling a new model's kernels), waits for the recovery and runs it once more on the
   * new device. A second loss, or a recovery that gave up, rejects.
   */
  async onLiveDevice<T>(work: (scope: DeviceScope) => Promise<T>): Promise<T> {
    const scope = await this.ready();
    try {
      return await work(scope);
    } catch (error) {
      if (!(error instanceof GpuDeviceLostError)) throw error;
      this.noticeLoss(scope, error);
      return work(await this.ready());
    }
  }

  /** Records a loss; true when there were too many lately to try again. */
  private tooManyLosses(): boolean {
    const now = performance.now();
    this.lossTimes.push(now);
    while (this.lossTimes[0]! < now - LOSS_WINDOW_MS) this.lossTimes.shift();
    return this.lossTimes.length > MAX_LOSSES_IN_WINDOW;
  }

  private async recover(
    old: DeviceScope,
    info: { reason: GPUDeviceLostReason; message: string },
  ): Promise<void> {
    this.current = undefined;
    const detail = `${info.reason}${info.message ? `: ${info.message}` : ''}`;
    if (this.tooManyLosses()) {
      this.giveUp(old, detail);
      return;
    }
    this.emit({
      kind: 'device-lost',
      message: `The GPU device was lost (${detail}). Rebuilding every model from its last checkpoint on a new device…`,
    });
    for (const run of this.runs.values()) run.onDeviceLost();
    let resolve!: (scope: DeviceScope) => void;
    let reject!: (error: unknown) => void;
    this.scope = new Promise((res, rej) => ((resolve = res), (reject = rej)));
    this.scope.catch(() => undefined);
    try {
      const scope = await this.openWithRetries();
      for (const record of this.datasets.values()) {
        record.dataset = scope.lab.dataset(record.spec);
      }
      for (const record of this.imageSets.values()) {
        record.dataset = scope.lab.dataset(record.spec);
        record.generation = scope.generation;
      }
      for (const record of this.models.values()) {
        record.model = await createWorkerModel(scope.lab, record.spec);
        if (record.checkpoint) restoreCheckpoint(record.model, record.checkpoint);
        record.version++;
      }
      for (const record of this.pairs.values()) {
        record.pairs = await pairsFromSnapshot(scope.lab, record.snapshot, record.options);
      }
      for (const view of this.views.values()) view.onDeviceChanged(scope);
      this.current = scope;
      resolve(scope);
      let stepsLost = 0;
      for (const run of this.runs.values()) stepsLost += run.onRecovered(detail);
      const models = [...this.models.values()].length;
      this.emit({
        kind: 'device-recovered',
        message:
          `Recovered from a lost GPU device (${detail}): ${models} model(s) rebuilt from their ` +
          `checkpoints, ${stepsLost} training step(s) redone; training resumed.`,
        models,
        stepsLost,
      });
    } catch (error) {
      this.scope = undefined;
      reject(error);
      this.emit({
        kind: 'gpu-stopped',
        message:
          `The GPU device was lost (${detail}) and no new device could be acquired: ` +
          `${(error as Error).message} Restart the worker or reload the page.`,
      });
      for (const run of this.runs.values()) {
        run.onRecoveryFailed(
          `The GPU device was lost and could not be replaced: ${(error as Error).message}`,
        );
      }
    } finally {
      disposeScope(old);
    }
  }

  /** Too many losses in a short time: stop, say so, and fail every run that was training. */
  private giveUp(old: DeviceScope, detail: string): void {
    const seconds = Math.round((this.lossTimes.at(-1)! - this.lossTimes[0]!) / 1000);
    const message =
      `The GPU device was lost ${this.lossTimes.length} times in ${seconds} s (last: ${detail}), ` +
      'so Flowfield stopped recovering instead of looping. Your notebook and settings are kept. ' +
      'Reload the page to try again; if it keeps happening, use a smaller batch or width, close ' +
      'other GPU-heavy tabs, or try another browser.';
    const stopped = Promise.reject(new Error(message));
    stopped.catch(() => undefined);
    this.scope = stopped;
    for (const run of this.runs.values()) run.onDeviceLost();
    this.emit({ kind: 'gpu-stopped', message });
    for (const run of this.runs.values()) run.onRecoveryFailed(message);
    disposeScope(old);
  }

  private async openWithRetries(): Promise<DeviceScope> {
    let lastError: unknown;
    for (let attempt = 0; attempt < RECOVERY_ATTEMPTS; attempt++) {
      try {
        return await this.open();
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 250 * (attempt + 1)));
      }
    }
    throw lastError;
  }
}

/** Releases a lost device's scope (its owner, once nothing uses it: views were rebound). */
function disposeScope(scope: DeviceScope): void {
  try {
    scope.renderPipelines.dispose();
    scope.timer?.dispose();
    scope.lab.dispose();
  } catch {
    // The old device is gone; releasing its objects can only fail harmlessly.
  }
}

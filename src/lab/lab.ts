/**
 * The public entry of Flowfield's library: `const lab = await openLab()`. A lab owns (or borrows)
 * a GpuRuntime and everything created through it; lab.dispose() releases all of it. Datasets
 * live here today; models and training join as their issues land.
 */
import { GpuRuntime, type GpuOptions } from '../gpu';
import { BUILTIN_NAMES, type BuiltinName } from '../data/builtins';
import { Dataset } from '../data/dataset';
import type { DatasetSpec } from '../data/spec';

export interface LabOptions extends GpuOptions {
  /** Use this runtime instead of opening one; the lab then does not destroy it on dispose(). */
  runtime?: GpuRuntime;
}

/** Something the lab created and releases on dispose(). */
interface Owned {
  readonly isDisposed: boolean;
  dispose(): void;
}

export class Lab {
  private readonly owned = new Set<Owned>();
  private disposed = false;

  private constructor(
    readonly runtime: GpuRuntime,
    private readonly ownsRuntime: boolean,
  ) {}

  static async open(options: LabOptions = {}): Promise<Lab> {
    const { runtime, ...gpuOptions } = options;
    if (runtime) return new Lab(runtime, false);
    return new Lab(await GpuRuntime.open(gpuOptions), true);
  }

  /** The built-in dataset names, in their documented order. */
  datasetNames(): BuiltinName[] {
    return [...BUILTIN_NAMES];
  }

  /**
   * A dataset from a spec: { name, params?, seed? }, { points, jitter? } or { grid }. Throws
   * DatasetSpecError naming the bad field. The dataset lives until its dispose() or the lab's.
   */
  dataset(spec: DatasetSpec): Dataset {
    this.ensureOpen();
    const dataset = new Dataset(this.runtime, spec);
    return this.track(dataset);
  }

  /** Releases everything the lab created, and the runtime if the lab opened it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const item of this.owned) item.dispose();
    this.owned.clear();
    if (this.ownsRuntime) this.runtime.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private track<T extends Owned>(item: T): T {
    for (const old of this.owned) if (old.isDisposed) this.owned.delete(old);
    this.owned.add(item);
    return item;
  }

  private ensureOpen(): void {
    if (this.disposed) throw new Error('This lab was disposed; open a new one with openLab().');
  }
}

/** Opens a lab: acquires WebGPU (page or worker) unless options.runtime is given. */
export function openLab(options: LabOptions = {}): Promise<Lab> {
  return Lab.open(options);
}

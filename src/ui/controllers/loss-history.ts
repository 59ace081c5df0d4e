/**
 * A run's loss history in bounded memory. Up to MAX_BUCKETS steps every loss is kept exactly;
 * past that, neighbouring buckets are merged pairwise (bucket size 2, 4, 8, …), each keeping the
 * min, max, mean and count of its finite losses, so a run of 10⁶ or 10⁸ steps costs the same
 * memory as one of 65 536 and appending stays O(1) amortised. The last TAIL steps are also kept
 * exactly, so that a run returning to a checkpoint (NaN rollback, device-loss recovery) can
 * replace the steps it redoes even after downsampling began.
 *
 * Mutable, for speed: appending updates this object and grows `revision` (views re-render on
 * it). The shared EMPTY_LOSSES is never mutated: appending to it returns a new history.
 */

/** Buckets kept; past this many steps, buckets hold more than one step each. */
export const MAX_BUCKETS = 65_536;
/** Steps kept exactly at the end of the history, whatever its length. */
const TAIL = 4_096;

export interface LossBuckets {
  /** Steps per bucket (the last bucket may hold fewer). */
  size: number;
  count: number;
  min: Float32Array;
  max: Float32Array;
  mean: Float32Array;
}

export class LossHistory {
  private size = 1;
  private buckets = 0;
  private steps = 0;
  // Grown by doubling up to MAX_BUCKETS: a short run costs kilobytes, not megabytes.
  private min = new Float32Array(0);
  private max = new Float32Array(0);
  private sum = new Float64Array(0);
  /** Finite losses in each bucket. */
  private finite = new Uint32Array(0);
  private meanCache = new Float32Array(0);
  private readonly tail = new Float32Array(TAIL);
  private lastLoss: number | undefined;
  /** Grows on every change. */
  revision = 0;

  /** Steps recorded. */
  get length(): number {
    return this.steps;
  }

  /** The latest step's loss. */
  get last(): number | undefined {
    return this.lastLoss;
  }

  /** True while every loss is kept exactly (at most MAX_BUCKETS steps so far). */
  get isExact(): boolean {
    return this.size === 1;
  }

  /**
   * Records the losses of steps [first, first + values.length): steps from `first` on that were
   * recorded already are replaced (a run redoing steps from a checkpoint). Returns the history
   * holding them: this one, or a new one when this is the shared EMPTY_LOSSES.
   */
  record(first: number, values: ArrayLike<number>): LossHistory {
    if (this === EMPTY_LOSSES) return new LossHistory().record(first, values);
    if (first < this.steps) this.truncate(first);
    // A gap (a rollback past the exact tail): the missing steps are drawn as gaps, not invented.
    while (this.steps < first) this.push(Number.NaN);
    for (let i = 0; i < values.length; i++) this.push(values[i]!);
    this.revision++;
    return this;
  }

  /** Every loss, when the history is still exact; throws once it has been downsampled. */
  exact(): number[] {
    if (!this.isExact) {
      throw new Error(
        `The loss history of ${this.steps} steps is downsampled (buckets of ${this.size} steps); read buckets() instead.`,
      );
    }
    return Array.from(this.mean.subarray(0, this.buckets));
  }

  /** The buckets (views into this history: copy them to keep them past the next append). */
  bucketsView(): LossBuckets {
    const n = this.buckets;
    return {
      size: this.size,
      count: n,
      min: this.min.subarray(0, n),
      max: this.max.subarray(0, n),
      mean: this.mean.subarray(0, n),
    };
  }

  /** Per-bucket means, recomputed lazily from the sums. */
  private get mean(): Float32Array {
    const out = this.meanCache;
    if (this.meanRevision !== this.revision) {
      for (let b = 0; b < this.buckets; b++) {
        out[b] = this.finite[b]! ? this.sum[b]! / this.finite[b]! : Number.NaN;
      }
      this.meanRevision = this.revision;
    }
    return out;
  }
  private meanRevision = -1;

  private grow(): void {
    const capacity = Math.min(MAX_BUCKETS, Math.max(1024, 2 * this.min.length));
    const grown = <T extends Float32Array | Float64Array | Uint32Array>(
      a: T,
      make: (n: number) => T,
    ) => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.min = grown(this.min, (n) => new Float32Array(n));
    this.max = grown(this.max, (n) => new Float32Array(n));
    this.sum = grown(this.sum, (n) => new Float64Array(n));
    this.finite = grown(this.finite, (n) => new Uint32Array(n));
    this.meanCache = new Float32Array(capacity);
    this.meanRevision = -1;
  }

  private push(loss: number): void {
    this.tail[this.steps % TAIL] = loss;
    let b = Math.floor(this.steps / this.size);
    if (b >= MAX_BUCKETS) {
      this.mergePairs();
      b = Math.floor(this.steps / this.size);
    }
    if (b >= this.buckets) {
      if (b >= this.min.length) this.grow();
      this.buckets = b + 1;
      this.min[b] = Number.POSITIVE_INFINITY;
      this.max[b] = Number.NEGATIVE_INFINITY;
      this.sum[b] = 0;
      this.finite[b] = 0;
    }
    if (Number.isFinite(loss)) {
      if (loss < this.min[b]!) this.min[b] = loss;
      if (loss > this.max[b]!) this.max[b] = loss;
      this.sum[b] = this.sum[b]! + loss;
      this.finite[b] = this.finite[b]! + 1;
    }
    this.steps++;
    this.lastLoss = Math.fround(loss);
  }

  /** Doubles the bucket size: bucket i becomes buckets 2i and 2i + 1 together. */
  private mergePairs(): void {
    const half = Math.ceil(this.buckets / 2);
    for (let i = 0; i < half; i++) {
      const a = 2 * i;
      const b = a + 1 < this.buckets ? a + 1 : a;
      this.min[i] = Math.min(this.min[a]!, this.min[b]!);
      this.max[i] = Math.max(this.max[a]!, this.max[b]!);
      this.sum[i] = this.sum[a]! + (b !== a ? this.sum[b]! : 0);
      this.finite[i] = this.finite[a]! + (b !== a ? this.finite[b]! : 0);
    }
    this.buckets = half;
    this.size *= 2;
  }

  /** Forgets the steps from `step` on (rebuilding the bucket it falls in from the exact tail). */
  private truncate(step: number): void {
    const start = Math.floor(step / this.size) * this.size;
    const fromTail = Math.max(start, this.steps - TAIL);
    const kept: number[] = [];
    for (let s = fromTail; s < step; s++) kept.push(this.tail[s % TAIL]!);
    this.buckets = Math.floor(start / this.size);
    this.steps = start;
    // Steps of the bucket older than the tail (a rollback of over TAIL steps) become gaps.
    for (let s = start; s < fromTail; s++) this.push(Number.NaN);
    for (const loss of kept) this.push(loss);
    this.lastLoss = this.steps ? this.tail[(this.steps - 1) % TAIL] : undefined;
  }
}

/** The history of a run that has not trained: shared, never mutated. */
export const EMPTY_LOSSES: LossHistory = new LossHistory();

/** A history holding `values` from step 0 (tests, imports). */
export function lossHistoryOf(values: ArrayLike<number>): LossHistory {
  return EMPTY_LOSSES.record(0, values);
}

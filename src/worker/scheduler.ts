/**
 * Fair turns on the GPU for several training runs in one worker: one chunk in flight at a time
 * (so a render waits for at most one chunk, ~20 ms), and the next turn goes to the waiting run
 * that has used the least GPU wall time. A run that joins late starts level with the others
 * instead of owning the GPU until it has caught up.
 */
export type ReleaseTurn = () => void;

interface Waiter {
  key: string;
  grant: (release: ReleaseTurn) => void;
}

export class FairScheduler {
  private holder: string | undefined;
  private heldSince = 0;
  private readonly waiting: Waiter[] = [];
  private readonly usedMs = new Map<string, number>();

  /** Resolves with the function that ends the turn once `key` may submit its chunk. */
  turn(key: string): Promise<ReleaseTurn> {
    const level = this.lowestActive();
    this.usedMs.set(key, Math.max(this.usedMs.get(key) ?? 0, level));
    return new Promise((grant) => {
      this.waiting.push({ key, grant });
      if (this.holder === undefined) this.next();
    });
  }

  /** GPU wall time each run has held, ms (for tests and the UI). */
  usage(): ReadonlyMap<string, number> {
    return this.usedMs;
  }

  /** A run that ended leaves the accounting. */
  forget(key: string): void {
    if (this.holder !== key && !this.waiting.some((w) => w.key === key)) this.usedMs.delete(key);
  }

  private lowestActive(): number {
    const active = [this.holder, ...this.waiting.map((w) => w.key)].filter(
      (k): k is string => k !== undefined,
    );
    if (active.length === 0) return 0;
    return Math.min(...active.map((k) => this.usedMs.get(k) ?? 0));
  }

  private next(): void {
    if (this.waiting.length === 0) {
      this.holder = undefined;
      return;
    }
    // Least used first; ties in arrival order.
    let best = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      const used = this.usedMs.get(this.waiting[i]!.key) ?? 0;
      if (used < (this.usedMs.get(this.waiting[best]!.key) ?? 0)) best = i;
    }
    const [waiter] = this.waiting.splice(best, 1);
    const key = waiter!.key;
    this.holder = key;
    this.heldSince = performance.now();
    let released = false;
    waiter!.grant(() => {
      if (released) return;
      released = true;
      this.usedMs.set(key, (this.usedMs.get(key) ?? 0) + performance.now() - this.heldSince);
      this.next();
    });
  }
}

/**
 * Pacing of a speed-capped run (RunOptions.maxStepsPerSecond): chunks of about PACE_TICK_MS
 * worth of steps at the cap, each started once the steps before it have had their time. The
 * cap lives here, with the run, so the page only shows it: a paced run is one worker run, not a
 * string of page-driven step(n) calls.
 */
export const PACE_TICK_MS = 100;

/** Steps of one paced chunk at `stepsPerSecond`: PACE_TICK_MS worth, at least one. */
export function pacedChunkSteps(stepsPerSecond: number): number {
  return Math.max(1, Math.round((stepsPerSecond * PACE_TICK_MS) / 1000));
}

/**
 * The pace of one capped run: each chunk of k steps is due k / stepsPerSecond seconds after the
 * one before it. A chunk that starts late (a slow GPU, a compile, a busy worker) moves the
 * schedule with it, keeping at most PACE_TICK_MS of lag to catch up, so a capped run never
 * bursts to make up for lost time, and a pause, a batch change or a device recovery (new
 * training segments of the same run) keep the schedule. Only a cap change starts it afresh.
 */
export class Pacer {
  /** When the next chunk may start (performance.now() ms); undefined: at once. */
  private nextDueMs: number | undefined;

  /** How long to wait before the next chunk, ms (0: start it now). */
  delayMs(nowMs: number): number {
    return this.nextDueMs === undefined ? 0 : Math.max(0, this.nextDueMs - nowMs);
  }

  /** A chunk starts at `nowMs`: the number of steps it may take at `stepsPerSecond`. */
  admit(nowMs: number, stepsPerSecond: number): number {
    const steps = pacedChunkSteps(stepsPerSecond);
    const slot = Math.max(this.nextDueMs ?? nowMs, nowMs - PACE_TICK_MS);
    this.nextDueMs = slot + (steps * 1000) / stepsPerSecond;
    return steps;
  }

  /** Forgets the schedule (a new cap): the next chunk starts at once. */
  restart(): void {
    this.nextDueMs = undefined;
  }
}

/** A speed cap as RunOptions and setSpeedCap take it: a positive number, or null for none. */
export function checkSpeedCap(stepsPerSecond: number | null | undefined): number | null {
  if (stepsPerSecond === null || stepsPerSecond === undefined) return null;
  if (!(typeof stepsPerSecond === 'number' && stepsPerSecond > 0 && stepsPerSecond < Infinity)) {
    throw new RangeError(
      `The speed cap must be a positive number of steps per second (or null for full speed), got ${String(stepsPerSecond)}.`,
    );
  }
  return stepsPerSecond;
}

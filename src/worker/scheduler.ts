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

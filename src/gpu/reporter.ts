/**
 * One place where asynchronous GPU trouble is reported: device loss and uncaptured errors.
 * The UI and the worker subscribe; the device code publishes.
 */
export type GpuEvent =
  | { kind: 'device-lost'; reason: GPUDeviceLostReason; message: string }
  | { kind: 'uncaptured-error'; errorType: string; message: string };

export type GpuEventListener = (event: GpuEvent) => void;

export class GpuErrorReporter {
  private readonly listeners = new Set<GpuEventListener>();
  private readonly history: GpuEvent[] = [];

  /** Subscribes and returns the function that unsubscribes. */
  subscribe(listener: GpuEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  report(event: GpuEvent): void {
    this.history.push(event);
    if (this.listeners.size === 0) console.error(`[flowfield gpu] ${event.kind}: ${event.message}`);
    for (const listener of this.listeners) listener(event);
  }

  /** Everything reported so far, oldest first (for late subscribers and tests). */
  events(): readonly GpuEvent[] {
    return this.history;
  }
}

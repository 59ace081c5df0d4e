/**
 * One place where asynchronous GPU trouble is reported: device loss and uncaptured errors.
 * The UI and the worker subscribe; the device code publishes.
 */
export type GpuEvent =
  | { kind: 'device-lost'; reason: GPUDeviceLostReason; message: string }
  | { kind: 'uncaptured-error'; errorType: string; message: string };

export type GpuEventListener = (event: GpuEvent) => void;

/**
 * Events kept for late subscribers and tests: a broken kernel in a render loop raises an error
 * per frame, so the history keeps only the newest.
 */
export const GPU_EVENT_HISTORY = 100;

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
    if (this.history.length > GPU_EVENT_HISTORY) this.history.shift();
    // A lost device is rare and decisive: always in the console, whoever else is told.
    if (this.listeners.size === 0 || event.kind === 'device-lost') {
      console.error(`[flowfield gpu] ${event.kind}: ${event.message}`);
    }
    for (const listener of this.listeners) listener(event);
  }

  /** The newest GPU_EVENT_HISTORY events reported, oldest first (for late subscribers and tests). */
  events(): readonly GpuEvent[] {
    return this.history;
  }
}

/**
 * Which tab writes which autosave record. Two tabs that restored the same notebook would
 * overwrite each other's edits on every save; instead, the first tab holds a Web Lock named after
 * the record for as long as it shows that notebook, and a second tab that cannot get the lock
 * saves its own copy (a new record) and tells the first over a BroadcastChannel, so both can
 * say so. Browsers without Web Locks (old Safari) fall back to sharing the record, as before.
 */

const LOCK_PREFIX = 'flowfield-notebook:';
const CHANNEL = 'flowfield-tabs';

interface CopiedMessage {
  type: 'copied';
  id: string;
}

export class TabClaims {
  private held: { id: string; release: () => void } | undefined;
  private readonly channel: BroadcastChannel | undefined;

  /** Called when another tab opened the notebook this tab holds and made its own copy. */
  onCopiedElsewhere: (() => void) | undefined;

  constructor(private readonly scope = '') {
    this.channel =
      typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL + scope) : undefined;
    this.channel?.addEventListener('message', (event: MessageEvent<unknown>) => {
      const data = event.data as Partial<CopiedMessage> | null;
      if (data?.type === 'copied' && data.id === this.held?.id) this.onCopiedElsewhere?.();
    });
  }

  /** The record this tab holds, if any. */
  get id(): string | undefined {
    return this.held?.id;
  }

  /**
   * Holds record `id` for this tab (letting go of the one held before); false when another tab
   * holds it. Holding the same id again is a no-op.
   */
  async claim(id: string): Promise<boolean> {
    if (this.held?.id === id) return true;
    this.release();
    const locks = (navigator as Partial<Navigator>).locks;
    if (!locks) {
      this.held = { id, release: () => undefined };
      return true;
    }
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const granted = await new Promise<boolean>((answer) => {
      void locks
        .request(LOCK_PREFIX + this.scope + id, { ifAvailable: true }, (lock) => {
          answer(lock !== null);
          // The lock is held until this promise settles: until release().
          return lock ? released : undefined;
        })
        .catch(() => answer(true));
    });
    if (granted) this.held = { id, release };
    return granted;
  }

  /** Tells the tab holding `id` that this tab made its own copy of that notebook. */
  announceCopy(id: string): void {
    const message: CopiedMessage = { type: 'copied', id };
    this.channel?.postMessage(message);
  }

  release(): void {
    this.held?.release();
    this.held = undefined;
  }

  dispose(): void {
    this.release();
    this.channel?.close();
  }
}

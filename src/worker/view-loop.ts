/**
 * Live views redraw on display frames (requestAnimationFrame, which workers have in Chromium;
 * a 16 ms timer elsewhere) while at least one is live and visible, and stop otherwise: an
 * off-screen canvas or a hidden tab costs nothing. A frame only draws what changed.
 */
import type { ViewController } from './views';

const FALLBACK_FRAME_MS = 16;

export class ViewLoop {
  private scheduled = false;

  constructor(private readonly views: () => Iterable<ViewController>) {}

  /** Call after a view's live options changed. */
  wake(): void {
    if (!this.scheduled && this.active().length > 0) this.schedule();
  }

  private active(): ViewController[] {
    return [...this.views()].filter((v) => v.live.live && v.live.visible);
  }

  private schedule(): void {
    this.scheduled = true;
    const frame = () => void this.frame();
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(frame);
    else setTimeout(frame, FALLBACK_FRAME_MS);
  }

  private async frame(): Promise<void> {
    for (const view of this.active()) {
      // One broken view must not stop the others; its error shows on its next render().
      await view.liveFrame().catch(() => undefined);
    }
    this.scheduled = false;
    this.wake();
  }
}

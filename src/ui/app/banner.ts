/**
 * What the app tells the user about its notebook: the one banner (an error or a notice, with
 * what to do) and the "Opening…" indicator. A leaf module, so the app's helpers (session,
 * autosave, guarded actions) name these types without importing the app.
 */

export interface Banner {
  kind: 'error' | 'info';
  title: string;
  text: string;
  /** Buttons besides Dismiss (e.g. the boot guard's "Open anyway" / "Start fresh"). */
  actions?: { label: string; run: () => void }[];
  /** Called when the banner is dismissed. */
  onDismiss?: () => void;
  /** Called when the banner leaves, dismissed or replaced by another (an Undo offer ends). */
  onGone?: () => void;
  /** A question: its first action takes the keyboard focus when it shows. */
  question?: boolean;
}

/** What the "Opening…" indicator says while a notebook opens. */
export interface Opening {
  /** What is opened, e.g. 'the gallery notebook “moons”'. */
  what: string;
  /** The step it is at, e.g. 'Loading its trained weights…'. */
  step: string;
}

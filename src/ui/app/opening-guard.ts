/**
 * The boot guard: a notebook that froze or crashed the page while it opened must not open again
 * by itself on the next start (autosave restores the last notebook, and a link stays in the
 * address bar). Before an opening the app notes what it opens in localStorage (synchronous, so
 * the note is there even if the page never gets another turn); once the notebook is shown and its
 * deferred rendering done, the note is removed. A note found at start-up means the last opening
 * did not finish: the app then asks ("Open anyway" / "Start fresh") instead of opening it.
 */
export interface PendingOpening {
  /** 'link:<fingerprint>' for a share link, 'autosave' for the restored notebook, … */
  source: string;
  /** What the user is told it was. */
  label: string;
  startedAt: number;
}

/** A short fingerprint of a link's fragment (FNV-1a of its text, and its length). */
export function linkFingerprint(fragment: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < fragment.length; i++) {
    h ^= fragment.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `link:${fragment.length}:${(h >>> 0).toString(16)}`;
}

export class OpeningGuard {
  /** `scope` names the autosave database, so tests with their own databases stay apart. */
  constructor(private readonly scope: string) {}

  private get key(): string {
    return `flowfield-opening:${this.scope}`;
  }

  /** The opening that did not finish, if any (unreadable notes count as none). */
  pending(): PendingOpening | undefined {
    try {
      const text = localStorage.getItem(this.key);
      if (!text) return undefined;
      const value = JSON.parse(text) as Partial<PendingOpening> | null;
      if (typeof value?.source !== 'string' || typeof value.label !== 'string') return undefined;
      return { source: value.source, label: value.label, startedAt: Number(value.startedAt) };
    } catch {
      return undefined;
    }
  }

  begin(source: string, label: string): void {
    try {
      localStorage.setItem(this.key, JSON.stringify({ source, label, startedAt: Date.now() }));
    } catch {
      // No localStorage (private mode, quota): the guard is off, opening still works.
    }
  }

  finish(): void {
    try {
      localStorage.removeItem(this.key);
    } catch {
      // As above.
    }
  }
}

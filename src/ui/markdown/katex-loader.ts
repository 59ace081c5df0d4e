/**
 * KaTeX on demand. It is the largest piece of the page (≈ 270 kB of the app's script) and most
 * notebooks open with no formula in view, so it is fetched the first time a note with math
 * renders, not at start-up. Until it is here a formula shows as its TeX source; the note renders
 * again once it has arrived (see FfMarkdown). If the fetch fails (offline, a stale deployment)
 * the TeX source stays: nothing else depends on it.
 */
import type katexModule from 'katex';

type Katex = typeof katexModule;

let katex: Katex | undefined;
let loading: Promise<Katex | undefined> | undefined;

/** KaTeX if it has been loaded already, else undefined (call loadKatex to fetch it). */
export function loadedKatex(): Katex | undefined {
  return katex;
}

/** Fetches KaTeX once; resolves to undefined when it cannot be loaded. */
export function loadKatex(): Promise<Katex | undefined> {
  loading ??= import('katex').then(
    (module) => (katex = module.default),
    (error: unknown) => {
      console.warn('KaTeX could not be loaded; formulas stay as TeX source.', error);
      return undefined;
    },
  );
  return loading;
}

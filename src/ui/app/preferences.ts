/**
 * Choices a user makes once and expects the page to remember across visits (today: the theme).
 * They live in localStorage under one key per choice; a page without storage (private mode,
 * blocked cookies) simply forgets them. Values read back are checked, since anything may sit in
 * storage (an older version, another app on the same origin, a user's devtools edit).
 */
export type Theme = 'auto' | 'light' | 'dark';

const THEMES: readonly Theme[] = ['auto', 'light', 'dark'];
const THEME_KEY = 'flowfield-theme';

export function isTheme(value: unknown): value is Theme {
  return typeof value === 'string' && (THEMES as readonly string[]).includes(value);
}

/** The theme chosen on an earlier visit, or 'auto' (follow the system) if none or unreadable. */
export function rememberedTheme(): Theme {
  try {
    const value = localStorage.getItem(THEME_KEY);
    return isTheme(value) ? value : 'auto';
  } catch {
    return 'auto';
  }
}

export function rememberTheme(theme: Theme): void {
  try {
    if (theme === 'auto') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, theme);
  } catch {
    // No storage: the choice holds for this visit only.
  }
}

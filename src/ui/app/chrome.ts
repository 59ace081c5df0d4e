/**
 * `hide` and `readonly` for embedded notebooks. The cells are other components' shadow trees, so
 * after each render this walks into them and hides what was named, and in readonly mode disables
 * every editing control (the app also ignores every edit event, so nothing can change the
 * notebook even if a control slipped through).
 *
 * Names: cell kinds (`note`, `data`, `model`, `train`, `view`, `compare`) hide those cells;
 * `add` (add-cell buttons), `run-all`, `cell-tools` (move/duplicate/remove/collapse buttons),
 * `header`, `share`, `files`, `gallery`, `recent` hide those controls.
 */
import type { CELL_KINDS } from '../../notebook';

/** Controls kept in readonly mode: training and viewing change no notebook state. */
const READONLY_KEEP = new Set(['ff-train-cell', 'ff-view-cell', 'ff-compare-cell']);
const CELL_TOOL_LABEL = /^(Move|Duplicate|Remove|Collapse|Expand) /;

/** The names `hide` understands (the embed's documented list); `hides` checks its literals. */
type HideableControl =
  | (typeof CELL_KINDS)[number]
  | 'add'
  | 'run-all'
  | 'cell-tools'
  | 'header'
  | 'share'
  | 'files'
  | 'gallery'
  | 'recent';

function setHidden(el: Element | null | undefined, hidden: boolean): void {
  if (el instanceof HTMLElement && el.hidden !== hidden) el.hidden = hidden;
}

/** What the chrome needs of the app: what to hide, whether it is readonly, and its shadow root. */
export interface ChromeHost {
  readonly hiddenControls: ReadonlySet<string>;
  readonly readonly: boolean;
  readonly renderRoot: HTMLElement | DocumentFragment;
}

export async function applyChrome(app: ChromeHost): Promise<void> {
  const hide = app.hiddenControls;
  const hides = (name: HideableControl) => hide.has(name);
  const readonly = app.readonly;
  if (!hide.size && !readonly) return;
  const view = app.renderRoot.querySelector('ff-notebook-view');
  if (!view) return;
  await (view as HTMLElement & { updateComplete: Promise<unknown> }).updateComplete;
  const root = view.shadowRoot;
  if (!root) return;
  setHidden(root.querySelector('.add'), readonly || hides('add'));
  for (const button of root.querySelectorAll('.top button')) {
    if (button.textContent?.trim() === 'Run all') setHidden(button, hides('run-all'));
  }
  for (const section of root.querySelectorAll<HTMLElement>('section[data-kind]')) {
    setHidden(section, hide.has(section.dataset['kind'] ?? ''));
    for (const button of section.querySelectorAll('button')) {
      const label = button.getAttribute('aria-label') ?? '';
      if (CELL_TOOL_LABEL.test(label)) {
        setHidden(button, hides('cell-tools') || (readonly && !label.startsWith('Collapse')));
      }
    }
    if (!readonly) continue;
    for (const cell of section.querySelectorAll('*')) {
      if (!cell.tagName.startsWith('FF-') || READONLY_KEEP.has(cell.localName)) continue;
      await (cell as HTMLElement & { updateComplete?: Promise<unknown> }).updateComplete;
      disableEditing(cell.shadowRoot);
    }
  }
}

/** Disables inputs, selects, textareas, buttons and drawing canvases, nested roots included. */
function disableEditing(root: ShadowRoot | null): void {
  if (!root) return;
  for (const el of root.querySelectorAll('input, select, textarea, button')) {
    const control = el as HTMLInputElement;
    if (!control.disabled) control.disabled = true;
  }
  for (const canvas of root.querySelectorAll('canvas')) {
    canvas.style.pointerEvents = 'none';
  }
  for (const el of root.querySelectorAll('*')) if (el.shadowRoot) disableEditing(el.shadowRoot);
}

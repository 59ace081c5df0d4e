import type { CellPatch } from '../../../src/notebook';

/** Collects the ff-cell-change patches `el` emits. */
export function patches(el: HTMLElement): CellPatch[] {
  const out: CellPatch[] = [];
  el.addEventListener('ff-cell-change', (e) => out.push(e.detail.patch));
  return out;
}

/** Sets a form control's value and fires the events a user's edit fires. */
export function setValue(
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  value: string,
): void {
  control.value = value;
  control.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  control.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
}

export function $(el: Element, selector: string): HTMLElement & HTMLInputElement {
  const found = el.shadowRoot!.querySelector(selector);
  if (!found) throw new Error(`no ${selector} in <${el.localName}>`);
  return found as HTMLElement & HTMLInputElement;
}

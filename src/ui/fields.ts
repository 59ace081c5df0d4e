/** Small template helpers for labelled form fields with their limits and messages. */
import { html, nothing } from 'lit';
import { rangeError, type Range } from '../notebook';

export interface NumberFieldOptions {
  /** Unique within the component's shadow root. */
  id: string;
  value: number;
  range: Range;
  tip?: string;
  /** Called with the parsed number (also when out of range: the message shows, nothing clamps). */
  onChange: (value: number) => void;
  step?: string;
}

export function numberField(options: NumberFieldOptions) {
  const { id, value, range, tip, onChange } = options;
  const error = rangeError(value, range);
  const describedBy = [error ? `${id}-error` : '', tip ? `${id}-tip` : '']
    .filter(Boolean)
    .join(' ');
  return html`<label for=${id}
    >${range.label}
    <input
      id=${id}
      name=${id}
      type="number"
      inputmode="decimal"
      min=${range.min}
      max=${range.max}
      step=${options.step ?? (range.integer ? '1' : 'any')}
      .value=${String(value)}
      aria-invalid=${error ? 'true' : 'false'}
      aria-describedby=${describedBy || nothing}
      title=${tip ?? nothing}
      @change=${(event: Event) => {
        const text = (event.target as HTMLInputElement).value.trim();
        onChange(text === '' ? Number.NaN : Number(text));
      }}
    />
    ${tip ? html`<span id="${id}-tip" hidden>${tip}</span>` : nothing}
    ${error ? html`<span id="${id}-error" class="error" role="alert">${error}</span>` : nothing}
  </label>`;
}

export function selectField<T extends string>(options: {
  id: string;
  label: string;
  value: T;
  choices: readonly T[];
  names?: Partial<Record<T, string>>;
  tip?: string;
  onChange: (value: T) => void;
}) {
  const { id, label, value, choices, names, tip, onChange } = options;
  return html`<label for=${id}
    >${label}
    <select
      id=${id}
      name=${id}
      title=${tip ?? nothing}
      @change=${(event: Event) => onChange((event.target as HTMLSelectElement).value as T)}
    >
      ${choices.map(
        (choice) =>
          html`<option value=${choice} ?selected=${choice === value}>
            ${names?.[choice] ?? choice}
          </option>`,
      )}
    </select>
  </label>`;
}

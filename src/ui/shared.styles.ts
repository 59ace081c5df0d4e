/** Styles every cell shares: colours come from the page's theme variables (public/styles.css). */
import { css } from 'lit';

export const cellStyles = css`
  :host {
    display: block;
    color: var(--ff-fg, #1d1d1f);
    font:
      15px/1.5 system-ui,
      sans-serif;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 1rem;
    align-items: flex-end;
  }
  label {
    display: flex;
    flex-direction: column;
    font-size: 0.85em;
    gap: 0.15rem;
  }
  label.inline {
    flex-direction: row;
    align-items: center;
    gap: 0.4rem;
  }
  input,
  select,
  textarea,
  button {
    font: inherit;
    color: inherit;
    background: var(--ff-input-bg, #fff);
    border: 1px solid var(--ff-border, #8a8a8e);
    border-radius: 6px;
    padding: 0.25rem 0.45rem;
  }
  input[type='number'] {
    width: 7em;
  }
  input[type='checkbox'],
  input[type='radio'] {
    accent-color: var(--ff-accent, #0057a3);
  }
  button {
    cursor: pointer;
    background: var(--ff-button-bg, #eef1f6);
  }
  button.primary {
    background: var(--ff-accent, #0057a3);
    color: var(--ff-on-accent, #fff);
    border-color: var(--ff-accent, #0057a3);
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.55;
  }
  :is(input, select, textarea, button, summary, canvas, a):focus-visible {
    outline: 3px solid var(--ff-focus, #e69f00);
    outline-offset: 2px;
  }
  [aria-invalid='true'] {
    border-color: var(--ff-error, #b3261e);
  }
  .error {
    color: var(--ff-error, #b3261e);
    font-size: 0.85em;
    white-space: pre-wrap;
    margin: 0.2rem 0 0;
  }
  .hint {
    color: var(--ff-muted, #5b5b60);
    font-size: 0.85em;
  }
  details.learn {
    margin-top: 0.6rem;
    border-left: 3px solid var(--ff-accent, #0057a3);
    padding-left: 0.7rem;
  }
  /* The .display-math wrapper (focusable) scrolls a wide formula, not the formula itself. */
  .math.display {
    display: block;
  }
  /* Phones and touch screens: every control is a comfortable touch target (about 44 px). */
  @media (max-width: 600px), (pointer: coarse) {
    input:not([type='checkbox'], [type='radio'], [type='range']),
    select,
    button {
      min-height: 44px;
    }
    button {
      min-width: 44px;
    }
    input[type='checkbox'],
    input[type='radio'] {
      width: 1.3rem;
      height: 1.3rem;
    }
    input[type='range'] {
      min-height: 32px;
    }
  }
`;

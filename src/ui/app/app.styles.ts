import { css } from 'lit';

export const appStyles = css`
  :host {
    display: block;
  }
  header.bar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem 1rem;
    margin-bottom: 1rem;
  }
  h1 {
    font-size: 1.4rem;
    margin: 0;
    flex: 1;
  }
  .tagline {
    color: var(--ff-muted, #5b5b60);
    font-size: 0.9em;
    margin: 0.1rem 0 0;
  }
  ff-gpu-status {
    font-size: 0.85em;
  }
  .missing {
    border: 2px solid var(--ff-error, #b3261e);
    border-radius: 10px;
    padding: 1rem 1.2rem;
  }
  dialog {
    max-width: 32rem;
    color: inherit;
    background: var(--ff-cell-bg, #fff);
    border: 1px solid var(--ff-border, #8a8a8e);
    border-radius: 10px;
  }
  kbd {
    font-family: ui-monospace, monospace;
    border: 1px solid var(--ff-border, #8a8a8e);
    border-radius: 4px;
    padding: 0 0.3em;
  }
`;

import { css } from 'lit';

export const shareDialogStyles = css`
  dialog {
    max-width: 36rem;
    color: inherit;
    background: var(--ff-cell-bg, #fff);
    border: 1px solid var(--ff-border, #8a8a8e);
    border-radius: 10px;
  }
  fieldset {
    border: none;
    padding: 0;
    margin: 0 0 0.8rem;
  }
  .choice {
    display: flex;
    gap: 0.5rem;
    align-items: flex-start;
    margin: 0.4rem 0;
  }
  .choice > span {
    display: flex;
    flex-direction: column;
  }
  .length {
    font-variant-numeric: tabular-nums;
  }
  .note,
  .privacy {
    color: var(--ff-muted, #5b5b60);
    font-size: 0.9em;
  }
  textarea {
    width: 100%;
    box-sizing: border-box;
    font-family: ui-monospace, monospace;
    font-size: 0.8em;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
  }
  .over {
    flex-basis: 100%;
    margin: 0;
  }
`;

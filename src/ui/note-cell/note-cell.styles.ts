import { css } from 'lit';

export const noteCellStyles = css`
  textarea {
    width: 100%;
    box-sizing: border-box;
    min-height: 10rem;
    font-family: ui-monospace, monospace;
    font-size: 0.9em;
  }
  .tools {
    display: flex;
    justify-content: flex-end;
  }
`;

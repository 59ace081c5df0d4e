import { css } from 'lit';

export const modelCellStyles = css`
  h3 {
    font-size: 0.95em;
    margin: 0.8rem 0 0.3rem;
  }
  .note {
    margin: 0.4rem 0 0;
  }
`;

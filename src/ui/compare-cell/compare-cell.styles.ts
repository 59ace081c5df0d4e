import { css } from 'lit';

export const compareCellStyles = css`
  fieldset {
    border: none;
    padding: 0;
    margin: 0 0 0.6rem;
    display: flex;
    flex-wrap: wrap;
    gap: 0.3rem 1rem;
  }
  legend {
    font-size: 0.85em;
    margin-bottom: 0.2rem;
  }
  .table-wrap {
    overflow-x: auto;
    max-width: 100%;
    margin: 0.6rem 0;
  }
  table {
    border-collapse: collapse;
    font-size: 0.85em;
    font-variant-numeric: tabular-nums;
  }
  caption {
    text-align: left;
    font-weight: 600;
    padding-bottom: 0.3rem;
  }
  th,
  td {
    padding: 0.25rem 0.6rem;
    border-bottom: 1px solid var(--ff-border, #8a8a8e);
    text-align: right;
    white-space: nowrap;
  }
  th[scope='row'],
  thead th:first-child {
    text-align: left;
  }
  .views {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(min(100%, 200px), 1fr));
    gap: 0.8rem;
  }
  figure {
    margin: 0;
  }
  figcaption {
    font-size: 0.85em;
    margin-bottom: 0.2rem;
  }
`;

import { css } from 'lit';

export const notebookViewStyles = css`
  .cell {
    border: 1px solid var(--ff-border, #8a8a8e);
    border-radius: 10px;
    background: var(--ff-cell-bg, #fff);
    margin: 0 0 1rem;
  }
  .cell.dragging {
    opacity: 0.5;
  }
  .cell-head {
    display: flex;
    align-items: center;
    gap: 0.4rem;
    padding: 0.35rem 0.6rem;
    border-bottom: 1px solid var(--ff-border, #8a8a8e);
    cursor: grab;
  }
  .cell.collapsed .cell-head {
    border-bottom: none;
  }
  h2 {
    font-size: 0.95rem;
    margin: 0;
    flex: 1;
  }
  .kind {
    text-transform: uppercase;
    letter-spacing: 0.05em;
    font-size: 0.75rem;
    color: var(--ff-muted, #5b5b60);
    margin-right: 0.4rem;
  }
  .cell-head button {
    padding: 0.1rem 0.45rem;
  }
  .body {
    padding: 0.7rem;
  }
  /* Off-screen notes are neither laid out nor painted (a long note's layout is the costly part). */
  section[data-kind='note'] {
    content-visibility: auto;
    contain-intrinsic-size: auto 16rem;
  }
  /* Not rendered yet (far from the viewport): roughly a cell's height, so scrolling is stable. */
  .pending .body {
    min-height: 14rem;
  }
  .add {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
    align-items: center;
  }
  .top {
    display: flex;
    justify-content: space-between;
    align-items: center;
    margin-bottom: 0.8rem;
  }
`;

import { css } from 'lit';

export const trainCellStyles = css`
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
    margin-bottom: 0.5rem;
  }
  progress.compile {
    display: block;
    width: min(20rem, 100%);
    margin-top: 0.25rem;
  }
  dl {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(8rem, 1fr));
    gap: 0.3rem 1rem;
    margin: 0.5rem 0;
  }
  dl div {
    display: flex;
    flex-direction: column;
  }
  dt {
    font-size: 0.8em;
    color: var(--ff-muted, #5b5b60);
  }
  dd {
    margin: 0;
    font-variant-numeric: tabular-nums;
  }
  .banner {
    border: 1px solid var(--ff-error, #b3261e);
    border-radius: 6px;
    padding: 0.4rem 0.6rem;
    margin: 0.4rem 0;
  }
  .banner.info {
    border-color: var(--ff-accent, #0057a3);
  }
  .banner details {
    font-size: 0.85em;
    margin-top: 0.2rem;
  }
  .replay[data-state='identical'] {
    color: var(--ff-ok, #1a7f37);
  }
  .replay[data-state='diverged'] {
    color: var(--ff-error, #b3261e);
    font-weight: 600;
  }
`;

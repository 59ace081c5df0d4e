import { css } from 'lit';

export const scatterStyles = css`
  :host {
    display: block;
    max-width: 420px;
  }
  img {
    display: block;
    width: 100%;
    height: auto;
    aspect-ratio: 1;
    background: var(--ff-plot-bg, #fafafa);
    border: 1px solid var(--ff-border, #8a8a8e);
    border-radius: 6px;
  }
  .legend {
    display: flex;
    gap: 1rem;
    font-size: 0.8em;
    color: var(--ff-muted, #5b5b60);
  }
  .swatch {
    display: inline-block;
    width: 0.7em;
    height: 0.7em;
    border-radius: 50%;
    margin-right: 0.3em;
  }
`;

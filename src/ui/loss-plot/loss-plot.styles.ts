import { css } from 'lit';

export const lossPlotStyles = css`
  :host {
    display: block;
  }
  svg {
    width: 100%;
    height: 160px;
    background: var(--ff-plot-bg, #fafafa);
    border: 1px solid var(--ff-border, #8a8a8e);
    border-radius: 6px;
  }
  .raw {
    stroke: var(--ff-muted, #5b5b60);
    stroke-opacity: 0.35;
  }
  .held-out {
    fill: var(--ff-warn, #d55e00);
  }
  .held-out-error {
    stroke: var(--ff-warn, #d55e00);
    stroke-width: 1.5;
  }
  .smooth {
    stroke: var(--ff-accent, #0057a3);
    stroke-width: 2;
  }
  text {
    fill: var(--ff-muted, #5b5b60);
    font-size: 11px;
  }
`;

import { css } from 'lit';

export const gpuViewStyles = css`
  :host {
    display: block;
  }
  .stage {
    position: relative;
    width: 100%;
    aspect-ratio: 1;
    /* Room for the tick labels drawn outside the canvas. */
    margin: 0 0 1.4rem 2.2rem;
    max-width: calc(100% - 2.2rem);
  }
  canvas {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    border-radius: 4px;
  }
  svg.ticks {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    overflow: visible;
    pointer-events: none;
    font:
      10px system-ui,
      sans-serif;
    fill: var(--ff-muted, #666);
    stroke: var(--ff-muted, #666);
  }
  svg.ticks text {
    stroke: none;
  }
  .legend {
    display: flex;
    align-items: center;
    gap: 0.4rem;
    font-size: 0.8em;
    margin-top: 0.2rem;
  }
  .bar {
    flex: 0 1 10rem;
    height: 0.7rem;
    border-radius: 2px;
  }
  .bar.viridis {
    background: linear-gradient(to right, #440154, #3b528b, #21918c, #5ec962, #fde725);
  }
  .bar.magma {
    background: linear-gradient(to right, #000004, #51127c, #b73779, #fc8961, #fcfdbf);
  }
  .error {
    color: var(--ff-error, #b00020);
    font-size: 0.85em;
  }
`;

import { css } from 'lit';

export const dataCellStyles = css`
  .layout {
    display: grid;
    grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
    gap: 1rem;
  }
  @media (max-width: 640px) {
    .layout {
      grid-template-columns: 1fr;
    }
  }
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
  textarea {
    width: 100%;
    box-sizing: border-box;
    min-height: 8rem;
    font-family: ui-monospace, monospace;
  }
  img.draw {
    display: block;
    width: 100%;
    max-width: 320px;
    height: auto;
    aspect-ratio: 1;
    image-rendering: pixelated;
    user-select: none;
    touch-action: none;
    background: var(--ff-plot-bg, #fafafa);
    border: 1px solid var(--ff-border, #8a8a8e);
    border-radius: 6px;
    cursor: crosshair;
  }
`;

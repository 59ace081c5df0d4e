import { css } from 'lit';

export const viewCellStyles = css`
  .layout {
    display: grid;
    grid-template-columns: minmax(0, 420px) minmax(0, 1fr);
    gap: 1rem;
  }
  @media (max-width: 640px) {
    .layout {
      grid-template-columns: 1fr;
    }
  }
  .controls {
    display: flex;
    flex-direction: column;
    gap: 0.5rem;
  }
  input[type='range'] {
    padding: 0;
  }
  .nfe {
    margin: 0;
    font-size: 0.85em;
  }
  .sample-grid {
    image-rendering: pixelated;
    max-width: 100%;
    height: auto;
    border-radius: 4px;
  }
`;

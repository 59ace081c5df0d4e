import { css } from 'lit';

export const markdownStyles = css`
  :host {
    display: block;
  }
  h3,
  h4,
  h5 {
    margin: 0.4em 0 0.3em;
  }
  p {
    margin: 0.4em 0;
  }
  .display-math {
    overflow-x: auto;
    margin: 0.5em 0;
  }
  code {
    font-family: ui-monospace, monospace;
    background: var(--ff-code-bg, rgba(127, 127, 127, 0.15));
    padding: 0 0.2em;
    border-radius: 3px;
  }
  a {
    color: var(--ff-link, #0057a3);
  }
  .math-skipped {
    border-left: 3px solid var(--ff-warn, #b26a00);
    padding-left: 0.5em;
  }
  .rendering {
    color: var(--ff-muted, #555);
  }
`;

import { css } from 'lit';

export const appStyles = css`
  :host {
    display: block;
  }
  .bar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem 1rem;
    margin-bottom: 1rem;
  }
  h1 {
    font-size: 1.4rem;
    margin: 0;
    flex: 1;
  }
  .tagline {
    color: var(--ff-muted, #5b5b60);
    font-size: 0.9em;
    margin: 0.1rem 0 0;
  }
  ff-gpu-status {
    font-size: 0.85em;
  }
  .opening {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    margin: 0 0 0.75rem;
  }
  .opening progress {
    width: 6rem;
  }
  .autosave-note {
    border-left: 4px solid var(--ff-warning, #a86b00);
    padding: 0.3rem 0.6rem;
    margin: 0 0 0.75rem;
    font-size: 0.9em;
  }
  .missing {
    border: 2px solid var(--ff-error, #b3261e);
    border-radius: 10px;
    padding: 1rem 1.2rem;
  }
  .cpu-note {
    border: 2px solid var(--ff-warning, #8a5a00);
    border-radius: 10px;
    padding: 0.2rem 1.2rem;
  }
  dialog {
    max-width: 32rem;
    color: inherit;
    background: var(--ff-cell-bg, #fff);
    border: 1px solid var(--ff-border, #8a8a8e);
    border-radius: 10px;
  }
  kbd {
    font-family: ui-monospace, monospace;
    border: 1px solid var(--ff-border, #8a8a8e);
    border-radius: 4px;
    padding: 0 0.3em;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
  }
  .bar.embedded {
    margin-bottom: 0.5rem;
  }
  .bar.embedded h1 {
    font-size: 1.1rem;
  }
  details.menu {
    position: relative;
  }
  details.menu > summary {
    cursor: pointer;
    list-style: none;
    border: 1px solid var(--ff-border, #8a8a8e);
    border-radius: 6px;
    padding: 0.25rem 0.6rem;
    background: var(--ff-button-bg, #eef1f6);
  }
  .menu-body {
    position: absolute;
    z-index: 10;
    right: 0;
    min-width: 16rem;
    display: flex;
    flex-direction: column;
    gap: 0.3rem;
    padding: 0.5rem;
    margin-top: 0.3rem;
    background: var(--ff-cell-bg, #fff);
    border: 1px solid var(--ff-border, #8a8a8e);
    border-radius: 8px;
    box-shadow: 0 4px 16px rgb(0 0 0 / 0.15);
  }
  .menu-body button {
    text-align: left;
  }
  /* On a phone a dropdown anchored to its button would stick out of the screen: the open menu
     takes the header's full width instead, in the flow. */
  @media (max-width: 600px) {
    details.menu[open] {
      flex-basis: 100%;
    }
    .menu-body {
      position: static;
      min-width: 0;
      box-shadow: none;
    }
  }
  .menu-body small {
    display: block;
    color: var(--ff-muted, #5b5b60);
  }
  .banner {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3rem 0.6rem;
    align-items: baseline;
    border: 2px solid var(--ff-accent, #0057a3);
    border-radius: 10px;
    padding: 0.6rem 0.9rem;
    margin-bottom: 1rem;
  }
  .banner.error {
    border-color: var(--ff-error, #b3261e);
  }
  .banner .text {
    flex: 1;
    overflow-wrap: anywhere;
  }
`;

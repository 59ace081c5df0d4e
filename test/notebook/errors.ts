import { expect } from '@esm-bundle/chai';
import { NotebookError, parseNotebook } from '../../src/notebook';

/** The NotebookError `run` throws; fails the test when it throws none or another kind. */
export function notebookErrorFrom(run: () => unknown, what: string): NotebookError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(NotebookError);
    return error as NotebookError;
  }
  throw new Error(`expected ${what} to throw`);
}

/** The error parseNotebook throws for `value`. */
export function errorOf(value: unknown): NotebookError {
  return notebookErrorFrom(() => parseNotebook(value), 'parseNotebook');
}

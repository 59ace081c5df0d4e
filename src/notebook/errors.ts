/** The one error type every notebook loader throws: links, files, autosave records. */
export type NotebookErrorCode =
  'syntax' | 'version' | 'schema' | 'checksum' | 'too-large' | 'compression' | 'weights';

/**
 * A notebook (or its weights) could not be loaded. `path` names the offending JSON field, e.g.
 * `cells[3].model.hidden` (empty when the problem is the input as a whole); the message says what
 * was expected and what was received, and is fit to show to the user as it is.
 */
export class NotebookError extends Error {
  override readonly name = 'NotebookError';

  constructor(
    readonly code: NotebookErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** A short, safe description of an untrusted value for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `the text ${JSON.stringify(shown)}${value.length > 40 ? ` (${value.length} characters)` : ''}`;
  }
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/** Errors of the data layer. Each says what was expected, what was given and what to do. */

/**
 * A received value as the "got …" of a spec error (data and model specs): JSON, cut at 60
 * characters; what JSON cannot show (undefined, functions, cycles) as String(value).
 */
export function shown(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
}

/** A dataset spec (or one of its fields) is invalid: `field` names it, e.g. 'params.noise'. */
export class DatasetSpecError extends Error {
  override readonly name = 'DatasetSpecError';
  constructor(
    /** Dotted path of the offending field ('name', 'params.noise', 'grid.weights'). */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** log p(x) was asked of a dataset whose density is not known in closed form. */
export class DensityUnavailableError extends Error {
  override readonly name = 'DensityUnavailableError';
  constructor(
    /** The dataset that has no exact density. */
    readonly dataset: string,
    /** The datasets that have one (built-in names, plus 'grid'). */
    readonly available: readonly string[],
  ) {
    super(
      `Dataset '${dataset}' has no closed-form density, so logProb() and entropy() are not ` +
        `available for it. Exact log-densities exist for: ${available.join(', ')}. ` +
        'For other data, measure a model by its NLL on samples instead.',
    );
  }
}

/** One problem found while parsing a point file. */
export interface PointParseIssue {
  /** 1-based line of the input. */
  line: number;
  message: string;
}

/** Point text (CSV/TSV/whitespace or JSON) could not be parsed; `issues` lists the first ones. */
export class PointParseError extends Error {
  override readonly name = 'PointParseError';
  constructor(
    readonly issues: readonly PointParseIssue[],
    /** Total number of bad lines (issues keeps only the first few). */
    readonly badLines: number = issues.length,
    summary?: string,
  ) {
    const shown = issues.map((issue) => `line ${issue.line}: ${issue.message}`);
    const more = badLines > issues.length ? `\n(and ${badLines - issues.length} more)` : '';
    super(summary ?? `${shown.join('\n')}${more}`);
  }
}

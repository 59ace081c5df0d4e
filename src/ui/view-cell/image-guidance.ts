/**
 * A class-conditional image model's sample controls in the View cell (issue #16): which class
 * the grid shows (all classes in turn, or one) and the classifier-free guidance scale, and the
 * `classes` and `guidance` of the sample request they make. Apart from view-cell.ts so that the
 * cell keeps one line for them.
 */
import { html, nothing } from 'lit';
import { VIEW_LIMITS, type ViewCell } from '../../notebook';
import { numberField, selectField } from '../fields';

/** The select's value for "every class in turn". */
const ALL = 'all';

/**
 * The labels and guidance scale of `count` samples of a model of `classCount` classes: the
 * cell's class for all of them, or (no class chosen) image i of class i mod K; nothing for an
 * unconditional model (classCount 0), which samples as before.
 */
export function classRequest(
  view: Pick<ViewCell, 'sampleClass' | 'guidance'>,
  classCount: number,
  count: number,
): { classes?: number | number[]; guidance?: number } {
  if (classCount <= 0) return {};
  const classes = view.sampleClass ?? Array.from({ length: count }, (_, i) => i % classCount);
  return { classes, guidance: view.guidance ?? 1 };
}

/** The class select and guidance scale field of a model of `classCount` classes (or nothing). */
export function guidanceControls(
  cell: ViewCell,
  classCount: number,
  classNames: readonly string[] | undefined,
  patch: (patch: Partial<ViewCell>) => void,
) {
  if (classCount <= 0) return nothing;
  const choices = [ALL, ...Array.from({ length: classCount }, (_, k) => String(k))];
  const names: Record<string, string> = { [ALL]: 'All, in turn' };
  for (let k = 0; k < classCount; k++) names[String(k)] = classNames?.[k] ?? `Class ${k}`;
  return html`${selectField<string>({
    id: 'sampleClass',
    label: 'Class',
    value: cell.sampleClass === undefined ? ALL : String(cell.sampleClass),
    choices,
    names,
    tip: 'The label the samples are drawn with: one class for the whole grid, or every class in turn (image i of class i mod K).',
    onChange: (value) => patch({ sampleClass: value === ALL ? undefined : Number(value) }),
  })}
  ${numberField({
    id: 'guidance',
    value: cell.guidance ?? 1,
    range: VIEW_LIMITS.guidance,
    step: '0.25',
    tip: 'Classifier-free guidance w: ε̂ = ε̂(x, ∅) + w (ε̂(x, c) − ε̂(x, ∅)). 0 is the unconditional model, 1 the conditional one; above 1 the samples look more like their class and less varied.',
    onChange: (guidance) => patch({ guidance }),
  })}`;
}

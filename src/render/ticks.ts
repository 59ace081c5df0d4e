/**
 * Axis ticks in data coordinates for a thin HTML/SVG overlay the page draws: "nice" values
 * (1, 2 or 5 × 10^k apart), their labels and their positions in CSS pixels.
 */
import { toCssPixels, type ViewTransform } from './view-transform';

export interface Tick {
  value: number;
  label: string;
  /** CSS pixels from the left (x ticks) or from the top (y ticks). */
  px: number;
}

export interface AxisTicks {
  x: Tick[];
  y: Tick[];
}

/** Nice tick values covering [min, max] with about `target` intervals. */
export function niceTicks(
  min: number,
  max: number,
  target: number,
): { values: number[]; step: number } {
  if (!(max > min) || !Number.isFinite(min) || !Number.isFinite(max)) {
    throw new RangeError(`niceTicks needs finite min < max, got [${min}, ${max}].`);
  }
  const raw = (max - min) / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  // Descending nice steps; take the smallest that is ≥ raw, smaller ones if < 2 ticks would fit.
  const steps = [10, 5, 2, 1, 0.5, 0.2, 0.1].map((m) => m * magnitude);
  let i = 0;
  while (i + 1 < steps.length && steps[i + 1]! >= raw) i++;
  let values = ticksAt(min, max, steps[i]!);
  while (values.length < 2 && i + 1 < steps.length) values = ticksAt(min, max, steps[++i]!);
  return { values, step: steps[i]! };
}

function ticksAt(min: number, max: number, step: number): number[] {
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const values: number[] = [];
  // Multiply and round, never accumulate: 3 · 0.2 is 0.6000000000000001 in floating point.
  for (let i = first; i <= last; i++) values.push(Number((i * step).toPrecision(12)) || 0);
  return values;
}

function label(value: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const text = value.toFixed(decimals);
  // "-0" reads like a mistake.
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** Ticks of both axes of a view of cssWidth × cssHeight, about one every `spacingPx`. */
export function axisTicks(
  transform: ViewTransform,
  cssWidth: number,
  cssHeight: number,
  spacingPx = 80,
): AxisTicks {
  const [xMin, yMin, xMax, yMax] = transform.visible;
  const x = niceTicks(xMin, xMax, cssWidth / spacingPx);
  const y = niceTicks(yMin, yMax, cssHeight / spacingPx);
  return {
    x: x.values.map((value) => ({
      value,
      label: label(value, x.step),
      px: toCssPixels(transform, cssWidth, cssHeight, value, 0)[0],
    })),
    y: y.values.map((value) => ({
      value,
      label: label(value, y.step),
      px: toCssPixels(transform, cssWidth, cssHeight, 0, value)[1],
    })),
  };
}

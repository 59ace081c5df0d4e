/**
 * Explicit Runge–Kutta solvers for the ODE samplers and the likelihood, as data (Butcher
 * tableaus), plus a float64 integrator for analytic fields. Every solver here has a tableau whose
 * only non-zero a_{ij} sit just below the diagonal (stage j starts from y + a_j·h·k_{j−1}), which
 * is what the GPU stage kernel (shaders/diffusion/solver-stage.wgsl) implements.
 */

export type OdeSolverName = 'euler' | 'midpoint' | 'heun' | 'rk4';

export const ODE_SOLVERS: readonly OdeSolverName[] = ['euler', 'midpoint', 'heun', 'rk4'];

export interface Tableau {
  readonly name: OdeSolverName;
  /** Global order of accuracy: the error falls by 2^order when the step halves. */
  readonly order: number;
  /** Node c_j of stage j (fraction of the step where k_j is evaluated). */
  readonly nodes: readonly number[];
  /** a_{j,j−1}: stage j is evaluated at y + h·advance[j]·k_{j−1} (advance[0] = 0). */
  readonly advance: readonly number[];
  /** b_j: y_next = y + h Σ_j b_j k_j. */
  readonly weights: readonly number[];
}

export const TABLEAUS: Readonly<Record<OdeSolverName, Tableau>> = {
  euler: { name: 'euler', order: 1, nodes: [0], advance: [0], weights: [1] },
  midpoint: { name: 'midpoint', order: 2, nodes: [0, 0.5], advance: [0, 0.5], weights: [0, 1] },
  heun: { name: 'heun', order: 2, nodes: [0, 1], advance: [0, 1], weights: [0.5, 0.5] },
  rk4: {
    name: 'rk4',
    order: 4,
    nodes: [0, 0.5, 0.5, 1],
    advance: [0, 0.5, 0.5, 1],
    weights: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
  },
};

export function tableau(name: OdeSolverName, field = 'solver'): Tableau {
  const found = TABLEAUS[name];
  if (!found) {
    throw new RangeError(
      `${field} must be one of ${ODE_SOLVERS.join(', ')}, got ${JSON.stringify(name)}.`,
    );
  }
  return found;
}

/** dy/ds = f(y, s) for a state of any length (returns a new array). */
export type OdeField = (y: Float64Array, s: number) => Float64Array;

/**
 * Integrates dy/ds = f(y, s) over the grid s_0, s_1, … (any direction, any spacing) with the
 * solver and returns y at the last grid point. The float64 reference of every ODE sampler.
 */
export function integrate(
  f: OdeField,
  y0: ArrayLike<number>,
  grid: readonly number[],
  solver: OdeSolverName,
): Float64Array {
  const tab = tableau(solver);
  let y = Float64Array.from(y0);
  for (let i = 0; i + 1 < grid.length; i++) {
    const s = grid[i]!;
    const h = grid[i + 1]! - s;
    const next = Float64Array.from(y);
    let k: Float64Array | undefined;
    tab.nodes.forEach((c, j) => {
      const point = Float64Array.from(
        y,
        (v, d) => v + (j === 0 ? 0 : h * tab.advance[j]! * k![d]!),
      );
      k = f(point, s + c * h);
      for (let d = 0; d < y.length; d++) next[d] = next[d]! + h * tab.weights[j]! * k[d]!;
    });
    y = next;
  }
  return y;
}

/** n + 1 evenly spaced points from `from` to `to`. */
export function uniformGrid(from: number, to: number, n: number): number[] {
  return Array.from({ length: n + 1 }, (_, i) => (i === n ? to : from + ((to - from) * i) / n));
}

// Over 400 lines on purpose: a table of 13 densities, each a sampler, a twin and an exact log-density side by side.
/**
 * The built-in 2-D densities: their formulas, parameters, TypeScript sampling twins and, where
 * closed-form, exact float64 log-densities. shaders/data/sample.wgsl and log-prob.wgsl are the
 * GPU halves; both read the same packed parameter vector `q` (pack()) and the same dataset ids.
 *
 * Conventions follow FFJORD's lib/toy_data.py (Grathwohl et al. 2019), which normflows and
 * torchcfm reuse, except that where FFJORD spaces points evenly (np.linspace) we draw the
 * parameter uniformly, so every point is an independent draw. Random numbers per point are
 * described in draws.ts: choice(K), u1..u3 uniform on (0, 1), n1..n4 standard normal.
 */
import type { PointDraws } from './draws';
import type { ParamSchema, ParamValues } from './params';

export const BUILTIN_NAMES = [
  'gaussian',
  'moons',
  'circles',
  'rings',
  '8gaussians',
  '25gaussians',
  'pinwheel',
  'swissroll',
  '2spirals',
  'checkerboard',
  'line',
  'sine',
  'smiley',
] as const;

export type BuiltinName = (typeof BUILTIN_NAMES)[number];

/** [xMin, yMin, xMax, yMax]. */
export type Bounds = readonly [number, number, number, number];

export interface BuiltinDataset {
  readonly name: BuiltinName;
  /** The id the GPU kernels switch on (shaders/data/datasets.wgsl). */
  readonly id: number;
  /** The formula, for documentation and the UI. */
  readonly formula: string;
  readonly params: Readonly<Record<string, ParamSchema>>;
  /** Parameters packed for the kernels (at most 16 numbers); twins read the same vector. */
  pack(params: ParamValues): number[];
  /** A square that shows the data well (FFJORD plots [-4, 4]²). */
  view(q: readonly number[]): Bounds;
  /** The point for the draws `d` (float64 twin of the GPU sampler). */
  sample(d: PointDraws, q: readonly number[]): [number, number];
  /** Exact log p(x, y) in float64, where the density is closed-form. */
  logProb?(x: number, y: number, q: readonly number[]): number;
  /** Exact differential entropy in nats, where it is closed-form. */
  entropy?(q: readonly number[]): number;
}

/** Must match shaders/data/datasets.wgsl. */
export const DATASET_IDS: Readonly<Record<BuiltinName | 'grid' | 'points', number>> = {
  gaussian: 0,
  moons: 1,
  circles: 2,
  rings: 3,
  '8gaussians': 4,
  '25gaussians': 5,
  pinwheel: 6,
  swissroll: 7,
  '2spirals': 8,
  checkerboard: 9,
  line: 10,
  sine: 11,
  smiley: 12,
  grid: 64,
  points: 65,
};

const TAU = 2 * Math.PI;
const LOG_2PI = Math.log(TAU);
const FFJORD_VIEW: Bounds = [-4, -4, 4, 4];

function noise(defaultValue: number, max = 2): ParamSchema {
  return {
    kind: 'number',
    default: defaultValue,
    min: 0,
    max,
    doc: 'standard deviation of the isotropic Gaussian noise added to each point',
  };
}

function num(params: ParamValues, field: string): number {
  return params[field] as number;
}

/** log Σ exp(a_k), stable. */
function logSumExp(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) max = Math.max(max, v);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/** Centre k of the 8-Gaussian ring of radius r: angle kπ/4. */
export function eightCentre(k: number, r: number): [number, number] {
  return [r * Math.cos((k * Math.PI) / 4), r * Math.sin((k * Math.PI) / 4)];
}

/** Centre k of the 5×5 grid with spacing s: s·(k mod 5 − 2, ⌊k/5⌋ − 2). */
export function gridCentre(k: number, s: number): [number, number] {
  return [s * ((k % 5) - 2), s * (Math.floor(k / 5) - 2)];
}

function mixtureLogProb(
  x: number,
  y: number,
  count: number,
  centre: (k: number) => [number, number],
  std: number,
): number {
  const terms: number[] = [];
  const inv = 1 / (2 * std * std);
  for (let k = 0; k < count; k++) {
    const [cx, cy] = centre(k);
    terms.push(-((x - cx) ** 2 + (y - cy) ** 2) * inv);
  }
  return logSumExp(terms) - Math.log(count) - LOG_2PI - 2 * Math.log(std);
}

const gaussian: BuiltinDataset = {
  name: 'gaussian',
  id: DATASET_IDS.gaussian,
  formula:
    'x = μ + L·(n1, n2), L the Cholesky factor of Σ (Σ = L·Lᵀ). ' +
    'log p(x) = −log 2π − ½ log det Σ − ½ (x − μ)ᵀ Σ⁻¹ (x − μ).',
  params: {
    mean: { kind: 'vec2', default: [0, 0], limit: 1000, doc: 'the mean μ' },
    cov: {
      kind: 'spd2',
      default: [
        [1, 0],
        [0, 1],
      ],
      limit: 1e4,
      doc: 'the covariance Σ',
    },
  },
  pack(params) {
    const [mx, my] = params.mean as [number, number];
    const [[a, b], [, c]] = params.cov as [[number, number], [number, number]];
    const l11 = Math.sqrt(a);
    const l21 = b / l11;
    const l22 = Math.sqrt(c - l21 * l21);
    const det = a * c - b * b;
    // q = [μx, μy, L11, L21, L22, Σ⁻¹xx, Σ⁻¹xy, Σ⁻¹yy, log normaliser, √Σxx, √Σyy]
    const logNormaliser = -LOG_2PI - 0.5 * Math.log(det);
    return [mx, my, l11, l21, l22, c / det, -b / det, a / det, logNormaliser, l11, Math.sqrt(c)];
  },
  view(q) {
    const half = 4 * Math.max(q[9]!, q[10]!);
    return [q[0]! - half, q[1]! - half, q[0]! + half, q[1]! + half];
  },
  sample(d, q) {
    const [n1, n2] = d.normal();
    return [q[0]! + q[2]! * n1, q[1]! + q[3]! * n1 + q[4]! * n2];
  },
  logProb(x, y, q) {
    const dx = x - q[0]!;
    const dy = y - q[1]!;
    return q[8]! - 0.5 * (q[5]! * dx * dx + 2 * q[6]! * dx * dy + q[7]! * dy * dy);
  },
  entropy(q) {
    // H = 1 + log 2π + ½ log det Σ = 1 − (log normaliser).
    return 1 - q[8]!;
  },
};

const moons: BuiltinDataset = {
  name: 'moons',
  id: DATASET_IDS.moons,
  formula:
    'FFJORD: sklearn make_moons(noise=0.1)·2 + (−1, −0.2). θ = π·u1; upper moon (choice(2) = 0) ' +
    '(cos θ, sin θ), lower moon (1 − cos θ, 0.5 − sin θ); x = 2·(moon + noise·(n1, n2)) + (−1, −0.2).',
  params: { noise: noise(0.1) },
  pack: (params) => [num(params, 'noise')],
  view: () => FFJORD_VIEW,
  sample(d, q) {
    const theta = Math.PI * d.u1;
    const upper = d.choice(2) === 0;
    const mx = upper ? Math.cos(theta) : 1 - Math.cos(theta);
    const my = upper ? Math.sin(theta) : 0.5 - Math.sin(theta);
    const [n1, n2] = d.normal();
    return [2 * (mx + q[0]! * n1) - 1, 2 * (my + q[0]! * n2) - 0.2];
  },
};

const circles: BuiltinDataset = {
  name: 'circles',
  id: DATASET_IDS.circles,
  formula:
    'FFJORD: sklearn make_circles(factor=0.5, noise=0.08)·3. Radius r = 1 (choice(2) = 0) or ' +
    'factor; θ = 2π·u1; x = 3·(r·(cos θ, sin θ) + noise·(n1, n2)).',
  params: {
    noise: noise(0.08),
    factor: {
      kind: 'number',
      default: 0.5,
      min: 0,
      max: 1,
      doc: 'radius of the inner circle relative to the outer one',
    },
  },
  pack: (params) => [num(params, 'noise'), num(params, 'factor')],
  view: () => FFJORD_VIEW,
  sample(d, q) {
    const r = d.choice(2) === 0 ? 1 : q[1]!;
    const theta = TAU * d.u1;
    const [n1, n2] = d.normal();
    return [3 * (r * Math.cos(theta) + q[0]! * n1), 3 * (r * Math.sin(theta) + q[0]! * n2)];
  },
};

const rings: BuiltinDataset = {
  name: 'rings',
  id: DATASET_IDS.rings,
  formula:
    'FFJORD: four concentric circles of radius 3, 2.25, 1.5 and 0.75 (k = choice(4), r = 3·(1 − k/4)), ' +
    'equal weights; θ = 2π·u1; x = r·(cos θ, sin θ) + noise·(n1, n2), noise = 0.08.',
  params: { noise: noise(0.08) },
  pack: (params) => [num(params, 'noise')],
  view: () => FFJORD_VIEW,
  sample(d, q) {
    const r = 3 * (1 - d.choice(4) / 4);
    const theta = TAU * d.u1;
    const [n1, n2] = d.normal();
    return [r * Math.cos(theta) + q[0]! * n1, r * Math.sin(theta) + q[0]! * n2];
  },
};

const eightGaussians: BuiltinDataset = {
  name: '8gaussians',
  id: DATASET_IDS['8gaussians'],
  formula:
    'FFJORD: (4·(cos kπ/4, sin kπ/4) + 0.5·(n1, n2)) / 1.414, k = choice(8): eight equally ' +
    'weighted Gaussians of std 0.5/1.414 on a circle of radius 4/1.414. ' +
    'log p(x) = log Σ_k exp(−|x − c_k|²/2σ²) − log 8 − log 2πσ².',
  params: {
    radius: {
      kind: 'number',
      default: 4 / 1.414,
      min: 0,
      max: 100,
      doc: 'radius of the circle of centres',
    },
    std: {
      kind: 'number',
      default: 0.5 / 1.414,
      min: 1e-3,
      max: 10,
      doc: 'standard deviation of each component',
    },
  },
  pack: (params) => [num(params, 'radius'), num(params, 'std')],
  view: () => FFJORD_VIEW,
  sample(d, q) {
    const [cx, cy] = eightCentre(d.choice(8), q[0]!);
    const [n1, n2] = d.normal();
    return [cx + q[1]! * n1, cy + q[1]! * n2];
  },
  logProb: (x, y, q) => mixtureLogProb(x, y, 8, (k) => eightCentre(k, q[0]!), q[1]!),
};

const twentyFiveGaussians: BuiltinDataset = {
  name: '25gaussians',
  id: DATASET_IDS['25gaussians'],
  formula:
    'WGAN-GP (Gulrajani et al. 2017), as used by later flow and GAN papers: a 5×5 grid of equally ' +
    'weighted Gaussians, centres 2·(i, j)/2.828 for i, j ∈ {−2, …, 2} (k = choice(25), i = k mod 5 − 2, ' +
    'j = ⌊k/5⌋ − 2), std 0.05/2.828. log p(x) = log Σ_k exp(−|x − c_k|²/2σ²) − log 25 − log 2πσ².',
  params: {
    spacing: {
      kind: 'number',
      default: 2 / 2.828,
      min: 0,
      max: 100,
      doc: 'distance between neighbouring centres',
    },
    std: {
      kind: 'number',
      default: 0.05 / 2.828,
      min: 1e-3,
      max: 10,
      doc: 'standard deviation of each component',
    },
  },
  pack: (params) => [num(params, 'spacing'), num(params, 'std')],
  view(q) {
    const half = 2 * q[0]! + 4 * q[1]!;
    return [-half, -half, half, half];
  },
  sample(d, q) {
    const [cx, cy] = gridCentre(d.choice(25), q[0]!);
    const [n1, n2] = d.normal();
    return [cx + q[1]! * n1, cy + q[1]! * n2];
  },
  logProb: (x, y, q) => mixtureLogProb(x, y, 25, (k) => gridCentre(k, q[0]!), q[1]!),
};

const pinwheel: BuiltinDataset = {
  name: 'pinwheel',
  id: DATASET_IDS.pinwheel,
  formula:
    'FFJORD: arm k = choice(arms); f = (1 + radialStd·n1, tangentialStd·n2); ' +
    'a = 2πk/arms + rate·exp(f₀); x = 2·(f₀ cos a + f₁ sin a, −f₀ sin a + f₁ cos a). ' +
    'Defaults: 5 arms, radialStd 0.3, tangentialStd 0.1, rate 0.25.',
  params: {
    arms: { kind: 'integer', default: 5, min: 1, max: 16, doc: 'number of arms' },
    radialStd: { kind: 'number', default: 0.3, min: 0, max: 2, doc: 'radial spread' },
    tangentialStd: { kind: 'number', default: 0.1, min: 0, max: 2, doc: 'tangential spread' },
    rate: { kind: 'number', default: 0.25, min: 0, max: 2, doc: 'how strongly the arms twist' },
  },
  pack: (params) => [
    num(params, 'arms'),
    num(params, 'radialStd'),
    num(params, 'tangentialStd'),
    num(params, 'rate'),
  ],
  view: () => FFJORD_VIEW,
  sample(d, q) {
    const k = d.choice(q[0]!);
    const [n1, n2] = d.normal();
    const f0 = 1 + q[1]! * n1;
    const f1 = q[2]! * n2;
    const a = (TAU * k) / q[0]! + q[3]! * Math.exp(f0);
    const c = Math.cos(a);
    const s = Math.sin(a);
    return [2 * (f0 * c + f1 * s), 2 * (-f0 * s + f1 * c)];
  },
};

const swissroll: BuiltinDataset = {
  name: 'swissroll',
  id: DATASET_IDS.swissroll,
  formula:
    'FFJORD: sklearn make_swiss_roll(noise=1.0) keeping (x, z), divided by 5. ' +
    't = 1.5π·(1 + 2·u1); x = (t cos t + noise·n1, t sin t + noise·n2) / 5.',
  params: { noise: noise(1, 5) },
  pack: (params) => [num(params, 'noise')],
  view: () => FFJORD_VIEW,
  sample(d, q) {
    const t = 1.5 * Math.PI * (1 + 2 * d.u1);
    const [n1, n2] = d.normal();
    return [(t * Math.cos(t) + q[0]! * n1) / 5, (t * Math.sin(t) + q[0]! * n2) / 5];
  },
};

const twoSpirals: BuiltinDataset = {
  name: '2spirals',
  id: DATASET_IDS['2spirals'],
  formula:
    'FFJORD: s = √u1 · 3π (540°); d = (−s cos s + 0.5·u2, s sin s + 0.5·u3); ' +
    'x = ±d/3 + noise·(n1, n2), the sign by choice(2); noise = 0.1.',
  params: { noise: noise(0.1) },
  pack: (params) => [num(params, 'noise')],
  view: () => FFJORD_VIEW,
  sample(d, q) {
    const s = Math.sqrt(d.u1) * 3 * Math.PI;
    const sign = d.choice(2) === 0 ? 1 : -1;
    const dx = -Math.cos(s) * s + 0.5 * d.u2;
    const dy = Math.sin(s) * s + 0.5 * d.u3;
    const [n1, n2] = d.normal();
    return [(sign * dx) / 3 + q[0]! * n1, (sign * dy) / 3 + q[0]! * n2];
  },
};

/** Checkerboard support: [−4, 4)² cells of side 2 whose indices ⌊x/2⌋ + ⌊y/2⌋ are even. */
function onCheckerboard(x: number, y: number): boolean {
  if (!(x >= -4 && x < 4 && y >= -4 && y < 4)) return false;
  return (Math.floor(x / 2) + Math.floor(y / 2)) % 2 === 0;
}

const checkerboard: BuiltinDataset = {
  name: 'checkerboard',
  id: DATASET_IDS.checkerboard,
  formula:
    'FFJORD: x₁ = 4·u1 − 2; x₂ = u2 − 2·choice(2) + (⌊x₁⌋ mod 2); x = 2·(x₁, x₂). ' +
    'Uniform on the 8 squares of side 2 in [−4, 4)² with ⌊x/2⌋ + ⌊y/2⌋ even: ' +
    'log p = −log 32 there, −∞ elsewhere; H = log 32.',
  params: {},
  pack: () => [],
  view: () => FFJORD_VIEW,
  sample(d) {
    const x1 = 4 * d.u1 - 2;
    const floor = Math.floor(x1);
    const parity = floor - 2 * Math.floor(floor / 2);
    const x2 = d.u2 - 2 * d.choice(2) + parity;
    return [2 * x1, 2 * x2];
  },
  logProb: (x, y) => (onCheckerboard(x, y) ? -Math.log(32) : -Infinity),
  entropy: () => Math.log(32),
};

const line: BuiltinDataset = {
  name: 'line',
  id: DATASET_IDS.line,
  formula: 'FFJORD: x = 5·u1 − 2.5, y = x (no noise: the data lie on a line and have no density).',
  params: {},
  pack: () => [],
  view: () => FFJORD_VIEW,
  sample(d) {
    const x = 5 * d.u1 - 2.5;
    return [x, x];
  },
};

const sine: BuiltinDataset = {
  name: 'sine',
  id: DATASET_IDS.sine,
  formula: "FFJORD's 'cos' set: x = 5·u1 − 2.5, y = 2.5·sin x (no noise: the data lie on a curve).",
  params: {},
  pack: () => [],
  view: () => FFJORD_VIEW,
  sample(d) {
    const x = 5 * d.u1 - 2.5;
    return [x, 2.5 * Math.sin(x)];
  },
};

/** Smiley parts: choice(10) ∈ 0–4 face, 5 left eye, 6 right eye, 7–9 mouth. */
const smiley: BuiltinDataset = {
  name: 'smiley',
  id: DATASET_IDS.smiley,
  formula:
    "Flowfield's own: a smiley face. k = choice(10). k ≤ 4 (50%): face outline 3·(cos θ, sin θ), " +
    'θ = 2π·u1. k = 5, 6 (10% each): eyes, uniform discs of radius 0.35 at (∓1.1, 1.1), ' +
    '(∓1.1, 1.1) + 0.35·√u2·(cos θ, sin θ). k ≥ 7 (30%): mouth, the arc (0, 0.3) + 1.8·(cos φ, sin φ) ' +
    'with φ = π + 0.5 + (π − 1)·u1. Then + noise·(n1, n2), noise = 0.08.',
  params: { noise: noise(0.08) },
  pack: (params) => [num(params, 'noise')],
  view: () => FFJORD_VIEW,
  sample(d, q) {
    const k = d.choice(10);
    let x: number;
    let y: number;
    if (k <= 4) {
      const theta = TAU * d.u1;
      x = 3 * Math.cos(theta);
      y = 3 * Math.sin(theta);
    } else if (k <= 6) {
      const theta = TAU * d.u1;
      const r = 0.35 * Math.sqrt(d.u2);
      x = (k === 5 ? -1.1 : 1.1) + r * Math.cos(theta);
      y = 1.1 + r * Math.sin(theta);
    } else {
      const phi = Math.PI + 0.5 + (Math.PI - 1) * d.u1;
      x = 1.8 * Math.cos(phi);
      y = 0.3 + 1.8 * Math.sin(phi);
    }
    const [n1, n2] = d.normal();
    return [x + q[0]! * n1, y + q[0]! * n2];
  },
};

export const BUILTINS: Readonly<Record<BuiltinName, BuiltinDataset>> = {
  gaussian,
  moons,
  circles,
  rings,
  '8gaussians': eightGaussians,
  '25gaussians': twentyFiveGaussians,
  pinwheel,
  swissroll,
  '2spirals': twoSpirals,
  checkerboard,
  line,
  sine,
  smiley,
};

export function isBuiltinName(name: unknown): name is BuiltinName {
  return typeof name === 'string' && (BUILTIN_NAMES as readonly string[]).includes(name);
}

/** Names of the datasets with an exact log-density (built-ins, then 'grid'). */
export const EXACT_DENSITY_NAMES: readonly string[] = [
  ...BUILTIN_NAMES.filter((name) => BUILTINS[name].logProb !== undefined),
  'grid',
];

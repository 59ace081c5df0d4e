/**
 * Independent references for the dataset tests: each dataset's generative formula rewritten from
 * its source (FFJORD lib/toy_data.py, WGAN-GP, the README) as a map of latent variables, and
 * moments by tensor-product quadrature over those latents. Nothing here imports src/data.
 */
import { gaussHermiteNormal, gaussLegendre } from './helpers';

export interface LatentModel {
  /** Equally likely discrete choices k ∈ [0, choices). */
  choices: number;
  /** Uniform latents on (0, 1): quadrature nodes per piece, breakpoints at kinks or jumps. */
  uniforms: { nodes: number; breaks?: readonly number[] }[];
  /** Standard-normal latents and their Gauss–Hermite nodes (8 is exact for additive noise). */
  normals: number;
  normalNodes?: number;
  point(k: number, u: readonly number[], n: readonly number[]): [number, number];
}

const R8 = 4 / 1.414;
const S8 = 0.5 / 1.414;
const S25 = 2 / 2.828;
const SD25 = 0.05 / 2.828;

export const LATENT_MODELS: Record<string, LatentModel> = {
  gaussian: { choices: 1, uniforms: [], normals: 2, point: (_k, _u, n) => [n[0]!, n[1]!] },
  moons: {
    // sklearn make_moons: outer (cos t, sin t), inner (1 − cos t, 1 − sin t − 0.5), t ∈ [0, π].
    choices: 2,
    uniforms: [{ nodes: 32 }],
    normals: 2,
    point(k, [u], [n1, n2]) {
      const t = Math.PI * u!;
      const m = k === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 1 - Math.sin(t) - 0.5];
      return [(m[0]! + 0.1 * n1!) * 2 - 1, (m[1]! + 0.1 * n2!) * 2 - 0.2];
    },
  },
  circles: {
    choices: 2,
    uniforms: [{ nodes: 32 }],
    normals: 2,
    point(k, [u], [n1, n2]) {
      const r = k === 0 ? 1 : 0.5;
      const t = 2 * Math.PI * u!;
      return [(r * Math.cos(t) + 0.08 * n1!) * 3, (r * Math.sin(t) + 0.08 * n2!) * 3];
    },
  },
  rings: {
    choices: 4,
    uniforms: [{ nodes: 32 }],
    normals: 2,
    point(k, [u], [n1, n2]) {
      const r = [1, 0.75, 0.5, 0.25][k]! * 3;
      const t = 2 * Math.PI * u!;
      return [r * Math.cos(t) + 0.08 * n1!, r * Math.sin(t) + 0.08 * n2!];
    },
  },
  '8gaussians': {
    choices: 8,
    uniforms: [],
    normals: 2,
    point(k, _u, [n1, n2]) {
      const s = Math.SQRT1_2;
      const c = [
        [1, 0],
        [-1, 0],
        [0, 1],
        [0, -1],
        [s, s],
        [s, -s],
        [-s, s],
        [-s, -s],
      ][k]!;
      return [(4 * c[0]! + 0.5 * n1!) / 1.414, (4 * c[1]! + 0.5 * n2!) / 1.414];
    },
  },
  '25gaussians': {
    choices: 25,
    uniforms: [],
    normals: 2,
    point(k, _u, [n1, n2]) {
      const i = Math.floor(k / 5) - 2;
      const j = (k % 5) - 2;
      return [(2 * i + 0.05 * n1!) / 2.828, (2 * j + 0.05 * n2!) / 2.828];
    },
  },
  pinwheel: {
    choices: 5,
    uniforms: [],
    normals: 2,
    normalNodes: 40,
    point(k, _u, [n1, n2]) {
      const f0 = 0.3 * n1! + 1;
      const f1 = 0.1 * n2!;
      const a = (2 * Math.PI * k) / 5 + 0.25 * Math.exp(f0);
      // einsum('ti,tij->tj', f, [[cos, −sin], [sin, cos]]) · 2
      return [
        2 * (f0 * Math.cos(a) + f1 * Math.sin(a)),
        2 * (-f0 * Math.sin(a) + f1 * Math.cos(a)),
      ];
    },
  },
  swissroll: {
    choices: 1,
    uniforms: [{ nodes: 32 }],
    normals: 2,
    point(_k, [u], [n1, n2]) {
      const t = 1.5 * Math.PI * (1 + 2 * u!);
      return [(t * Math.cos(t) + n1!) / 5, (t * Math.sin(t) + n2!) / 5];
    },
  },
  '2spirals': {
    choices: 2,
    uniforms: [{ nodes: 64 }, { nodes: 4 }, { nodes: 4 }],
    normals: 2,
    point(k, [u1, u2, u3], [n1, n2]) {
      const n = (Math.sqrt(u1!) * 540 * (2 * Math.PI)) / 360;
      const d = [-Math.cos(n) * n + u2! * 0.5, Math.sin(n) * n + u3! * 0.5];
      const sign = k === 0 ? 1 : -1;
      return [(sign * d[0]!) / 3 + 0.1 * n1!, (sign * d[1]!) / 3 + 0.1 * n2!];
    },
  },
  checkerboard: {
    choices: 2,
    uniforms: [{ nodes: 4, breaks: [0.25, 0.5, 0.75] }, { nodes: 4 }],
    normals: 0,
    point(k, [u1, u2]) {
      const x1 = u1! * 4 - 2;
      const x2 = u2! - k * 2 + (((Math.floor(x1) % 2) + 2) % 2);
      return [2 * x1, 2 * x2];
    },
  },
  line: {
    choices: 1,
    uniforms: [{ nodes: 32 }],
    normals: 0,
    point: (_k, [u]) => [u! * 5 - 2.5, u! * 5 - 2.5],
  },
  sine: {
    choices: 1,
    uniforms: [{ nodes: 32 }],
    normals: 0,
    point: (_k, [u]) => [u! * 5 - 2.5, Math.sin(u! * 5 - 2.5) * 2.5],
  },
  smiley: {
    choices: 10,
    uniforms: [{ nodes: 32 }, { nodes: 4 }],
    normals: 2,
    point(k, [u1, u2], [n1, n2]) {
      let p: [number, number];
      if (k < 5) p = [3 * Math.cos(2 * Math.PI * u1!), 3 * Math.sin(2 * Math.PI * u1!)];
      else if (k < 7) {
        const r = 0.35 * Math.sqrt(u2!);
        const t = 2 * Math.PI * u1!;
        p = [(k === 5 ? -1.1 : 1.1) + r * Math.cos(t), 1.1 + r * Math.sin(t)];
      } else {
        const phi = Math.PI + 0.5 + (Math.PI - 1) * u1!;
        p = [1.8 * Math.cos(phi), 0.3 + 1.8 * Math.sin(phi)];
      }
      return [p[0] + 0.08 * n1!, p[1] + 0.08 * n2!];
    },
  },
};

/** Exact reference parameters used above, for tests of the defaults. */
export const REFERENCE_CONSTANTS = { R8, S8, S25, SD25 };

/** E[x], E[y] and Cov by quadrature over the latents (u = a + (b − a)s² removes √u kinks at a). */
export function latentMoments(model: LatentModel): {
  mean: [number, number];
  cov: [number, number, number];
} {
  const uniformRules = model.uniforms.map(({ nodes, breaks = [] }) => {
    const edges = [0, ...breaks, 1];
    const xs: number[] = [];
    const ws: number[] = [];
    for (let e = 0; e + 1 < edges.length; e++) {
      const a = edges[e]!;
      const b = edges[e + 1]!;
      const [s, w] = gaussLegendre(nodes, 0, 1);
      s.forEach((si, i) => {
        xs.push(a + (b - a) * si * si);
        ws.push(w[i]! * 2 * (b - a) * si);
      });
    }
    return [xs, ws] as const;
  });
  const normalRule = gaussHermiteNormal(model.normalNodes ?? 8);
  const rules = [...uniformRules, ...Array.from({ length: model.normals }, () => normalRule)];
  const sums: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  const index = new Array<number>(rules.length).fill(0);
  for (let k = 0; k < model.choices; k++) {
    index.fill(0);
    for (;;) {
      let weight = 1 / model.choices;
      const values = rules.map((rule, d) => {
        weight *= rule[1][index[d]!]!;
        return rule[0][index[d]!]!;
      });
      const [x, y] = model.point(
        k,
        values.slice(0, model.uniforms.length),
        values.slice(model.uniforms.length),
      );
      sums[0] += weight * x;
      sums[1] += weight * y;
      sums[2] += weight * x * x;
      sums[3] += weight * x * y;
      sums[4] += weight * y * y;
      let d = 0;
      while (d < rules.length && ++index[d]! === rules[d]![0].length) index[d++] = 0;
      if (d === rules.length) break;
    }
  }
  const [mx, my, xx, xy, yy] = sums;
  return { mean: [mx, my], cov: [xx - mx * mx, xy - mx * my, yy - my * my] };
}

/** Scaled modified Bessel function e^{−z} I₀(z), z ≥ 0 (series below 20, asymptotic above). */
export function besselI0Scaled(z: number): number {
  if (z < 20) {
    let term = 1;
    let sum = 1;
    for (let k = 1; k < 200; k++) {
      term *= (z * z) / (4 * k * k);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return sum * Math.exp(-z);
  }
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 12; k++) {
    term *= (2 * k - 1) ** 2 / (8 * k * z);
    sum += term;
  }
  return sum / Math.sqrt(2 * Math.PI * z);
}

/** Rice density of |c + σZ|, |c| = radius, Z ~ N(0, I₂). */
export function ricePdf(r: number, radius: number, sigma: number): number {
  const s2 = sigma * sigma;
  const z = (r * radius) / s2;
  return (r / s2) * Math.exp(-((r - radius) ** 2) / (2 * s2)) * besselI0Scaled(z);
}

/**
 * The gallery: example notebooks, one per model kind plus a flows-vs-diffusion comparison and a
 * drawn density. `npm run pretrain` trains each one (small budgets, deterministic seeds) and
 * writes public/gallery/<name>.flowfield.json with the weights, so opening one samples at once.
 * Widths stay ≤ 64 so the shipped files stay small.
 */
import type { Notebook } from '../notebook';
import {
  KIND_NOTES as EXPLANATIONS,
  FLOWS_VS_DIFFUSION_NOTE as FLOWS_VS_DIFFUSION,
  STRAIGHT_PATHS_NOTE,
} from './notes';
import { compare, data, model, note, notebook, train, view, type GalleryEntry } from './build';
import { IMAGE_GALLERY } from './image-notebooks';

export type { GalleryEntry } from './build';

/** The NICE notebook follows the seed's explanation: an invertible encoder and its generator. */
const NICE_NOTE = `# NICE: an encoder you can run backwards

A normalizing flow is an **invertible encoder** $f: x \\mapsto z$ trained so that the codes look
like a standard normal, $z \\sim \\mathcal{N}(0, I)$. Run it backwards and it is a **generator**:
draw $z$ and return $x = f^{-1}(z)$. The change of variables gives the exact likelihood

$$\\log p(x) = \\log \\mathcal{N}(f(x); 0, I) + \\log \\left|\\det \\frac{\\partial f}{\\partial x}\\right|$$

${EXPLANATIONS.nice}

Here four additive couplings (the conditioning half alternates) and the scaling layer learn the
two moons. The View cell shows the generator's samples over the data; the warp overlay shows how
the encoder bends the plane into a Gaussian.`;

/** A heart drawn on a 32 × 32 grid over [−4, 4]² (row 0 at the top), as a Data cell stores it. */
function heartGrid(side = 32): number[] {
  const weights: number[] = [];
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const x = ((col + 0.5) / side) * 2.6 - 1.3;
      const y = 1.4 - ((row + 0.5) / side) * 2.6;
      const inside = (x * x + y * y - 1) ** 3 - x * x * y ** 3 <= 0;
      weights.push(inside ? 1 : 0);
    }
  }
  return weights;
}

/** The straight-paths notebook's two flow-matching models: the same network and budget. */
const FM_STRAIGHT = {
  layers: 3,
  hidden: 64,
  hiddenLayers: 3,
  activation: 'silu' as const,
  seed: 9,
};
const FM_STRAIGHT_TRAIN = {
  batch: 256,
  learningRate: 3e-3,
  schedule: 'cosine' as const,
  steps: 1000,
};

const FLOW_TRAIN = { batch: 256, learningRate: 5e-3, schedule: 'cosine' as const };

export const GALLERY: readonly GalleryEntry[] = [
  {
    name: 'nice-moons',
    title: 'NICE: an invertible encoder and its generator',
    summary: 'Additive couplings with unit Jacobian plus a scaling layer, on two moons.',
    notebook: notebook('NICE on two moons', [
      note('intro', NICE_NOTE),
      data('data-1', 'Two moons', { kind: 'builtin', name: 'moons', seed: 1 }),
      model(
        'model-1',
        'NICE',
        'nice',
        { layers: 4, hidden: 32, hiddenLayers: 2, activation: 'tanh', seed: 1 },
        { ...FLOW_TRAIN, steps: 400 },
      ),
      train('train-1'),
      view('view-1', { overlay: 'warp' }),
    ]),
  },
  {
    name: 'realnvp-8gaussians',
    title: 'RealNVP: affine couplings',
    summary: 'Scale-and-shift couplings split one Gaussian into eight.',
    notebook: notebook('RealNVP on eight Gaussians', [
      note('intro', `# RealNVP\n\n${EXPLANATIONS.realnvp}`),
      data('data-1', 'Eight Gaussians', { kind: 'builtin', name: '8gaussians', seed: 1 }),
      model(
        'model-1',
        'RealNVP',
        'realnvp',
        { layers: 6, hidden: 32, hiddenLayers: 2, activation: 'tanh', seed: 2 },
        { ...FLOW_TRAIN, steps: 400 },
      ),
      train('train-1'),
      view('view-1', { overlay: 'density' }),
    ]),
  },
  {
    name: 'glow-pinwheel',
    title: 'Glow: ActNorm, invertible linear maps and couplings',
    summary: 'Learned 1×1 "convolutions" in 2-D replace the fixed swap of halves.',
    notebook: notebook('Glow-style flow on a pinwheel', [
      note('intro', `# Glow-style steps\n\n${EXPLANATIONS.glow}`),
      data('data-1', 'Pinwheel', { kind: 'builtin', name: 'pinwheel', seed: 1 }),
      model(
        'model-1',
        'Glow',
        'glow',
        { layers: 4, hidden: 32, hiddenLayers: 2, activation: 'tanh', seed: 3 },
        { ...FLOW_TRAIN, steps: 400 },
      ),
      train('train-1'),
      view('view-1', { overlay: 'density' }),
    ]),
  },
  {
    name: 'spline-checkerboard',
    title: 'Neural spline flow: monotone rational-quadratic splines',
    summary: 'Piecewise couplings carve the sharp edges of a checkerboard.',
    notebook: notebook('Spline flow on a checkerboard', [
      note('intro', `# Neural spline flows\n\n${EXPLANATIONS.spline}`),
      data('data-1', 'Checkerboard', { kind: 'builtin', name: 'checkerboard', seed: 1 }),
      model(
        'model-1',
        'Spline flow',
        'spline',
        { layers: 4, hidden: 32, hiddenLayers: 2, activation: 'tanh', seed: 4 },
        { ...FLOW_TRAIN, steps: 400 },
      ),
      train('train-1'),
      view('view-1', { overlay: 'density' }),
    ]),
  },
  {
    name: 'ddpm-swissroll',
    title: 'DDPM: learning to denoise',
    summary: 'A noise-prediction network reverses a cosine noise schedule on a swiss roll.',
    notebook: notebook('DDPM on a swiss roll', [
      note('intro', `# Denoising diffusion\n\n${EXPLANATIONS.ddpm}`),
      data('data-1', 'Swiss roll', { kind: 'builtin', name: 'swissroll', seed: 1 }),
      model(
        'model-1',
        'DDPM',
        'ddpm',
        {
          layers: 3,
          hidden: 64,
          hiddenLayers: 3,
          activation: 'silu',
          seed: 5,
          timesteps: 100,
          noiseSchedule: 'cosine',
          prediction: 'eps',
        },
        { batch: 256, learningRate: 3e-3, schedule: 'cosine', steps: 1500 },
      ),
      train('train-1'),
      view('view-1', { sampler: 'ddim', samplerSteps: 50, overlay: 'trajectories' }),
    ]),
  },
  {
    name: 'flow-matching-circles',
    title: 'Flow matching: straight paths from noise to data',
    summary: 'A velocity field regressed on straight interpolants, sampled with RK4.',
    notebook: notebook('Flow matching on circles', [
      note('intro', `# Flow matching\n\n${EXPLANATIONS['flow-matching']}`),
      data('data-1', 'Circles', { kind: 'builtin', name: 'circles', seed: 1 }),
      model(
        'model-1',
        'Flow matching',
        'flow-matching',
        {
          layers: 3,
          hidden: 64,
          hiddenLayers: 3,
          activation: 'silu',
          seed: 6,
          timesteps: 100,
        },
        { batch: 256, learningRate: 3e-3, schedule: 'cosine', steps: 1500 },
      ),
      train('train-1'),
      view('view-1', { sampler: 'rk4', samplerSteps: 20, overlay: 'field' }),
    ]),
  },
  {
    name: 'flows-vs-diffusion',
    title: 'Flows vs diffusion on the same data',
    summary: 'RealNVP and flow matching side by side, compared on NLL and energy distance.',
    notebook: notebook('Flows vs diffusion', [
      note('intro', `# Flows vs diffusion\n\n${FLOWS_VS_DIFFUSION}`),
      data('data-1', 'Two moons', { kind: 'builtin', name: 'moons', seed: 1 }),
      model(
        'model-flow',
        'RealNVP',
        'realnvp',
        { layers: 6, hidden: 32, hiddenLayers: 2, activation: 'tanh', seed: 7 },
        { ...FLOW_TRAIN, steps: 400 },
      ),
      train('train-flow'),
      view('view-flow'),
      model(
        'model-fm',
        'Flow matching',
        'flow-matching',
        { layers: 3, hidden: 64, hiddenLayers: 3, activation: 'silu', seed: 7 },
        { batch: 256, learningRate: 3e-3, schedule: 'cosine', steps: 1500 },
      ),
      train('train-fm'),
      view('view-fm', { sampler: 'rk4', samplerSteps: 20 }),
      compare('compare-1', ['train-flow', 'train-fm']),
    ]),
  },
  {
    name: 'straight-paths',
    title: 'Straight paths: one-step sampling with minibatch OT',
    summary:
      'Independent vs optimal-transport pairs in flow matching, both sampled with one Euler step.',
    notebook: notebook('Straight paths', [
      note('intro', STRAIGHT_PATHS_NOTE),
      data('data-1', 'Two moons', { kind: 'builtin', name: 'moons', seed: 1 }),
      model(
        'model-independent',
        'Independent pairs',
        'flow-matching',
        FM_STRAIGHT,
        FM_STRAIGHT_TRAIN,
      ),
      train('train-independent'),
      view('view-independent', { sampler: 'euler', samplerSteps: 1, overlay: 'trajectories' }),
      model(
        'model-ot',
        'Minibatch-OT pairs',
        'flow-matching',
        { ...FM_STRAIGHT, pairing: 'minibatch-ot' },
        FM_STRAIGHT_TRAIN,
      ),
      train('train-ot'),
      view('view-ot', { sampler: 'euler', samplerSteps: 1, overlay: 'trajectories' }),
      compare('compare-1', ['train-independent', 'train-ot']),
    ]),
  },
  {
    name: 'drawn-heart',
    title: 'A density you drew',
    summary: 'A heart drawn on a 32 × 32 grid; a RealNVP learns to sample it.',
    notebook: notebook('A drawn heart', [
      note(
        'intro',
        `# Draw your own density

The Data cell below holds a **drawing**: a $32 \\times 32$ grid of weights, uniform inside each
cell, $p(x) = w_{ij} / (\\sum w \\cdot \\text{cell area})$. Draw over it, erase, or upload an image;
the flow trains on whatever you draw. The exact $\\log p$ of a grid is known, so the Compare cell
can report the KL divergence.`,
      ),
      data('data-1', 'Heart', {
        kind: 'grid',
        width: 32,
        height: 32,
        weights: heartGrid(),
        seed: 1,
      }),
      model(
        'model-1',
        'RealNVP',
        'realnvp',
        { layers: 6, hidden: 32, hiddenLayers: 2, activation: 'tanh', seed: 8 },
        { ...FLOW_TRAIN, steps: 400 },
      ),
      train('train-1'),
      view('view-1', { overlay: 'density' }),
    ]),
  },
  ...IMAGE_GALLERY,
];

/** A gallery notebook by name (a fresh copy: the caller may change it). */
export function galleryNotebook(name: string): Notebook | undefined {
  const entry = GALLERY.find((e) => e.name === name);
  return entry && structuredClone(entry.notebook);
}

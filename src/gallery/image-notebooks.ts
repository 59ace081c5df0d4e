/**
 * The gallery's image notebooks (issue #16): NICE on MNIST, flow matching on MNIST, and a
 * class-conditional flow-matching model on Fashion-MNIST with classifier-free guidance. Sized
 * so that `npm run pretrain <name>` trains each in about ten minutes on SwiftShader and each
 * .flowfield.json stays under ~1 MB (the package ships dist/gallery/).
 */
import type { DataSource } from '../notebook';
import { data, imageModel, note, notebook, train, view, type GalleryEntry } from './build';

const MNIST: DataSource = { kind: 'images', name: 'mnist', size: 14, seed: 1 };
const FASHION: DataSource = { kind: 'images', name: 'fashion-mnist', size: 14, seed: 1 };

const NICE_MNIST_NOTE = `# NICE on digits: the encoder runs backwards

This is the model of Dinh et al. (2014) on the data it was made for, here at 14 × 14 pixels.
NICE is an **invertible encoder** $z = f(x)$: four *additive couplings* (one half of the 196
pixels shifts the other by an MLP of it, the halves alternating) and a diagonal scaling layer
map an image to a code $z$ that should look like draws of a standard logistic density. Because
$f$ is invertible, it is also a **generator**: draw $z$ and compute $x = f^{-1}(z)$. The change of
variables gives the exact likelihood, reported as **bits per dimension** on held-out test digits
(the Train cell's dots).

The View cell shows $f^{-1}$ of fresh logistic draws, sampled in the browser on opening (the
weights came with the notebook; nothing was trained). Expect *digit-like strokes in noise*: NICE
spends its capacity on every pixel independently scaled, and its samples are famously grainy.
Lower the **temperature** ($z = T\\varepsilon$) to see smoother, more typical digits; at 0 you get
$f^{-1}(0)$, the flow's "average" image. Press Train to continue training from these weights.`;

const FM_MNIST_NOTE = `# Flow matching on digits: a continuous flow

Flow matching is the diffusion family's cousin of a normalizing flow. A small **U-Net** (two
resolutions, residual blocks, GroupNorm, a time embedding) learns a velocity field $v_\\theta(x, t)$
that carries noise ($t = 1$) to digits ($t = 0$) along the straight paths
$x_t = (1 - t)\\,x_0 + t\\,\\varepsilon$:
$$L = \\mathbb{E}\\, \\| v_\\theta(x_t, t) - (\\varepsilon - x_0) \\|^2.$$
Sampling integrates the ODE $\\dot x = v_\\theta(x, t)$ from noise: the map from $\\varepsilon$ to
the image is again an invertible flow, but one defined by a field rather than by layers, and
trained without ever running it.

The View cell samples on opening with **Heun** (two network evaluations per step). Change the
solver and the step count to see the trade: Euler with few steps gives blurrier strokes, RK4
with many is the model's own answer. Be warned: this U-Net is tiny (8 channels, 8 000
parameters) and was trained for minutes on a CPU, so expect pen strokes and loops, a few
legible digits and some speckle, not clean MNIST. Press Train to train on from these weights
(or widen the U-Net and start again) and watch the grid sharpen.`;

const CFG_FASHION_NOTE = `# Clothes on demand: classifier-free guidance

The same flow-matching U-Net as the digits notebook, but **class-conditional**: it also sees the
label $c$ of each Fashion-MNIST image (T-shirt, trouser, …, ankle boot), and one time in ten
the label is replaced by a learned *null class* $\\varnothing$, so the one network learns both
$v_\\theta(x, t, c)$ and the unconditional $v_\\theta(x, t, \\varnothing)$.

**Classifier-free guidance** (Ho & Salimans, 2022) samples with
$$\\hat v = v_\\theta(x, t, \\varnothing) + w\\,\\big(v_\\theta(x, t, c) - v_\\theta(x, t, \\varnothing)\\big):$$
$w = 0$ is the unconditional model, $w = 1$ the conditional one, and $w > 1$ pushes further
towards what makes the class that class: crisper, more typical, less varied samples (each step
evaluates the network twice). The View cell shows every class in turn, in reading order (two
rows of five per ten classes: T-shirt, trouser, pullover, dress, coat; sandal, shirt, sneaker,
bag, ankle boot), at $w = 2$. Pick one class, or change the guidance, and the grid is redrawn
from the same noise.`;

/** Training of the two flow-matching notebooks: Adam, a cosine learning rate. */
const FM_TRAIN = { batch: 32, learningRate: 2e-3, schedule: 'cosine' as const };

export const IMAGE_GALLERY: readonly GalleryEntry[] = [
  {
    name: 'nice-mnist',
    title: 'NICE on MNIST: an invertible encoder of digits',
    summary: 'The seed’s flow on the data it was made for: additive couplings on 14 × 14 digits.',
    notebook: notebook('NICE on MNIST', [
      note('intro', NICE_MNIST_NOTE),
      data('data-1', 'MNIST 14 × 14', MNIST),
      imageModel(
        'model-1',
        'NICE',
        { kind: 'nice', options: { layers: 4, hidden: 96, hiddenLayers: 2, prior: 'logistic' } },
        11,
        // The scaling layer must grow by up to ln 256 ≈ 5.5 for the always-black border pixels:
        // 2e-3 gets far within the budget (1e-3 reached only 7.87 bits/dim; 5e-3 diverged).
        { batch: 64, learningRate: 2e-3, schedule: 'cosine', steps: 3000 },
      ),
      train('train-1'),
      view('view-1', { sampleCount: 64, sampleSeed: 1, temperature: 0.8 }),
    ]),
  },
  {
    name: 'flow-matching-mnist',
    title: 'Flow matching on MNIST: a U-Net velocity field',
    summary: 'Noise to digits along straight paths, sampled on opening with Heun’s method.',
    notebook: notebook('Flow matching on MNIST', [
      note('intro', FM_MNIST_NOTE),
      data('data-1', 'MNIST 14 × 14', MNIST),
      imageModel(
        'model-1',
        'Flow matching',
        { kind: 'flow-matching', options: { channels: 8 } },
        12,
        {
          ...FM_TRAIN,
          steps: 2500,
        },
      ),
      train('train-1'),
      view('view-1', { sampleCount: 36, sampleSeed: 1, sampler: 'heun', samplerSteps: 8 }),
    ]),
  },
  {
    name: 'guided-fashion',
    title: 'Fashion-MNIST with classifier-free guidance',
    summary: 'A class-conditional flow-matching U-Net; choose a class and a guidance scale.',
    notebook: notebook('Guided flow matching on Fashion-MNIST', [
      note('intro', CFG_FASHION_NOTE),
      data('data-1', 'Fashion-MNIST 14 × 14', FASHION),
      imageModel(
        'model-1',
        'Conditional flow matching',
        { kind: 'flow-matching', options: { channels: 8, classes: 10, pUncond: 0.1 } },
        13,
        { ...FM_TRAIN, steps: 1000 },
      ),
      train('train-1'),
      view('view-1', {
        sampleCount: 20,
        sampleSeed: 1,
        sampler: 'heun',
        samplerSteps: 10,
        guidance: 2,
      }),
    ]),
  },
];

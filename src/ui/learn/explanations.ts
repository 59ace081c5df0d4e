/**
 * The learning aids: a short explanation with equations for each model kind, and the
 * "flows vs diffusion" note (drawn from the seed notes). Markdown for <ff-markdown>.
 */
import type { ModelKind } from '../../notebook';

export const EXPLANATIONS: Record<ModelKind, string> = {
  nice: `**NICE** stacks *additive couplings*. Split $x = (x_A, x_B)$; a network $m$ of one half shifts the other:
$$y_A = x_A, \\quad y_B = x_B + m(x_A)$$
Inverse: $x_B = y_B - m(y_A)$. The Jacobian is triangular with ones on the diagonal, so $\\log|\\det J| = 0$: volume is preserved. A final **scaling** layer $y = x \\odot e^{s}$ adds $\\log|\\det J| = \\sum_i s_i$, the only place volume changes.`,
  realnvp: `**RealNVP** makes the coupling *affine*: the kept half predicts a log-scale $s$ and a shift $t$:
$$y_B = x_B \\odot e^{s(x_A)} + t(x_A)$$
Inverse: $x_B = (y_B - t(y_A)) \\odot e^{-s(y_A)}$, and $\\log|\\det J| = \\sum_i s_i(x_A)$. Halves alternate between layers so every coordinate gets transformed.`,
  glow: `**Glow-style** steps are ActNorm (a per-channel affine with data-initialised scale), an invertible $1\\times1$ linear map $W = PL(U + \\mathrm{diag}(s))$ with $\\log|\\det W| = \\sum_i \\log|s_i|$, then an affine coupling. The learned linear map replaces a fixed swap of the halves.`,
  spline: `**Neural spline flows** replace the affine map of a coupling with a monotone *rational-quadratic spline* whose bins, heights and slopes come from the conditioner. It is invertible in closed form (a quadratic per bin) and $\\log|\\det J| = \\sum_i \\log g_i'(x_{B,i})$ with the spline's derivative.`,
  ddpm: `**DDPM** adds Gaussian noise in $T$ steps, $q(x_t \\mid x_0) = \\mathcal{N}(\\sqrt{\\bar\\alpha_t}\\,x_0, (1-\\bar\\alpha_t) I)$ with $\\bar\\alpha_t = \\prod_{s \\le t} (1 - \\beta_s)$, and learns to undo it. A network predicts the noise, trained with
$$L = \\mathbb{E}_{t, x_0, \\epsilon}\\, \\| \\epsilon - \\epsilon_\\theta(\\sqrt{\\bar\\alpha_t} x_0 + \\sqrt{1-\\bar\\alpha_t}\\,\\epsilon, t) \\|^2$$
(or the velocity $v = \\sqrt{\\bar\\alpha_t}\\,\\epsilon - \\sqrt{1-\\bar\\alpha_t}\\,x_0$). Sampling runs the reverse chain from pure noise,
$$x_{t-1} = \\frac{1}{\\sqrt{\\alpha_t}}\\Big(x_t - \\frac{\\beta_t}{\\sqrt{1-\\bar\\alpha_t}}\\,\\epsilon_\\theta(x_t, t)\\Big) + \\sigma_t z,$$
or, deterministically, DDIM or the probability-flow ODE with fewer steps: each step costs network evaluations (NFE).`,
  'flow-matching': `**Flow matching** learns a velocity field $v_\\theta(x, t)$ along straight paths between data ($t=0$) and noise ($t=1$): $x_t = (1-t)\\,x_0 + t\\,\\epsilon$, whose velocity is $\\epsilon - x_0$:
$$L = \\mathbb{E}_{t, x_0, \\epsilon}\\, \\| v_\\theta(x_t, t) - (\\epsilon - x_0) \\|^2$$
Sampling integrates the ODE $\\dot x = v_\\theta(x, t)$ from noise at $t = 1$ back to $t = 0$ (Euler, midpoint, Heun, RK4: 1, 2, 2, 4 network evaluations per step); it is a *continuous* normalizing flow, trained without simulating it.`,
};

export const FLOWS_VS_DIFFUSION = `**Flows vs diffusion.** A flow is an invertible encoder $z = f(x)$ with $z \\sim \\mathcal{N}(0, I)$; its inverse $f^{-1}$ is the generator, and the change of variables gives an exact $\\log p(x)$. Diffusion also links data and Gaussian noise, but through many small noising steps that are *not* learned; only the reverse (denoising) direction is learned.
- Flows: one network pass each way, exact likelihood, but every layer must be invertible with a cheap determinant.
- Diffusion: any network works, samples are often better, but sampling takes many steps (NFE).
- Continuous flows connect them: the probability-flow ODE of a diffusion model, and flow matching, are flows defined by a velocity field $\\dot x = v(x, t)$.`;

/** One-line tooltips next to controls. */
export const TIPS = {
  kind: 'Flows: an invertible f with exact log p(x) = log N(f(x); 0, I) + log|det ∂f/∂x|. DDPM: learns to denoise x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε. Flow matching: learns the velocity ε − x₀ of x_t = (1 − t)·x₀ + t·ε.',
  layers: 'More layers: a more flexible map, slower steps.',
  hidden: 'Width of each conditioner network’s hidden layers.',
  hiddenLayers: 'Hidden layers per conditioner network.',
  activation: 'Non-linearity of the conditioner networks.',
  seed: 'Seeds the initial weights: the same seed trains to the same model on the same GPU.',
  timesteps:
    'Noise levels T of the diffusion process: x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε for t = 1 … T, with ᾱ_t = Π_{s≤t} (1 − β_s). The library accepts T from 10 to 1000.',
  noiseSchedule:
    'How the noise grows with t. Linear: β_t rises linearly from 1e-4 to 0.02 (scaled by 1000/T). Cosine (Nichol & Dhariwal): ᾱ_t = f(t/T)/f(0) with f(τ) = cos²(π/2 · (τ + 0.008)/1.008), which destroys information more gently.',
  prediction:
    'What the network predicts from x_t. ε: the noise, loss ‖ε − ε_θ(x_t, t)‖². v: v = √ᾱ_t·ε − √(1 − ᾱ_t)·x₀, loss ‖v − v_θ(x_t, t)‖² (better behaved near pure noise).',
  diffusionLayers: 'Hidden layers of the denoiser network (it sees x_t and a time embedding of t).',
  learningRate: 'Step size of the optimizer; lower it if the loss becomes NaN.',
  batch: 'Points drawn from the data per step.',
  steps: 'Training steps one press of play runs.',
} as const;

/** Tooltips of the View cell's controls. */
export const VIEW_TIPS = {
  overlay:
    'Density: log p(x) on a grid (flows exactly; diffusion through the probability-flow ODE). Warp: a grid pushed through the model, layer by layer (flows) or in time (ODE). Trajectories: samples’ paths from noise to data. Field: the velocity dx/dt at time t.',
  position:
    'Scrub through the layers of a flow (0 = data side, 1 = latent) or the time of an ODE model (0 = data, 1 = noise).',
  sampler:
    'DDPM: ancestral x_{t−1} = (x_t − β_t/√(1 − ᾱ_t)·ε_θ)/√α_t + σ_t·z; DDIM (deterministic, fewer steps); or the probability-flow ODE dx/dt = f(x, t) − ½g(t)²∇log p_t(x) with Euler or Heun. Flow matching integrates dx/dt = v_θ(x, t) with Euler, midpoint, Heun or RK4.',
  samplerSteps: 'Steps of the sampler: more steps, more accurate, more network evaluations.',
  nfe: 'Network function evaluations per sample: what sampling costs. Euler and DDPM/DDIM: 1 per step; midpoint and Heun: 2; RK4: 4.',
} as const;

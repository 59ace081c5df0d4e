/**
 * The explanations the gallery notebooks carry, frozen here (copied from the app's learning aids,
 * src/ui/learn/explanations.ts, on 2026-11-30): the shipped files in public/gallery/ hold these
 * exact texts, so later edits of the tooltips do not make them stale.
 */
import type { ModelKind } from '../notebook';

export const KIND_NOTES: Record<ModelKind, string> = {
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

export const FLOWS_VS_DIFFUSION_NOTE = `**Flows vs diffusion.** A flow is an invertible encoder $z = f(x)$ with $z \\sim \\mathcal{N}(0, I)$; its inverse $f^{-1}$ is the generator, and the change of variables gives an exact $\\log p(x)$. Diffusion also links data and Gaussian noise, but through many small noising steps that are *not* learned; only the reverse (denoising) direction is learned.
- Flows: one network pass each way, exact likelihood, but every layer must be invertible with a cheap determinant.
- Diffusion: any network works, samples are often better, but sampling takes many steps (NFE).
- Continuous flows connect them: the probability-flow ODE of a diffusion model, and flow matching, are flows defined by a velocity field $\\dot x = v(x, t)$.`;

/** The straight-paths notebook: why the pairing decides how few ODE steps suffice. */
export const STRAIGHT_PATHS_NOTE = `# Straight paths: sampling in one step

Flow matching regresses a velocity field on straight lines $x_t = (1-t)\\,x_0 + t\\,\\epsilon$ between a data point $x_0$ and a noise draw $\\epsilon$:
$$L = \\mathbb{E}\\, \\| v_\\theta(x_t, t) - (\\epsilon - x_0) \\|^2$$
Each line is straight, but with **independent** pairs the lines of different pairs cross; the learned field averages them, so its ODE paths *curve*, and one Euler step from the noise lands near the mean of the data, not on it.

**Minibatch optimal transport** pairs each batch's points and noise by the permutation $\\pi$ minimising $\\sum_i \\| x_i - \\epsilon_{\\pi(i)} \\|^2$ (solved exactly on the GPU every step). Pairs are neighbours, lines hardly cross, and the learned paths are nearly straight, so a single Euler step, one network evaluation, already draws good samples.

Both models below are the same network trained for the same steps; both View cells sample with **one Euler step** (NFE 1). Switch the samplers to RK4 with 20 steps and the two agree. Add a third model with *Pairing: Reflow of* the independent model to straighten it after the fact (Liu et al. 2023).`;

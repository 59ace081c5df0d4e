"""The playground's samplers and likelihoods of DDPM and flow-matching models
(src/models/diffusion/plan.ts, schedule.ts, solvers.ts), on the same time grids with the same
coefficients and defaults, in model coordinates. Each takes the initial noise z and, for the
stochastic DDPM sampler, `noise(k)`: the [n, 2] normals of step k = 1 … S (the playground's
Philox counter step of that stage), so a run can be compared with the playground's on the same
noise. Computations follow the dtype of z (float64 for exact comparisons)."""

import math

DDPM_SAMPLERS = ("ddpm", "ddim", "pf-euler", "pf-heun")
FLOW_SAMPLERS = ("euler", "midpoint", "heun", "rk4")

# Butcher tableaus whose only a_ij sit just below the diagonal (solvers.ts TABLEAUS).
TABLEAUS = {
    "euler": {"nodes": (0,), "advance": (0,), "weights": (1,)},
    "midpoint": {"nodes": (0, 0.5), "advance": (0, 0.5), "weights": (0, 1)},
    "heun": {"nodes": (0, 1), "advance": (0, 1), "weights": (0.5, 0.5)},
    "rk4": {"nodes": (0, 0.5, 0.5, 1), "advance": (0, 0.5, 0.5, 1), "weights": (1 / 6, 1 / 3, 1 / 3, 1 / 6)},
}


def uniform_grid(start, end, n):
    """n + 1 evenly spaced points, the last exactly `end` (solvers.ts uniformGrid)."""
    return [end if i == n else start + ((end - start) * i) / n for i in range(n + 1)]


def time_grid(timesteps, steps):
    """−1 then the leading timesteps ⌊i·T/S⌋ (schedule.ts timeGrid)."""
    if not isinstance(steps, int) or not 1 <= steps <= timesteps:
        raise ValueError(f"steps must be an integer in [1, {timesteps}], got {steps!r}.")
    return [-1] + [(i * timesteps) // steps for i in range(steps)]


def ode(field, y, grid, solver, log_steps=False, knots=None):
    """Integrates dy/ds = f(y, s) over `grid` with the tableau of `solver`; field(y, s, knot)
    returns (f, div f or None). With log_steps, steps not touching s = 0 are taken in u = log s.
    Returns (y at the end, ∫ div f ds or None)."""
    tab = TABLEAUS[solver]
    acc_div = None
    for i in range(len(grid) - 1):
        s, end = grid[i], grid[i + 1]
        log = log_steps and s > 0 and end > 0
        h = math.log(end / s) if log else end - s
        step, step_div, k = 0, None, None
        for j, c in enumerate(tab["nodes"]):
            knot = (knots[i] if c == 0 else knots[i + 1] if c == 1 else None) if knots else None
            node = s if c == 0 else end if c == 1 else (s * math.exp(c * h) if log else s + c * h)
            point = y if j == 0 else y + h * tab["advance"][j] * k
            k, div = field(point, node, knot)
            if log:  # dy/du = s·dy/ds
                k = node * k
                div = None if div is None else node * div
            step = step + h * tab["weights"][j] * k
            if div is not None:
                step_div = h * tab["weights"][j] * div + (0 if step_div is None else step_div)
        y = y + step
        if step_div is not None:
            acc_div = step_div if acc_div is None else acc_div + step_div
    return y, acc_div


def flow_sample(velocity, z, sampler="rk4", steps=None):
    """Flow matching: dx/dt = v̂(x, t) from x(1) = z to t = 0 (flowSamplePlan)."""
    if sampler not in FLOW_SAMPLERS:
        raise ValueError(f"flow-matching samplers are {', '.join(FLOW_SAMPLERS)}, got {sampler!r}.")
    steps = steps if steps is not None else (20 if sampler == "rk4" else 50)
    x, _ = ode(lambda x, t, _: (velocity(x, t), None), z, uniform_grid(1.0, 0.0, steps), sampler)
    return x


def ddpm_sample(schedule, eps_of, z, sampler="ddim", steps=None, noise=None):
    """DDPM: from x_T = z to x_0 (diffusionSamplePlan). eps_of(x, index, ᾱ) is ε̂ at an integer
    (or continuous) index. 'ddpm' (ancestral, posterior variance) always takes all T steps;
    'ddim' (η = 0), 'pf-euler' and 'pf-heun' take `steps` (default min(50, T)) on timeGrid."""
    if sampler not in DDPM_SAMPLERS:
        raise ValueError(f"DDPM samplers are {', '.join(DDPM_SAMPLERS)}, got {sampler!r}.")
    T = schedule.timesteps
    grid = time_grid(T, T if sampler == "ddpm" else min(steps if steps is not None else 50, T))
    S = len(grid) - 1

    def ab(k):
        return 1.0 if k < 0 else schedule.alpha_bar[k]

    if sampler in ("ddpm", "ddim"):
        x = z
        for i in range(S, 0, -1):
            t, prev = grid[i], grid[i - 1]
            a, a_prev = ab(t), ab(prev)
            eps = eps_of(x, t, a)
            if sampler == "ddpm":
                beta = schedule.beta[t]
                alpha = 1 - beta
                m = 1 / math.sqrt(alpha)
                w = -beta / (math.sqrt(alpha) * schedule.sqrt_1m_ab[t])
                sigma = 0.0 if t == 0 else math.sqrt(schedule.posterior_variance[t])
            else:
                m = math.sqrt(a_prev / a)
                w = math.sqrt(max(0.0, 1 - a_prev)) - math.sqrt(a_prev * (1 - a) / a)
                sigma = 0.0
            x = m * x + w * eps
            if sigma > 0:
                if noise is None:
                    raise ValueError("the ancestral sampler needs noise(k) (or a generator through DiffusionModel.sample).")
                x = x + sigma * noise(S - i + 1).to(x)
        return x
    # Probability-flow ODE in y = x/√ᾱ against σ̄ (DDIM with η = 0 is its Euler method).
    sigmas = [0.0 if k < 0 else schedule.sigma_bar[k] for k in grid]

    def field(y, _, knot):
        a = ab(knot)
        return eps_of(math.sqrt(a) * y, knot, a), None

    y = math.sqrt(1 + sigmas[-1] ** 2) * z
    y, _ = ode(field, y, sigmas[::-1], "heun" if sampler == "pf-heun" else "euler", knots=grid[::-1])
    return y  # σ̄ = 0 at the end: x = y


def ddpm_log_prob(schedule, eps_with_trace, x, steps=50, solver="rk4"):
    """The probability-flow likelihood log p(x) in model coordinates (diffusionLikelihoodPlan):
    y = x at σ̄ = 0 to σ̄_max, one step to σ̄_0 then steps − 1 uniform in log σ̄; prior
    N(0, (1 + σ̄_max²) I). eps_with_trace(x, index, ᾱ) → (ε̂, tr ∂ε̂/∂x); dy/dσ̄ = ε̂(√ᾱ y)."""
    if steps < 2:
        raise ValueError(f"steps must be ≥ 2, got {steps}.")
    T = schedule.timesteps
    first, top = schedule.sigma_bar[0], schedule.sigma_bar[T - 1]
    n = steps - 1
    sigmas = [0.0] + [first * (top / first) ** f for f in uniform_grid(0.0, 1.0, n)]
    knots = [-1 if i == 0 else 0 if i == 1 else T - 1 if i == n + 1 else None for i in range(len(sigmas))]

    def field(y, s, knot):
        if knot is not None:
            a, index = (1.0 if knot < 0 else schedule.alpha_bar[knot]), knot
        else:
            a, index = 1 / (1 + s * s), schedule.index_at_sigma_bar(s)
        eps, trace = eps_with_trace(math.sqrt(a) * y, index, a)
        return eps, math.sqrt(a) * trace

    y, div = ode(field, x, sigmas, solver, log_steps=True, knots=knots)
    v = 1 + top * top
    return div - (y * y).sum(1) / (2 * v) - math.log(2 * math.pi * v)


def flow_log_prob(velocity_with_trace, x, steps=50, solver="rk4"):
    """Flow matching: log p(x) (model coordinates), data (t = 0) to the prior N(0, I) at t = 1."""
    y, div = ode(lambda y, t, _: velocity_with_trace(y, t), x, uniform_grid(0.0, 1.0, steps), solver)
    return div - 0.5 * (y * y).sum(1) - math.log(2 * math.pi)

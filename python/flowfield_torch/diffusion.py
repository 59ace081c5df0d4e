"""The playground's DDPM and flow-matching denoisers in PyTorch (src/models/diffusion/*): the
same network (x, sinusoidal emb(t)) → 2 on the playground's flat parameter layout, the same
schedules, targets (ε, v, velocity) and loss (mean squared error over batch × 2)."""

import math

import torch

from .layout import ParameterLayout, add_mlp
from .nn import mlp

DIFFUSION_KINDS = ("ddpm", "flow-matching")


class Schedule:
    """DDPM schedule tables in float64 (schedule.ts): t = 0 … T−1, ᾱ_t = ∏_{s≤t}(1 − β_s)."""

    def __init__(self, kind, timesteps, offset=0.008, max_beta=0.999):
        if kind not in ("linear", "cosine"):
            raise ValueError(f"model.noiseSchedule must be 'linear' or 'cosine', got {kind!r}.")
        T = timesteps
        scale = 1000 / T
        start, end = 1e-4 * scale, 0.02 * scale

        def cos_ab(tau):
            f = lambda x: math.cos(((x + offset) / (1 + offset)) * (math.pi / 2)) ** 2  # noqa: E731
            return f(tau) / f(0)

        betas = []
        for t in range(T):
            raw = start + (end - start) * t / (T - 1) if kind == "linear" else 1 - cos_ab((t + 1) / T) / cos_ab(t / T)
            betas.append(min(raw, max_beta))
        log_ab = 0.0
        self.timesteps = T
        self.beta = betas
        self.alpha_bar, self.sqrt_ab, self.sqrt_1m_ab, self.alpha_bar_prev = [], [], [], []
        for b in betas:
            self.alpha_bar_prev.append(math.exp(log_ab))
            log_ab += math.log1p(-b)
            self.alpha_bar.append(math.exp(log_ab))
            self.sqrt_ab.append(math.sqrt(math.exp(log_ab)))
            self.sqrt_1m_ab.append(math.sqrt(-math.expm1(log_ab)))


class DiffusionModel(torch.nn.Module):
    """kind 'ddpm' (prediction 'eps' or 'v') or 'flow-matching' (velocity, x_t = (1−t)x₀ + tε)."""

    def __init__(
        self,
        kind,
        hidden=128,
        layers=3,
        activation="silu",
        seed=0,
        timesteps=1000,
        schedule="linear",
        prediction="eps",
        time_embedding=32,
        coupling="independent",
    ):
        super().__init__()
        if kind not in DIFFUSION_KINDS:
            raise ValueError(f"model.kind for family 'diffusion' must be one of {', '.join(DIFFUSION_KINDS)}, got {kind!r}.")
        if prediction not in ("eps", "v"):
            raise ValueError(f"model.prediction must be 'eps' or 'v', got {prediction!r}.")
        self.kind, self.prediction, self.coupling = kind, prediction, coupling
        self.features = time_embedding
        # The embedding sees 0 … 1000 for both kinds: DDPM's index t·(1000/T), flows' t·1000.
        self.time_scale = 1000 / timesteps if kind == "ddpm" else 1000.0
        self.schedule = Schedule(schedule, timesteps) if kind == "ddpm" else None
        self.activation = activation
        layout = ParameterLayout()
        self.offset, self.net_layers = add_mlp(layout, "denoiser", 2 + time_embedding, hidden, layers, 2, activation)
        self.layout = layout
        self.params = torch.nn.Parameter(torch.tensor(layout.initialize(seed), dtype=torch.float32))
        self.register_buffer("shift", torch.zeros(2))
        self.register_buffer("scale", torch.ones(2))

    def embed(self, x, net_time):
        half = self.features // 2
        k = torch.arange(half, dtype=torch.float64, device=x.device)
        freq = self.time_scale * torch.exp(-math.log(10_000) * k / half)
        # Angles reach 1000 rad, where float32 keeps only ~6e-5 rad: computed in float64.
        angle = net_time.to(torch.float64).unsqueeze(1) * freq
        return torch.cat([x, torch.sin(angle).to(x.dtype), torch.cos(angle).to(x.dtype)], 1)

    def net(self, x, net_time):
        """The network output at points x (model coordinates) and network times (DDPM: index)."""
        return mlp(self.params.to(x.dtype), self.offset, self.net_layers, self.activation, self.embed(x, net_time))

    def training_batch(self, x0, t, eps):
        """(x_t, network time, target) for data x₀, times t (DDPM: integer index; flow: [0, 1]) and noise ε."""
        if self.kind == "flow-matching":
            tt = t.to(x0.dtype).unsqueeze(1)
            return (1 - tt) * x0 + tt * eps, t, eps - x0
        a = torch.tensor(self.schedule.sqrt_ab, dtype=x0.dtype, device=x0.device)[t.long()].unsqueeze(1)
        s = torch.tensor(self.schedule.sqrt_1m_ab, dtype=x0.dtype, device=x0.device)[t.long()].unsqueeze(1)
        target = eps if self.prediction == "eps" else a * eps - s * x0
        return a * x0 + s * eps, t.to(x0.dtype), target

    def loss_at(self, x0, t, eps):
        """Mean squared error over batch × 2 (nn/loss.wgsl) at given t and ε."""
        xt, net_time, target = self.training_batch(x0, t, eps)
        return ((self.net(xt, net_time) - target) ** 2).mean()

    def forward(self, x0, t, eps):
        """The training loss at given t and ε (what DistributedDataParallel calls)."""
        return self.loss_at(x0, t, eps)

    def draw_times(self, n, generator=None, device=None):
        u = torch.rand(n, generator=generator, device=device, dtype=torch.float64)
        if self.kind == "flow-matching":
            return u.to(torch.float32)
        return torch.clamp((u * self.schedule.timesteps).floor(), max=self.schedule.timesteps - 1).long()

    def loss(self, x0, generator=None):
        """The training loss of a batch of data (model coordinates): draws t and ε, and for
        minibatch-OT flow matching pairs them with the data by an exact assignment."""
        t = self.draw_times(x0.shape[0], generator, x0.device)
        eps = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        if self.kind == "flow-matching" and self.coupling == "minibatch-ot":
            from .assignment import ot_pairing

            eps = eps[ot_pairing(x0, eps)]
        return self.loss_at(x0, t, eps)

    # ---- sampling (data coordinates) ------------------------------------------------------

    def _eps_hat(self, x, index, alpha_bar):
        out = self.net(x, torch.full((x.shape[0],), float(index), dtype=x.dtype, device=x.device))
        if self.prediction == "eps":
            return out
        # v = √ᾱ ε − √(1 − ᾱ) x₀ and x = √ᾱ x₀ + √(1 − ᾱ) ε  ⇒  ε = √ᾱ v + √(1 − ᾱ) x.
        return math.sqrt(alpha_bar) * out + math.sqrt(1 - alpha_bar) * x

    @torch.no_grad()
    def sample(self, n, generator=None, steps=100, sampler=None, z=None):
        """n samples: flow matching 'euler' | 'midpoint' | 'heun' | 'rk4' (default) from t = 1 to 0;
        DDPM 'ddim' (η = 0, default) or 'ddpm' (ancestral) on the leading time grid ⌊i·T/S⌋.
        `z`: the initial noise (default: drawn from `generator`)."""
        x = z if z is not None else torch.randn(n, 2, generator=generator, device=self.params.device)
        if self.kind == "flow-matching":
            x = self._ode(x, steps, sampler or "rk4")
        else:
            x = self._ddpm(x, steps, sampler or "ddim", generator)
        return x * self.scale + self.shift

    def _ode(self, x, steps, solver):
        if solver not in ("euler", "midpoint", "heun", "rk4"):
            raise ValueError(f"flow-matching samplers are euler, midpoint, heun and rk4, got {solver!r}.")

        def v(x, t):
            return self.net(x, torch.full((x.shape[0],), t, dtype=x.dtype, device=x.device))

        h = -1.0 / steps
        for i in range(steps):
            t = 1.0 + i * h
            if solver == "euler":
                x = x + h * v(x, t)
            elif solver == "midpoint":
                x = x + h * v(x + 0.5 * h * v(x, t), t + 0.5 * h)
            elif solver == "heun":
                k1 = v(x, t)
                x = x + 0.5 * h * (k1 + v(x + h * k1, t + h))
            else:
                k1 = v(x, t)
                k2 = v(x + 0.5 * h * k1, t + 0.5 * h)
                k3 = v(x + 0.5 * h * k2, t + 0.5 * h)
                k4 = v(x + h * k3, t + h)
                x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return x

    def _ddpm(self, x, steps, sampler, generator):
        if sampler not in ("ddim", "ddpm"):
            raise ValueError(
                f"DDPM samplers here are ddim and ddpm, got {sampler!r} (pf-euler and pf-heun run in the playground)."
            )
        s = self.schedule
        T = s.timesteps
        steps = min(steps, T)
        grid = [-1] + [(i * T) // steps for i in range(steps)]
        for j in range(len(grid) - 1, 0, -1):
            t, prev = grid[j], grid[j - 1]
            ab = s.alpha_bar[t]
            ab_prev = s.alpha_bar[prev] if prev >= 0 else 1.0
            eps = self._eps_hat(x, t, ab)
            x0 = (x - math.sqrt(1 - ab) * eps) / math.sqrt(ab)
            if sampler == "ddim":
                x = math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev) * eps
            else:
                beta = 1 - ab / ab_prev
                mean = (math.sqrt(ab_prev) * beta * x0 + math.sqrt(1 - beta) * (1 - ab_prev) * x) / (1 - ab)
                var = beta * (1 - ab_prev) / (1 - ab)
                noise = torch.randn(x.shape, generator=generator, device=x.device) if prev >= 0 else 0
                x = mean + math.sqrt(max(var, 0.0)) * noise
        return x

    # ---- likelihood ------------------------------------------------------------------------

    def log_prob(self, points, steps=50):
        """Flow matching: log p(x) in nats (data coordinates) by the instantaneous change of
        variables, RK4 from the data (t = 0) to the prior N(0, I) at t = 1 with the exact
        divergence (flowLikelihoodPlan in plan.ts)."""
        if self.kind != "flow-matching":
            raise NotImplementedError(
                "log_prob here is flow matching's; DDPM's probability-flow likelihood runs in the playground."
            )
        x = ((points - self.shift) / self.scale).detach()
        acc = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)

        def f(x, t):
            with torch.enable_grad():
                x = x.detach().requires_grad_(True)
                v = self.net(x, torch.full((x.shape[0],), t, dtype=x.dtype, device=x.device))
                d0 = torch.autograd.grad(v[:, 0].sum(), x, retain_graph=True)[0][:, 0]
                d1 = torch.autograd.grad(v[:, 1].sum(), x)[0][:, 1]
            return v.detach(), (d0 + d1).detach()

        h = 1.0 / steps
        for i in range(steps):
            t = i * h
            k1, l1 = f(x, t)
            k2, l2 = f(x + 0.5 * h * k1, t + 0.5 * h)
            k3, l3 = f(x + 0.5 * h * k2, t + 0.5 * h)
            k4, l4 = f(x + h * k3, t + h)
            x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            acc = acc + h / 6 * (l1 + 2 * l2 + 2 * l3 + l4)
        prior = -0.5 * (x * x).sum(1) - math.log(2 * math.pi)
        return prior + acc - torch.log(self.scale[0] * self.scale[1])

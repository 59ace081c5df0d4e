"""The playground's DDPM and flow-matching denoisers in PyTorch (src/models/diffusion/*): the
same network (x, sinusoidal emb(t)) → 2 on the playground's flat parameter layout, the same
schedules, targets (ε, v, velocity) and loss (mean squared error over batch × 2)."""

import math

import torch

from . import sampling
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
        self.sigma_bar, self.posterior_variance = [], []
        for b in betas:
            self.alpha_bar_prev.append(math.exp(log_ab))
            prev_one_minus = -math.expm1(log_ab)
            log_ab += math.log1p(-b)
            alpha_bar, one_minus = math.exp(log_ab), -math.expm1(log_ab)
            self.alpha_bar.append(alpha_bar)
            self.sqrt_ab.append(math.sqrt(alpha_bar))
            self.sqrt_1m_ab.append(math.sqrt(one_minus))
            self.sigma_bar.append(math.sqrt(one_minus / alpha_bar))
            self.posterior_variance.append(b * prev_one_minus / one_minus)

    def index_at_sigma_bar(self, sigma):
        """The continuous index in [−1, T−1] whose σ̄ is `sigma`, σ̄ linear between knots
        (schedule.ts indexAtSigmaBar)."""
        T = self.timesteps
        lo, hi = -1, T - 1
        while hi - lo > 1:
            mid = (lo + hi) >> 1
            if self.sigma_bar[mid] <= sigma:
                lo = mid
            else:
                hi = mid
        if lo == T - 1:
            return float(T - 1)
        below = 0.0 if lo < 0 else self.sigma_bar[lo]
        return lo + (sigma - below) / (self.sigma_bar[lo + 1] - below)


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
        pairing="independent",
    ):
        super().__init__()
        if kind not in DIFFUSION_KINDS:
            raise ValueError(f"model.kind for family 'diffusion' must be one of {', '.join(DIFFUSION_KINDS)}, got {kind!r}.")
        if prediction not in ("eps", "v"):
            raise ValueError(f"model.prediction must be 'eps' or 'v', got {prediction!r}.")
        self.kind, self.prediction, self.pairing = kind, prediction, pairing
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
        if self.kind == "flow-matching" and self.pairing == "minibatch-ot":
            from .assignment import ot_pairing

            eps = eps[ot_pairing(x0, eps)]
        return self.loss_at(x0, t, eps)

    # ---- sampling and likelihood (sampling.py: the playground's plans) ----------------------

    def _eps(self, x, index, alpha_bar):
        out = self.net(x, torch.full((x.shape[0],), float(index), dtype=x.dtype, device=x.device))
        if self.prediction == "eps":
            return out
        # v = √ᾱ ε − √(1 − ᾱ) x₀ and x = √ᾱ x₀ + √(1 − ᾱ) ε  ⇒  ε = √ᾱ v + √(1 − ᾱ) x.
        return math.sqrt(alpha_bar) * out + math.sqrt(1 - alpha_bar) * x

    def _velocity(self, x, t):
        return self.net(x, torch.full((x.shape[0],), float(t), dtype=x.dtype, device=x.device))

    def _and_trace(self, f, x, *args):
        """(f(x, …), tr ∂f/∂x) for a map f of 2-D points, by autograd."""
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            out = f(x, *args)
            d0 = torch.autograd.grad(out[:, 0].sum(), x, retain_graph=True)[0][:, 0]
            d1 = torch.autograd.grad(out[:, 1].sum(), x)[0][:, 1]
        return out.detach(), (d0 + d1).detach()

    @torch.no_grad()
    def sample_model(self, z, sampler=None, steps=None, noise=None):
        """The sampler's image of the initial noise z, in model coordinates. Samplers and their
        defaults are the playground's: flow matching 'rk4' (20 steps) or 'euler' | 'midpoint' |
        'heun' (50); DDPM 'ddim' (η = 0, min(50, T) steps), 'pf-euler', 'pf-heun' or 'ddpm'
        (ancestral, all T steps, with noise(k) the normals of step k)."""
        if self.kind == "flow-matching":
            return sampling.flow_sample(self._velocity, z, sampler or "rk4", steps)
        return sampling.ddpm_sample(self.schedule, self._eps, z, sampler or "ddim", steps, noise)

    @torch.no_grad()
    def sample(self, n, generator=None, steps=None, sampler=None, z=None, noise=None):
        """n samples in data coordinates; z (default: drawn from `generator`) the initial noise,
        noise(k) the ancestral sampler's step-k normals (default: drawn from `generator`)."""
        device = self.params.device
        x = z if z is not None else torch.randn(n, 2, generator=generator).to(device)
        if noise is None:
            noise = lambda k: torch.randn(x.shape, generator=generator, dtype=x.dtype).to(device)  # noqa: E731
        x = self.sample_model(x, sampler, steps, noise)
        return x * self.scale.to(x.dtype) + self.shift.to(x.dtype)

    def log_prob(self, points, steps=50, solver="rk4"):
        """log p(x) in nats (data coordinates) through the ODE with the exact divergence: flow
        matching from the data (t = 0) to N(0, I) at t = 1 (flowLikelihoodPlan); DDPM by the
        probability-flow ODE in σ̄ (diffusionLikelihoodPlan). Default 50 RK4 steps, as there."""
        x = ((points - self.shift.to(points.dtype)) / self.scale.to(points.dtype)).detach()
        if self.kind == "flow-matching":
            log_p = sampling.flow_log_prob(lambda y, t: self._and_trace(self._velocity, y, t), x, steps, solver)
        else:
            log_p = sampling.ddpm_log_prob(
                self.schedule, lambda y, index, a: self._and_trace(self._eps, y, index, a), x, steps, solver
            )
        return log_p - torch.log(self.scale[0] * self.scale[1]).to(log_p.dtype)

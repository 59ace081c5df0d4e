"""The playground's normalizing flows in PyTorch (src/models/flows/*): NICE, RealNVP, Glow-style
and rational-quadratic spline flows over 2-D points, on one flat parameter vector laid out
exactly as the playground's (layout.py), so its `.safetensors` weights load without conversion.
Points are rows (x₀, x₁); the model works in normalised coordinates x_model = (x − shift)/scale."""

import math

import torch

from .layout import ParameterLayout, add_mlp
from .nn import activate, mlp
from .philox import seed_key, uniform4

LOG_TWO_PI = math.log(2 * math.pi)
SCALE_BOUND = 3.0  # affine log-scale s = S·tanh(h/S) (coupling.ts)
MIN_BIN = 1e-3
MIN_DERIVATIVE = 1e-3
DERIVATIVE_SHIFT = math.log(math.expm1(1 - MIN_DERIVATIVE))
TAIL_BOUND = 3.0
FLOW_KINDS = ("nice", "realnvp", "glow", "spline")


class Coupling:
    """Additive (NICE) or affine (RealNVP) coupling: x[cond] conditions x[1 − cond]."""

    def __init__(self, layout, name, transform, cond, hidden, hidden_layers, activation):
        self.transform, self.cond, self.activation = transform, cond, activation
        outputs = 2 if transform == "affine" else 1
        self.offset, self.layers = add_mlp(layout, name, 1, hidden, hidden_layers, outputs, activation, zero_last=True)

    def _scale_shift(self, params, rows):
        h = mlp(params, self.offset, self.layers, self.activation, rows[:, self.cond : self.cond + 1])
        if self.transform == "additive":
            return torch.zeros_like(h[:, 0]), h[:, 0]
        return SCALE_BOUND * torch.tanh(h[:, 0] / SCALE_BOUND), h[:, 1]

    def forward(self, params, x):
        s, shift = self._scale_shift(params, x)
        t = 1 - self.cond
        moved = x[:, t] * torch.exp(s) + shift
        return _replace(x, t, moved), s

    def inverse(self, params, y):
        s, shift = self._scale_shift(params, y)
        t = 1 - self.cond
        return _replace(y, t, (y[:, t] - shift) * torch.exp(-s)), -s


class Elementwise:
    """ActNorm (y = x·exp(ls) + b) or NICE's scaling layer (y = x·exp(ls))."""

    def __init__(self, layout, name, kind):
        self.kind = kind
        self.offset = layout.total
        layout.add(f"{name}.log_scale", (2,), ("constant", 0.0))
        if kind == "actnorm":
            layout.add(f"{name}.bias", (2,), ("constant", 0.0))

    def _parts(self, params):
        ls = params[self.offset : self.offset + 2]
        b = params[self.offset + 2 : self.offset + 4] if self.kind == "actnorm" else torch.zeros_like(ls)
        return ls, b

    def forward(self, params, x):
        ls, b = self._parts(params)
        return x * torch.exp(ls) + b, (ls[0] + ls[1]).expand(x.shape[0])

    def inverse(self, params, y):
        ls, b = self._parts(params)
        return (y - b) * torch.exp(-ls), (-(ls[0] + ls[1])).expand(y.shape[0])

    def data_init(self, x):
        """ActNorm's data-dependent initialisation: zero mean, unit variance per coordinate."""
        mean = x.mean(0)
        std = ((x - mean) ** 2).mean(0).sqrt() + 1e-6
        return torch.cat([-torch.log(std), -mean / std])


def lu_of_rotation(theta):
    """P, σ and the initial l, u, log-scales of the LU factorisation of a rotation by θ (lu-linear.ts)."""
    c, s = math.cos(theta), math.sin(theta)
    swap = abs(s) > abs(c)
    r00, r01, r10, r11 = (s, c, c, -s) if swap else (c, -s, s, c)
    l = r10 / r00
    d = r11 - l * r01
    sign = lambda v: (v > 0) - (v < 0)  # noqa: E731
    return swap, (sign(r00), sign(d)), l, r01, math.log(abs(r00)), math.log(abs(d))


class LuLinear:
    """Glow's invertible 1×1 linear layer in LU form: W = P·L·(U + diag(σ·exp(ls)))."""

    def __init__(self, layout, name, seed, k):
        theta = 2 * math.pi * uniform4((k, 0, 0x4C55494E, 0), seed_key(seed))[0]
        self.swap, self.signs, l, u, ls0, ls1 = lu_of_rotation(theta)
        self.offset = layout.add(f"{name}.l", (1,), ("constant", l)).offset
        layout.add(f"{name}.u", (1,), ("constant", u))
        layout.add(f"{name}.log_scale_0", (1,), ("constant", ls0))
        layout.add(f"{name}.log_scale_1", (1,), ("constant", ls1))

    def _factors(self, params):
        o = self.offset
        l, u, ls0, ls1 = params[o], params[o + 1], params[o + 2], params[o + 3]
        return l, u, self.signs[0] * torch.exp(ls0), self.signs[1] * torch.exp(ls1), ls0 + ls1

    def forward(self, params, x):
        l, u, a, d, ls = self._factors(params)
        m0 = a * x[:, 0] + u * x[:, 1]
        m1 = l * a * x[:, 0] + (l * u + d) * x[:, 1]
        y = torch.stack([m1, m0] if self.swap else [m0, m1], 1)
        return y, ls.expand(x.shape[0])

    def inverse(self, params, y):
        l, u, a, d, ls = self._factors(params)
        v0, v1 = (y[:, 1], y[:, 0]) if self.swap else (y[:, 0], y[:, 1])
        x1 = (v1 - l * v0) / d
        x0 = (v0 - u * x1) / a
        return torch.stack([x0, x1], 1), (-ls).expand(y.shape[0])


class SplineCoupling:
    """Rational-quadratic spline coupling (Durkan et al. 2019), nflows' conventions, identity
    outside [−B, B] (spline-coupling.ts)."""

    def __init__(self, layout, name, cond, bins, hidden, hidden_layers, activation):
        self.cond, self.bins, self.activation = cond, bins, activation
        self.offset, self.layers = add_mlp(
            layout, name, 1, hidden, hidden_layers, 3 * bins - 1, activation, zero_last=True
        )

    def _spline(self, params, rows):
        K, B = self.bins, TAIL_BOUND
        raw = mlp(params, self.offset, self.layers, self.activation, rows[:, self.cond : self.cond + 1])

        def knots(r):
            q = MIN_BIN + (1 - MIN_BIN * K) * torch.softmax(r, 1)
            inner = B * (2 * torch.cumsum(q, 1)[:, :-1] - 1)
            ends = torch.full_like(r[:, :1], B)
            return torch.cat([-ends, inner, ends], 1)

        kx, ky = knots(raw[:, :K]), knots(raw[:, K : 2 * K])
        inner = MIN_DERIVATIVE + activate("softplus", raw[:, 2 * K :] + DERIVATIVE_SHIFT)
        one = torch.ones_like(raw[:, :1])
        return kx, ky, torch.cat([one, inner, one], 1)

    @staticmethod
    def _bin(kx, ky, d, knots, v):
        # The last bin whose lower knot is ≤ v (interior knots only, as findBin).
        k = (v.unsqueeze(1) >= knots[:, 1:-1]).sum(1, keepdim=True)
        g = lambda t, j: t.gather(1, k + j).squeeze(1)  # noqa: E731
        x0, y0 = g(kx, 0), g(ky, 0)
        return x0, g(kx, 1) - x0, y0, g(ky, 1) - y0, g(d, 0), g(d, 1)

    @staticmethod
    def _log_slope(w, h, d0, d1, th):
        s = h / w
        t = th * (1 - th)
        den = s + (d0 + d1 - 2 * s) * t
        q = d1 * th * th + 2 * s * t + d0 * (1 - th) ** 2
        return 2 * torch.log(s) + torch.log(q) - 2 * torch.log(den)

    def forward(self, params, x):
        t = 1 - self.cond
        v = x[:, t]
        inside = (v >= -TAIL_BOUND) & (v <= TAIL_BOUND)
        vc = v.clamp(-TAIL_BOUND, TAIL_BOUND)  # keeps the unused branch finite (and its gradient 0)
        kx, ky, d = self._spline(params, x)
        x0, w, y0, h, d0, d1 = self._bin(kx, ky, d, kx, vc)
        s = h / w
        th = (vc - x0) / w
        tt = th * (1 - th)
        y = y0 + h * (s * th * th + d0 * tt) / (s + (d0 + d1 - 2 * s) * tt)
        ld = self._log_slope(w, h, d0, d1, th)
        return _replace(x, t, torch.where(inside, y, v)), torch.where(inside, ld, torch.zeros_like(ld))

    def inverse(self, params, y):
        t = 1 - self.cond
        v = y[:, t]
        inside = (v >= -TAIL_BOUND) & (v <= TAIL_BOUND)
        vc = v.clamp(-TAIL_BOUND, TAIL_BOUND)
        kx, ky, d = self._spline(params, y)
        x0, w, y0, h, d0, d1 = self._bin(kx, ky, d, ky, vc)
        s = h / w
        dy = vc - y0
        e = d0 + d1 - 2 * s
        a = dy * e + h * (s - d0)
        b = h * d0 - dy * e
        c = -s * dy
        disc = torch.clamp(b * b - 4 * a * c, min=0)
        th = 2 * c / (-b - torch.sqrt(disc))
        ld = -self._log_slope(w, h, d0, d1, th)
        return _replace(y, t, torch.where(inside, x0 + th * w, v)), torch.where(inside, ld, torch.zeros_like(ld))


def _replace(x, t, column):
    cols = [x[:, 0], column] if t == 1 else [column, x[:, 1]]
    return torch.stack(cols, 1)


class FlowModel(torch.nn.Module):
    """A 2-D flow; `params` is the playground's flat parameter vector (one tensor, so DDP,
    optimizers and checkpoints see exactly the playground's numbers)."""

    def __init__(self, kind, layers, hidden, hidden_layers=2, activation="tanh", seed=0, bins=8):
        super().__init__()
        if kind not in FLOW_KINDS:
            raise ValueError(f"model.kind for family 'flow' must be one of {', '.join(FLOW_KINDS)}, got {kind!r}.")
        self.kind = kind
        layout = ParameterLayout()
        self.layers = []
        for k in range(layers):
            cond = k % 2
            if kind == "glow":
                self.layers.append(Elementwise(layout, f"actnorm{k}", "actnorm"))
                self.layers.append(LuLinear(layout, f"lu{k}", seed, k))
            if kind == "spline":
                self.layers.append(SplineCoupling(layout, f"spline{k}", cond, bins, hidden, hidden_layers, activation))
                continue
            transform = "additive" if kind == "nice" else "affine"
            self.layers.append(Coupling(layout, f"coupling{k}", transform, cond, hidden, hidden_layers, activation))
        if kind == "nice":
            self.layers.append(Elementwise(layout, "scaling", "scaling"))
        self.layout = layout
        self.params = torch.nn.Parameter(torch.tensor(layout.initialize(seed), dtype=torch.float32))
        self.register_buffer("shift", torch.zeros(2))
        self.register_buffer("scale", torch.ones(2))
        self.data_initialized = False

    def forward_model(self, x):
        """z = f(x) and Σ log|det J| in model coordinates."""
        log_det = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for layer in self.layers:
            x, ld = layer.forward(self.params.to(x.dtype), x)
            log_det = log_det + ld
        return x, log_det

    def inverse_model(self, z):
        for layer in reversed(self.layers):
            z, _ = layer.inverse(self.params.to(z.dtype), z)
        return z

    def nll(self, x_model):
        """The training loss: mean over the batch of ½‖z‖² + log 2π − Σ log|det J| (nll.wgsl)."""
        z, log_det = self.forward_model(x_model)
        return (0.5 * (z * z).sum(1) + LOG_TWO_PI - log_det).mean()

    def loss(self, x_model, generator=None):
        return self.nll(x_model)

    def forward(self, x_model):
        """The training loss (what DistributedDataParallel calls)."""
        return self.nll(x_model)

    def log_prob(self, points):
        """log p(x) in nats, data coordinates."""
        z, log_det = self.forward_model((points - self.shift) / self.scale)
        return -0.5 * (z * z).sum(1) - LOG_TWO_PI + log_det - torch.log(self.scale[0] * self.scale[1])

    def inverse(self, z):
        """x = f⁻¹(z) in data coordinates (sampling, given the base noise z)."""
        return self.inverse_model(z) * self.scale + self.shift

    def sample(self, n, generator=None):
        z = torch.randn(n, 2, generator=generator, device=self.params.device)
        return self.inverse(z)

    @torch.no_grad()
    def initialize_from_data(self, x_model):
        """ActNorm's data-dependent initialisation (flow-model.ts initializeFromData)."""
        if self.data_initialized:
            return
        self.data_initialized = True
        x = x_model.to(torch.float64)
        p = self.params.detach().to(torch.float64).clone()
        for layer in self.layers:
            if isinstance(layer, Elementwise) and layer.kind == "actnorm":
                p[layer.offset : layer.offset + 4] = layer.data_init(x)
            x, _ = layer.forward(p, x)
        self.params.copy_(p.to(torch.float32))

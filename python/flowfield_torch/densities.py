"""The playground's built-in 2-D densities (src/data/builtins.ts) as PyTorch samplers, with the
same names, parameters and formulas, so train.py draws fresh points every step as the playground
does. Random numbers come from torch (not the playground's Philox): the distributions are the
same, the individual points are not. Each sampler computes in float64 and returns float32 [n, 2]."""

import math

import torch

TAU = 2 * math.pi


class DensityError(ValueError):
    pass


def _normals(n, g):
    return torch.randn(n, generator=g, dtype=torch.float64), torch.randn(n, generator=g, dtype=torch.float64)


def _uniform(n, g):
    return torch.rand(n, generator=g, dtype=torch.float64)


def _choice(n, k, g):
    return torch.randint(int(k), (n,), generator=g)


def gaussian(n, g, mean=(0.0, 0.0), cov=((1.0, 0.0), (0.0, 1.0))):
    (a, b), (_, c) = cov
    l11 = math.sqrt(a)
    l21 = b / l11
    l22 = math.sqrt(c - l21 * l21)
    n1, n2 = _normals(n, g)
    return mean[0] + l11 * n1, mean[1] + l21 * n1 + l22 * n2


def moons(n, g, noise=0.1):
    theta = math.pi * _uniform(n, g)
    upper = _choice(n, 2, g) == 0
    mx = torch.where(upper, torch.cos(theta), 1 - torch.cos(theta))
    my = torch.where(upper, torch.sin(theta), 0.5 - torch.sin(theta))
    n1, n2 = _normals(n, g)
    return 2 * (mx + noise * n1) - 1, 2 * (my + noise * n2) - 0.2


def circles(n, g, noise=0.08, factor=0.5):
    r = torch.where(_choice(n, 2, g) == 0, 1.0, float(factor)).to(torch.float64)
    theta = TAU * _uniform(n, g)
    n1, n2 = _normals(n, g)
    return 3 * (r * torch.cos(theta) + noise * n1), 3 * (r * torch.sin(theta) + noise * n2)


def rings(n, g, noise=0.08):
    r = 3 * (1 - _choice(n, 4, g).to(torch.float64) / 4)
    theta = TAU * _uniform(n, g)
    n1, n2 = _normals(n, g)
    return r * torch.cos(theta) + noise * n1, r * torch.sin(theta) + noise * n2


def eight_gaussians(n, g, radius=4 / 1.414, std=0.5 / 1.414):
    angle = _choice(n, 8, g).to(torch.float64) * (math.pi / 4)
    n1, n2 = _normals(n, g)
    return radius * torch.cos(angle) + std * n1, radius * torch.sin(angle) + std * n2


def twenty_five_gaussians(n, g, spacing=2 / 2.828, std=0.05 / 2.828):
    k = _choice(n, 25, g)
    n1, n2 = _normals(n, g)
    return spacing * (k % 5 - 2).to(torch.float64) + std * n1, spacing * (k // 5 - 2).to(torch.float64) + std * n2


def pinwheel(n, g, arms=5, radialStd=0.3, tangentialStd=0.1, rate=0.25):
    k = _choice(n, arms, g).to(torch.float64)
    n1, n2 = _normals(n, g)
    f0 = 1 + radialStd * n1
    f1 = tangentialStd * n2
    a = TAU * k / arms + rate * torch.exp(f0)
    c, s = torch.cos(a), torch.sin(a)
    return 2 * (f0 * c + f1 * s), 2 * (-f0 * s + f1 * c)


def swissroll(n, g, noise=1.0):
    t = 1.5 * math.pi * (1 + 2 * _uniform(n, g))
    n1, n2 = _normals(n, g)
    return (t * torch.cos(t) + noise * n1) / 5, (t * torch.sin(t) + noise * n2) / 5


def two_spirals(n, g, noise=0.1):
    s = torch.sqrt(_uniform(n, g)) * 3 * math.pi
    sign = torch.where(_choice(n, 2, g) == 0, 1.0, -1.0).to(torch.float64)
    dx = -torch.cos(s) * s + 0.5 * _uniform(n, g)
    dy = torch.sin(s) * s + 0.5 * _uniform(n, g)
    n1, n2 = _normals(n, g)
    return sign * dx / 3 + noise * n1, sign * dy / 3 + noise * n2


def checkerboard(n, g):
    x1 = 4 * _uniform(n, g) - 2
    parity = torch.remainder(torch.floor(x1), 2)
    x2 = _uniform(n, g) - 2 * _choice(n, 2, g).to(torch.float64) + parity
    return 2 * x1, 2 * x2


def line(n, g):
    x = 5 * _uniform(n, g) - 2.5
    return x, x.clone()


def sine(n, g):
    x = 5 * _uniform(n, g) - 2.5
    return x, 2.5 * torch.sin(x)


def smiley(n, g, noise=0.08):
    k = _choice(n, 10, g)
    u1, u2 = _uniform(n, g), _uniform(n, g)
    theta = TAU * u1
    face = (3 * torch.cos(theta), 3 * torch.sin(theta))
    r = 0.35 * torch.sqrt(u2)
    eye_x = torch.where(k == 5, -1.1, 1.1).to(torch.float64)
    eye = (eye_x + r * torch.cos(theta), 1.1 + r * torch.sin(theta))
    phi = math.pi + 0.5 + (math.pi - 1) * u1
    mouth = (1.8 * torch.cos(phi), 0.3 + 1.8 * torch.sin(phi))
    x = torch.where(k <= 4, face[0], torch.where(k <= 6, eye[0], mouth[0]))
    y = torch.where(k <= 4, face[1], torch.where(k <= 6, eye[1], mouth[1]))
    n1, n2 = _normals(n, g)
    return x + noise * n1, y + noise * n2


SAMPLERS = {
    "gaussian": gaussian,
    "moons": moons,
    "circles": circles,
    "rings": rings,
    "8gaussians": eight_gaussians,
    "25gaussians": twenty_five_gaussians,
    "pinwheel": pinwheel,
    "swissroll": swissroll,
    "2spirals": two_spirals,
    "checkerboard": checkerboard,
    "line": line,
    "sine": sine,
    "smiley": smiley,
}

# The parameters each density takes (the playground's names), for messages.
PARAMETERS = {
    "gaussian": ("mean", "cov"),
    "moons": ("noise",),
    "circles": ("noise", "factor"),
    "rings": ("noise",),
    "8gaussians": ("radius", "std"),
    "25gaussians": ("spacing", "std"),
    "pinwheel": ("arms", "radialStd", "tangentialStd", "rate"),
    "swissroll": ("noise",),
    "2spirals": ("noise",),
    "checkerboard": (),
    "line": (),
    "sine": (),
    "smiley": ("noise",),
}


def sample_density(name, params, n, generator=None):
    """n points [n, 2] (float32, data coordinates) of the built-in density `name` with the
    playground's parameters `params` (a dict; missing ones take the playground's defaults)."""
    if name not in SAMPLERS:
        raise DensityError(f"data.source.name must be one of {', '.join(SAMPLERS)}, found {name!r}.")
    params = dict(params or {})
    unknown = sorted(set(params) - set(PARAMETERS[name]))
    if unknown:
        expected = ", ".join(PARAMETERS[name]) or "none"
        raise DensityError(f"data.source.params of {name!r}: unknown {', '.join(unknown)} (its parameters: {expected}).")
    x, y = SAMPLERS[name](int(n), generator, **params)
    return torch.stack([x, y], 1).to(torch.float32)

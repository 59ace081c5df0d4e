"""The playground's image flows in PyTorch (src/models/image-flows/): NICE on flattened pixels
(Dinh et al. 2014), on one flat parameter vector laid out exactly as niceLayout in nice-spec.ts,
so the page's weights load without conversion and PyTorch's go back into the page.

  coupling l, parity p = l mod 2: x[2k + 1 − p] += m_l(x[2k + p])    (k = 0 … D/2 − 1)
  scaling: z = h · exp(s), log|det| = Σ_d s_d
  loss: −(log p_Z(z) + Σ s − D ln 256) / (D ln 2), the mean bits/dim on 8-bit pixels of
        y = (pixel + u) / 256 (uniform dequantization, 'unit' scaling: log|det ∂y/∂v| = −D ln 256)

m_l is an MLP D/2 → hidden × hiddenLayers (ReLU) → D/2 whose last layer starts at 0, and s starts
at 0, so a fresh model is the identity. The initial weights are the playground's (Philox keyed by
the seed, vectorised here with numpy: a 28×28 NICE has millions of weights)."""

import math

import numpy as np
import torch

from .layout import INIT_STREAM, ParameterLayout, _bound
from .philox import M0, M1, MASK, W0, W1, seed_key

LN_256 = math.log(256)
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
IMAGE_FLOW_PRIORS = ("logistic", "gaussian")


def _philox_uniform(blocks, view_index, key):
    """The four philox_unit words at the counters (i, view_index, INIT_STREAM, 0), i = 0 … blocks − 1."""
    c0 = np.arange(blocks, dtype=np.uint64)
    c1 = np.full_like(c0, view_index)
    c2 = np.full_like(c0, INIT_STREAM)
    c3 = np.zeros_like(c0)
    k0, k1 = key
    mask, shift = np.uint64(MASK), np.uint64(32)
    for _ in range(10):
        p0 = np.uint64(M0) * c0  # < 2^64: exact in uint64
        p1 = np.uint64(M1) * c2
        c0, c1, c2, c3 = ((p1 >> shift) ^ c1 ^ np.uint64(k0)) & mask, p1 & mask, ((p0 >> shift) ^ c3 ^ np.uint64(k1)) & mask, p0 & mask
        k0 = (k0 + W0) & MASK
        k1 = (k1 + W1) & MASK
    words = np.stack([c0, c1, c2, c3], 1)
    # philox_unit: (top 24 bits + ½) / 2^24, rounded to float32 (unit_from_bits in philox.py).
    return (((words >> np.uint64(8)).astype(np.float64) + 0.5) / 16777216).astype(np.float32).astype(np.float64)


def initialize_fast(layout, seed):
    """ParameterLayout.initialize (layout.py, parameters.ts) in numpy: the same float32 values."""
    key = seed_key(seed)
    values = np.zeros(layout.total, dtype=np.float32)
    for index, view in enumerate(layout.views):
        if view.init[0] == "constant":
            values[view.offset : view.offset + view.length] = view.init[1]
            continue
        blocks = (view.length + 3) // 4
        u = _philox_uniform(blocks, index, key).reshape(-1)[: view.length]
        values[view.offset : view.offset + view.length] = (_bound(view.init) * (2 * u - 1)).astype(np.float32)
    return torch.from_numpy(values)


def log_prior(prior, z):
    if prior == "gaussian":
        return -0.5 * z * z - HALF_LOG_2PI
    a = z.abs()  # logistic: −softplus(z) − softplus(−z), never overflowing
    return -a - 2 * torch.log1p(torch.exp(-a))


class NiceImage(torch.nn.Module):
    """NICE on images of `shape` = [channels, height, width]; rows y ∈ [0, 1)^D (D = c·h·w)."""

    family = "image-flow"
    kind = "nice"

    def __init__(self, shape, layers=4, hidden=128, hidden_layers=2, prior="logistic", seed=0):
        super().__init__()
        if prior not in IMAGE_FLOW_PRIORS:
            raise ValueError(f"model.prior must be 'logistic' or 'gaussian', found {prior!r}.")
        self.shape = tuple(int(s) for s in shape)
        self.dims = math.prod(self.shape)
        if self.dims % 2:
            raise ValueError(f"NICE splits an image's {self.dims} values into two equal halves; channels × height × width must be even.")
        self.layers, self.hidden, self.hidden_layers, self.prior = layers, hidden, hidden_layers, prior
        half = self.dims // 2
        self.layout = ParameterLayout()
        self.conditioners = []
        for l in range(layers):
            dense = []
            for j in range(hidden_layers + 1):
                inputs = half if j == 0 else hidden
                last = j == hidden_layers
                outputs = half if last else hidden
                w = self.layout.add(f"coupling{l}.dense{j}.weight", (outputs, inputs), ("constant", 0.0) if last else ("kaiming", inputs, math.sqrt(2)))
                b = self.layout.add(f"coupling{l}.dense{j}.bias", (outputs,), ("constant", 0.0) if last else ("fan-in", inputs))
                dense.append((w, b))
            self.conditioners.append(dense)
        self.scale_view = self.layout.add("scale", (self.dims,), ("constant", 0.0))
        self.params = torch.nn.Parameter(initialize_fast(self.layout, seed))
        # The 2-D models' normalisation, identity here: weights.py and the notebook file carry it.
        self.register_buffer("shift", torch.zeros(2))
        self.register_buffer("scale", torch.ones(2))

    def _view(self, view):
        return self.params[view.offset : view.offset + view.length].view(view.shape)

    def _conditioner(self, l, x):
        h = x
        dense = self.conditioners[l]
        for j, (w, b) in enumerate(dense):
            h = torch.nn.functional.linear(h, self._view(w).to(h.dtype), self._view(b).to(h.dtype))
            if j < len(dense) - 1:
                h = torch.relu(h)
        return h

    def _log_scale(self, dtype):
        return self._view(self.scale_view).to(dtype)

    def forward_flow(self, y):
        """z = f(y) for rows y [n, D]; log|det ∂z/∂y| (one number: the couplings preserve volume)."""
        x = y.reshape(y.shape[0], self.dims)
        for l in range(self.layers):
            p = l % 2
            moved = x[:, 1 - p :: 2] + self._conditioner(l, x[:, p::2])
            x = _interleave(x[:, p::2], moved, p)
        s = self._log_scale(x.dtype)
        return x * torch.exp(s), s.sum()

    def inverse(self, z):
        s = self._log_scale(z.dtype)
        x = z.reshape(z.shape[0], self.dims) * torch.exp(-s)
        for l in reversed(range(self.layers)):
            p = l % 2
            moved = x[:, 1 - p :: 2] - self._conditioner(l, x[:, p::2])
            x = _interleave(x[:, p::2], moved, p)
        return x

    def log_prob(self, y, pre_log_det=None):
        """log p(y) in nats per row, plus the pre-processing's log-det (−D ln 256 for 'unit' on 8-bit pixels)."""
        z, log_det = self.forward_flow(y)
        out = log_prior(self.prior, z).sum(1) + log_det
        return out if pre_log_det is None else out + pre_log_det

    def bits_per_dim(self, y):
        """Bits/dim of each row on 8-bit pixels, for y = (pixel + u) / 256."""
        return -self.log_prob(y, -self.dims * LN_256) / (self.dims * math.log(2))

    def sample(self, n, generator=None, temperature=1.0):
        """n images as 8-bit pixels [n, c, h, w]: y = f⁻¹(temperature · ε), ε ~ prior, pixel = clamp(⌊256 y⌋)."""
        if self.prior == "gaussian":
            eps = torch.randn(n, self.dims, generator=generator)
        else:
            u = torch.rand(n, self.dims, generator=generator).clamp(1e-7, 1 - 1e-7)
            eps = torch.log(u) - torch.log1p(-u)
        y = self.inverse((temperature * eps).to(self.params.device))
        return torch.clamp(torch.floor(256 * y), 0, 255).to(torch.uint8).view(n, *self.shape).cpu()

    def forward(self, y):
        """The training loss: the mean bits/dim of the batch (nice-reference.ts niceLossGradCpu)."""
        return self.bits_per_dim(y).mean()


def _interleave(conditioning, moved, parity):
    """The row with x[2k + parity] = conditioning[k] and x[2k + 1 − parity] = moved[k]."""
    pair = (conditioning, moved) if parity == 0 else (moved, conditioning)
    return torch.stack(pair, 2).reshape(conditioning.shape[0], -1)


def build_image_model(spec):
    """The PyTorch model of the lab's image-model spec (config.json's imageModel: imageModelSpec)."""
    kind = spec.get("kind")
    if kind != "nice":
        raise ValueError(
            f"The PyTorch export trains NICE among the image models; this notebook's image model is {kind!r}. "
            "Choose NICE on images in the Model cell, or train it in the playground."
        )
    return NiceImage(
        spec["shape"],
        layers=int(spec.get("layers", 4)),
        hidden=int(spec.get("hidden", 128)),
        hidden_layers=int(spec.get("hiddenLayers", 2)),
        prior=spec.get("prior", "logistic"),
        seed=int(spec.get("seed", 0)),
    )

"""Activations and the MLP over a flat parameter vector (src/nn/activations.ts,
src/nn/reference/dense.ts): W is outputs × inputs, y = act(x Wᵀ + b), no activation last."""

import math

import torch
import torch.nn.functional as F

_GELU_C = math.sqrt(2 / math.pi)


def activate(name, z):
    if name == "identity":
        return z
    if name == "relu":
        return torch.relu(z)
    if name == "leaky-relu":
        return F.leaky_relu(z, 0.01)
    if name == "tanh":
        return torch.tanh(z)
    if name == "silu":
        return F.silu(z)
    if name == "gelu":
        # The tanh form, as the playground's kernels compute it.
        return 0.5 * z * (1 + torch.tanh(_GELU_C * (z + 0.044715 * z**3)))
    if name == "softplus":
        return torch.clamp(z, min=0) + torch.log1p(torch.exp(-z.abs()))
    raise ValueError(f"Unknown activation {name!r}.")


def mlp(params, offset, layers, activation, x):
    """The MLP whose parameters start at `offset`; `layers` is [(inputs, outputs), …]."""
    h = x
    at = offset
    for l, (fan_in, fan_out) in enumerate(layers):
        w = params[at : at + fan_in * fan_out].view(fan_out, fan_in)
        at += fan_in * fan_out
        b = params[at : at + fan_out]
        at += fan_out
        h = h @ w.t() + b
        if l < len(layers) - 1:
            h = activate(activation, h)
    return h

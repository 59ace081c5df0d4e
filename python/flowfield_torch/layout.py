"""The playground's parameter layout (src/nn/parameters.ts, src/nn/mlp-shape.ts): one flat
float32 vector with named views in a fixed order, initialised from Philox keyed by the seed.
Names, shapes, order and initial values equal the playground's, so weights move both ways."""

import math

from .philox import seed_key, uniform4

INIT_STREAM = 0x1417
RELU_LIKE = ("relu", "leaky-relu", "silu", "gelu")


class View:
    __slots__ = ("name", "offset", "shape", "length", "init")

    def __init__(self, name, offset, shape, init):
        self.name = name
        self.offset = offset
        self.shape = tuple(shape)
        self.length = math.prod(shape)
        self.init = init


class ParameterLayout:
    def __init__(self):
        self.views = []
        self.total = 0

    def add(self, name, shape, init):
        if any(v.name == name for v in self.views):
            raise ValueError(f'Parameter "{name}" is defined twice in one layout.')
        view = View(name, self.total, shape, init)
        self.views.append(view)
        self.total += view.length
        return view

    def initialize(self, seed):
        """Initial values for `seed`: element i of view v uses counter (i/4, v, INIT_STREAM, 0)."""
        key = seed_key(seed)
        values = [0.0] * self.total
        for index, view in enumerate(self.views):
            kind = view.init[0]
            bound = _bound(view.init)
            for i in range(0, view.length, 4):
                u = uniform4((i // 4, index, INIT_STREAM, 0), key)
                for k in range(4):
                    if i + k < view.length:
                        values[view.offset + i + k] = view.init[1] if kind == "constant" else bound * (2 * u[k] - 1)
        return values


def _bound(init):
    kind = init[0]
    if kind == "kaiming":
        _, fan_in, gain = init
        return gain * math.sqrt(3 / fan_in)
    if kind == "xavier":
        _, fan_in, fan_out, gain = init
        return gain * math.sqrt(6 / (fan_in + fan_out))
    if kind == "fan-in":
        return 1 / math.sqrt(init[1])
    return 0.0


def mlp_layers(inputs, hidden, hidden_layers, outputs):
    """(inputs, outputs) of the hidden_layers + 1 linear layers."""
    return [
        (inputs if l == 0 else hidden, outputs if l == hidden_layers else hidden) for l in range(hidden_layers + 1)
    ]


def add_mlp(layout, prefix, inputs, hidden, hidden_layers, outputs, activation, zero_last=False):
    """An MLP's weights W (outputs × inputs) and biases, layer by layer (addMlpParameters)."""
    relu_like = activation in RELU_LIKE
    layers = mlp_layers(inputs, hidden, hidden_layers, outputs)
    offset = layout.total
    for l, (fan_in, fan_out) in enumerate(layers):
        last = l == len(layers) - 1
        if last and zero_last:
            w_init = ("constant", 0.0)
        elif relu_like and not last:
            w_init = ("kaiming", fan_in, math.sqrt(2))
        else:
            w_init = ("xavier", fan_in, fan_out, 1.0)
        layout.add(f"{prefix}.{l}.weight", (fan_out, fan_in), w_init)
        layout.add(
            f"{prefix}.{l}.bias", (fan_out,), ("constant", 0.0) if last and zero_last else ("fan-in", fan_in)
        )
    return offset, layers

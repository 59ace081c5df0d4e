"""The exponential moving average of the weights, as the playground's optimizer keeps it
(src/nn/reference/optimizer.ts): after every step ema ← d·ema + (1 − d)·θ, starting from the
weights training began with. With decay 0 (a notebook's setting) the EMA is the weights."""

import torch


class Ema:
    def __init__(self, decay, params):
        if not 0 <= decay < 1:
            raise ValueError(f"config.json ema must be a decay in [0, 1), found {decay!r}.")
        self.decay = decay
        self.weights = params.detach().clone() if decay > 0 else None

    @property
    def active(self):
        return self.weights is not None

    @torch.no_grad()
    def update(self, params):
        if self.weights is not None:
            self.weights.mul_(self.decay).add_(params.detach(), alpha=1 - self.decay)

    def state_dict(self):
        return None if self.weights is None else self.weights.detach().cpu().clone()

    def load_state_dict(self, state):
        if self.weights is not None and state is not None:
            self.weights.copy_(state)

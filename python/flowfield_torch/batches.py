"""The playground's training draws, reproduced bit for bit from Philox (training.ts
trainingBatchTwin): for step `step` and sample b, DDPM's timestep index or flow matching's t, and ε.
Used to train on exactly the playground's batches (parity tests); train.py draws its own."""

import torch

from .philox import normal4, philox4x32_10, seed_key, unit_from_bits

TRAIN_STREAM = 0x54524E44


def playground_draws(kind, timesteps, seed, step, batch):
    key = seed_key(seed)
    times, eps = [], []
    for b in range(batch):
        bits = philox4x32_10((b, step, TRAIN_STREAM, 0), key)
        times.append(unit_from_bits(bits[1]) if kind == "flow-matching" else (bits[0] * timesteps) >> 32)
        eps.append(normal4((b, step, TRAIN_STREAM, 1), key)[:2])
    t = torch.tensor(times, dtype=torch.float32 if kind == "flow-matching" else torch.int64)
    return t, torch.tensor(eps, dtype=torch.float32)


SAMPLER_STREAM = 0x53414D50


def playground_noise(seed, n, first_index=0, step=0, dtype=torch.float32):
    """The playground's sampling noise (reference.ts samplerNoise): sample b at Philox counter
    step k draws normal4((b, k, 'SAMP', 0)) keyed by the seed. Step 0 is the initial noise z
    (initialNoise; reflow pairs start from it too), step k ≥ 1 the ancestral sampler's noise of
    its k-th step, so a sampler given these is comparable with the playground's."""
    key = seed_key(seed)
    return torch.tensor([normal4((first_index + b, step, SAMPLER_STREAM, 0), key)[:2] for b in range(n)], dtype=dtype)

"""What train.py trains on, in model coordinates z = (x − shift) / scale (the playground's
normalisation, exported in config.json): a built-in density drawn afresh every step, a pool of
points (drawn grids and uploaded point sets, exported as data.safetensors), or a reflow teacher's
(x, z) pairs. Every draw reads one torch.Generator, so a (seed, step) fixes the batch."""

import os

import torch

from . import st_io
from .densities import sample_density
from .image_data import ImageData, load_image_data


class DataError(ValueError):
    pass


class DensityData:
    """A built-in density (config.data.source = {"kind": "builtin", "name", "params"})."""

    def __init__(self, name, params, shift, scale):
        self.name, self.params = name, dict(params or {})
        self.shift, self.scale = shift, scale
        sample_density(name, self.params, 1)  # a bad name or parameter fails here, with its reason

    def draw(self, n, generator):
        """(x₀ [n, 2] in model coordinates, None): the noise is the model's to draw."""
        return (sample_density(self.name, self.params, n, generator) - self.shift) / self.scale, None


class PoolData:
    """Points drawn by the playground (data.safetensors), sampled with replacement."""

    def __init__(self, points, shift, scale):
        self.pool = (points - shift) / scale

    def draw(self, n, generator):
        return self.pool[torch.randint(len(self.pool), (n,), generator=generator)], None


class PairData:
    """Reflow pairs (x = the teacher's ODE image of z, z), model coordinates, sampled with replacement."""

    def __init__(self, x, z):
        self.x, self.z = x, z

    def draw(self, n, generator):
        idx = torch.randint(len(self.x), (n,), generator=generator)
        return self.x[idx], self.z[idx]


def normalization_of(config):
    n = config["data"].get("normalization")
    if not isinstance(n, dict) or len(n.get("shift", ())) != 2 or len(n.get("scale", ())) != 2:
        raise DataError(f'config.json data.normalization must be {{"shift": [a, b], "scale": [c, d]}}, found {n!r}.')
    return torch.tensor(n["shift"], dtype=torch.float32), torch.tensor(n["scale"], dtype=torch.float32)


def load_data(folder, config):
    """The training data of an export (reflow pairs are made by training.py from the teacher)."""
    data = config["data"]
    shift, scale = normalization_of(config)
    source = data.get("source") or {}
    if source.get("kind") == "images":
        return ImageData(load_image_data(folder, config))
    if source.get("kind") == "builtin" and "file" not in data:
        return DensityData(source.get("name"), source.get("params"), shift, scale)
    name = data.get("file", "data.safetensors")
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file; config.json's data.file names the exported points.")
    tensors, _ = st_io.load(path)
    if "points" not in tensors or tensors["points"].dim() != 2 or tensors["points"].shape[1] != 2:
        raise DataError(f'{name}: expected a tensor "points" of shape [n, 2].')
    return PoolData(tensors["points"], shift, scale)

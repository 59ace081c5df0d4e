"""A small export folder for tests, built the way the exporter lays one out."""

import json
import os
import shutil
import sys

import torch

PYTHON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PYTHON)

from flowfield_torch import st_io  # noqa: E402


def make_export(folder, model, train, normalization=None, points=2048, builtin=None, ema=None):
    """builtin: {"name", "params"} of a built-in density drawn each step instead of a point pool."""
    shutil.copytree(os.path.join(PYTHON, "flowfield_torch"), os.path.join(folder, "flowfield_torch"), ignore=shutil.ignore_patterns("__pycache__"))
    for script in ("train.py", "sample.py"):
        shutil.copy(os.path.join(PYTHON, script), folder)
    config = {
        "format": "flowfield-torch",
        "version": 1,
        "model": model,
        "train": train,
        "data": {"file": "data.safetensors", "normalization": normalization or {"shift": [0.5, 0.25], "scale": [0.87, 0.5]}},
        **({"ema": ema} if ema is not None else {}),
        "seeds": {"data": 3},
        "trainId": "train1",
    }
    if builtin:
        del config["data"]["file"]
        config["data"]["source"] = {"kind": "builtin", "seed": 3, **builtin}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)
    if builtin:
        return config
    g = torch.Generator().manual_seed(0)
    t = torch.rand(points, generator=g) * 3.14159
    pts = torch.stack([torch.cos(t), torch.sin(t)], 1) + 0.1 * torch.randn(points, 2, generator=g)
    st_io.save(os.path.join(folder, "data.safetensors"), {"points": pts})
    return config

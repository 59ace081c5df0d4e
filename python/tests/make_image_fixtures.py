"""Writes the PyTorch side of the image-flow parity test (test/torch/image-flows.test.ts) as
image-flows.json: for small NICE models on 4×4 and 2×6 images, the layout and initial weights,
given weights and dequantized images, log p and bits/dim (float64), the float32 training loss and
its autograd gradient, and one Adam step (float64). The test runs the playground's float64 twin
(src/models/image-flows/nice-reference.ts) on the same numbers."""

import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from flowfield_torch.image_data import dequantize  # noqa: E402
from flowfield_torch.image_flows import LN_256, NiceImage  # noqa: E402
from flowfield_torch.weights import save_notebook  # noqa: E402

LEARNING_RATE = 1e-3
CASES = {
    "nice-logistic": {"shape": [1, 4, 4], "layers": 3, "hidden": 10, "hiddenLayers": 2, "prior": "logistic", "seed": 5},
    "nice-gaussian": {"shape": [2, 2, 3], "layers": 2, "hidden": 5, "hiddenLayers": 1, "prior": "gaussian", "seed": 9},
}


def floats(t):
    return t.detach().reshape(-1).to(torch.float64).tolist()


def case(spec, g, batch=6):
    model = NiceImage(spec["shape"], spec["layers"], spec["hidden"], spec["hiddenLayers"], spec["prior"], spec["seed"])
    init = floats(model.params)
    # Weights with every part at work (a fresh model's last layers and scales are 0).
    params = (0.4 * torch.randn(model.layout.total, generator=g)).to(torch.float32)
    pixels = torch.randint(0, 256, (batch, *spec["shape"]), generator=g, dtype=torch.uint8)
    y = dequantize(pixels, g)
    with torch.no_grad():
        model.params.copy_(params)
    wide = NiceImage(spec["shape"], spec["layers"], spec["hidden"], spec["hiddenLayers"], spec["prior"], spec["seed"]).double()
    with torch.no_grad():
        wide.params.copy_(params.double())
        y64 = y.double()
        z, log_det = wide.forward_flow(y64)
        log_prob = wide.log_prob(y64, -model.dims * LN_256)
        bits = wide.bits_per_dim(y64)
    loss = model(y)
    loss.backward()
    # One Adam step (float64, so that tiny gradients step alike on both sides).
    opt = torch.optim.Adam([wide.params], lr=LEARNING_RATE)
    step_loss = wide(y64)
    opt.zero_grad()
    step_loss.backward()
    opt.step()
    return {
        "spec": {"family": "image-flow", "kind": "nice", **spec},
        "layout": [{"name": v.name, "shape": list(v.shape)} for v in model.layout.views],
        "init": init,
        "params": floats(params),
        "y": floats(y),
        "batch": batch,
        "z": floats(z),
        "logDet": float(log_det),
        "logProb": floats(log_prob),
        "bitsPerDim": floats(bits),
        "loss": float(loss),
        "grads": floats(model.params.grad),
        "adam": {"lr": LEARNING_RATE, "loss": float(step_loss), "after": floats(wide.params)},
    }


NOTEBOOK = {
    "format": "flowfield-notebook",
    "version": 3,
    "notebook": {
        "version": 3,
        "title": "NICE on MNIST 14",
        "cells": [
            {"id": "data-1", "collapsed": False, "kind": "data", "title": "MNIST", "source": {"kind": "images", "name": "mnist", "size": 14, "seed": 1}},
            {
                "id": "model-1", "collapsed": False, "kind": "model", "title": "NICE",
                "model": {
                    "family": "flow", "kind": "nice", "layers": 4, "hidden": 32, "hiddenLayers": 2, "activation": "tanh", "seed": 3,
                    "timesteps": 100, "noiseSchedule": "cosine", "prediction": "eps",
                    "image": {"kind": "nice", "options": {"layers": 2, "hidden": 8, "hiddenLayers": 1, "prior": "logistic"}},
                },
                "train": {"optimizer": "adam", "learningRate": 0.001, "schedule": "constant", "batch": 16, "steps": 7},
            },
            {"id": "train-1", "collapsed": False, "kind": "train", "smoothing": 0.6, "logScale": False},
        ],
    },
}


def notebook_round_trip(out_dir, g):
    """PyTorch's weights of the notebook's NICE written into the notebook file (save_notebook), and
    the log p they give three images: the test opens the file and runs the twin on its weights."""
    options = NOTEBOOK["notebook"]["cells"][1]["model"]["image"]["options"]
    model = NiceImage([1, 14, 14], options["layers"], options["hidden"], options["hiddenLayers"], options["prior"], 3)
    with torch.no_grad():
        model.params.copy_(0.3 * torch.randn(model.layout.total, generator=g))
    save_notebook(os.path.join(out_dir, "image-notebook.flowfield.json"), NOTEBOOK, "train-1", model, 7, {"shift": [0, 0], "scale": [1, 1]})
    y = dequantize(torch.randint(0, 256, (3, 196), generator=g, dtype=torch.uint8), g)
    wide = NiceImage([1, 14, 14], options["layers"], options["hidden"], options["hiddenLayers"], options["prior"], 3).double()
    with torch.no_grad():
        wide.params.copy_(model.params.double())
        return {"y": floats(y), "logProb": floats(wide.log_prob(y.double(), -196 * LN_256))}


def write(out_dir, g):
    cases = {name: case(spec, g) for name, spec in CASES.items()}
    with open(os.path.join(out_dir, "image-flows.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases, "notebook": notebook_round_trip(out_dir, g)}, f)
    print(f"wrote {len(cases)} image-flow parity cases to {out_dir}/image-flows.json")


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    write(sys.argv[1], torch.Generator().manual_seed(99))

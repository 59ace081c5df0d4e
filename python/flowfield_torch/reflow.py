"""Reflow in PyTorch (src/models/diffusion/reflow.ts): a trained flow-matching teacher carries
the playground's own noise z (Philox, seeded by the student's seed: batches.py playground_noise)
to x = its ODE image of z with its RK4 sampler, in the teacher's model coordinates; the student
then trains on these fixed (x, z) pairs. The export carries the teacher's weights
(teacher.safetensors) and config.json's "reflow" says how the playground made its pairs."""

import os

from .batches import playground_noise
from .config import build_model
from .data import DataError, PairData
from .weights import load_weights


def make_pairs(teacher, count, steps, seed, sampler="rk4"):
    """(x, z), model coordinates: z the playground's initial noise of `seed`, x its image."""
    if teacher.kind != "flow-matching":
        raise DataError(f"a reflow teacher must be a flow-matching model (its ODE makes the pairs), found {teacher.kind!r}.")
    z = playground_noise(seed, count).to(teacher.params.device)
    return teacher.sample_model(z, sampler, steps), z


def reflow_data(folder, config, log=None):
    """The pairs a reflow student of this export trains on."""
    reflow = config.get("reflow")
    if not isinstance(reflow, dict) or not isinstance(reflow.get("teacher"), dict):
        raise DataError(
            'config.json: a model with pairing "reflow" needs a "reflow" object with its teacher '
            "(export the notebook again with the teacher trained)."
        )
    teacher_config = reflow["teacher"]
    teacher = build_model(teacher_config["model"])
    path = os.path.join(folder, teacher_config.get("weights", "teacher.safetensors"))
    if not os.path.exists(path):
        raise DataError(f"{path}: the reflow teacher's weights are missing; export the notebook again.")
    load_weights(path, teacher)
    count, steps, seed = int(reflow["pairs"]), int(reflow["steps"]), int(reflow["seed"])
    sampler = reflow.get("sampler", "rk4")
    x, z = make_pairs(teacher, count, steps, seed, sampler)
    if log:
        log(f"made {count} reflow pairs with the teacher's {sampler} sampler ({steps} steps)")
    return PairData(x.detach(), z)

"""Model weights ↔ the playground's `.safetensors` (modelSafetensors in src/notebook/safetensors.ts):
one flat F32 tensor `params` in layout order (or one tensor per layout name), with the model
settings, normalisation, steps and Train cell id as JSON in `__metadata__`."""

import base64
import json
import struct

import torch

from . import st_io


class WeightsError(ValueError):
    pass


def save_weights(path, model, settings, steps, train_id, normalization=None):
    metadata = {
        "format": "flowfield",
        "flowfield.model": json.dumps(settings, separators=(",", ":")),
        "flowfield.normalization": json.dumps(
            normalization or {"shift": model.shift.tolist(), "scale": model.scale.tolist()}, separators=(",", ":")
        ),
        "flowfield.steps": str(int(steps)),
        "flowfield.trainId": train_id,
    }
    st_io.save(path, {"params": model.params.detach().cpu()}, metadata)


def load_weights(path, model):
    """Loads a playground (or train.py) `.safetensors` into `model`; nothing changes unless every
    tensor fits. Returns the metadata."""
    tensors, metadata = st_io.load(path)
    flat = _flat(tensors, model, path)
    if "flowfield.normalization" in metadata:
        n = json.loads(metadata["flowfield.normalization"])
        shift, scale = torch.tensor(n["shift"]), torch.tensor(n["scale"])
    else:
        shift, scale = model.shift, model.scale
    with torch.no_grad():
        model.params.copy_(flat)
        model.shift.copy_(shift)
        model.scale.copy_(scale)
    if hasattr(model, "data_initialized"):
        model.data_initialized = True
    return metadata


def _flat(tensors, model, path):
    total = model.layout.total
    if "params" in tensors:
        t = tensors["params"]
        if tuple(t.shape) != (total,):
            raise WeightsError(
                f'{path}: tensor "params" has shape {list(t.shape)}, but this model expects [{total}] '
                f"({model.kind}, {len(model.layout.views)} parameter tensors). Export the weights of a model with the same settings."
            )
        return t
    parts = []
    for view in model.layout.views:
        if view.name not in tensors:
            raise WeightsError(f'{path}: tensor "{view.name}" (shape {list(view.shape)}) is missing.')
        t = tensors[view.name]
        if tuple(t.shape) != view.shape:
            raise WeightsError(
                f'{path}: tensor "{view.name}" has shape {list(t.shape)}, expected {list(view.shape)}.'
            )
        parts.append(t.reshape(-1))
    return torch.cat(parts)


def save_notebook(path, notebook_file, train_id, model, steps, normalization):
    """The exported `.flowfield.json` (notebook_file, as parsed JSON) with this Train cell's
    weights replaced by the model's: a file the playground's Files → Open file… opens with the
    trained model in place (src/notebook/files.ts: base64 of little-endian float32)."""
    values = model.params.detach().cpu().reshape(-1).tolist()
    entry = {
        "trainId": train_id,
        "steps": int(steps),
        "normalization": normalization,
        "float32": base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii"),
    }
    doc = dict(notebook_file)
    doc["weights"] = [w for w in doc.get("weights", []) if w.get("trainId") != train_id] + [entry]
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    import os

    os.replace(tmp, path)

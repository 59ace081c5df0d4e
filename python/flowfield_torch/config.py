"""config.json of an exported Flowfield notebook → model, data and training settings. Every
error names the field, what was expected and what was found."""

import json

from .diffusion import DiffusionModel
from .flows import FlowModel
from .image_flows import build_image_model

FORMAT = "flowfield-torch"


class ConfigError(ValueError):
    pass


def load_config(path):
    try:
        with open(path) as f:
            config = json.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; run from the exported folder or pass --config.") from None
    except ValueError as e:
        raise ConfigError(f"{path} is not JSON ({e}).") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ConfigError(f'{path}: expected a Flowfield export ("format": "{FORMAT}"), found {str(config)[:80]!r}.')
    for field in ("model", "train", "data"):
        if not isinstance(config.get(field), dict):
            raise ConfigError(f"{path}: field {field!r} must be an object, found {config.get(field)!r}.")
    return config


def build_model(settings, image=None):
    """The PyTorch model of a notebook Model cell's settings (the worker's modelSpec mapping), or
    with `image` (config.json's imageModel, the lab's image-model spec) that image model."""
    if image is not None:
        return build_image_model(image)
    family, kind = settings.get("family"), settings.get("kind")
    if family == "flow":
        return FlowModel(
            kind,
            settings["layers"],
            settings["hidden"],
            settings.get("hiddenLayers", 2),
            settings.get("activation", "tanh"),
            settings.get("seed", 0),
        )
    if family == "diffusion":
        ddpm = kind == "ddpm"
        return DiffusionModel(
            kind,
            hidden=settings["hidden"],
            layers=settings.get("hiddenLayers", 3),
            activation=settings.get("activation", "silu"),
            seed=settings.get("seed", 0),
            timesteps=settings.get("timesteps", 1000) if ddpm else 1000,
            schedule=settings.get("noiseSchedule", "linear") if ddpm else "linear",
            prediction=settings.get("prediction", "eps") if ddpm else "eps",
            pairing=settings.get("pairing", "independent") if not ddpm else "independent",
        )
    raise ConfigError(f"model.family must be 'flow' or 'diffusion', found {family!r}.")

"""flowfield_torch: the models of a Flowfield notebook in PyTorch, with the playground's
parameter layout, so weights move between the browser and PyTorch without conversion."""

from .diffusion import DiffusionModel, Schedule
from .flows import FlowModel
from .st_io import SafetensorsError

__all__ = ["DiffusionModel", "FlowModel", "Schedule", "SafetensorsError"]

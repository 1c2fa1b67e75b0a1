"""Models the loops drive: :class:`BaseModel` and its DDP wrapper, usable without a Runner.

A model computes losses and predictions in ``forward(..., mode=...)``; its step methods turn
one batch into one optimization step or one batch of predictions. For several processes,
:class:`DistributedModel` wraps it in DDP and keeps the model's own ``train_step``.
"""

from ._base_model import LOSS_KEY, BaseModel, ForwardMode, forward_batch, move_to_device
from ._wrappers import DistributedModel, wrap_model

__all__ = [
    "LOSS_KEY",
    "BaseModel",
    "DistributedModel",
    "ForwardMode",
    "forward_batch",
    "move_to_device",
    "wrap_model",
]

"""DistributedModel: DDP around a BaseModel, with the step methods the loops call.

Calling ``ddp.module.train_step`` would run the bare module's forward and skip DDP's
gradient all-reduce. This wrapper's :meth:`DistributedModel.train_step` calls the model's
``train_step`` with ``caller=`` the wrapper, so the forward runs through DDP and gradients
are averaged across processes. Unlike MMEngine's ``MMDistributedDataParallel``, which runs
its own copy of the step, a model's own ``train_step`` is kept under DDP: it must take
``caller`` (checked when the model is wrapped).
"""

from __future__ import annotations

import inspect
from typing import Any, cast

import torch
from torch.nn.parallel import DistributedDataParallel

from ..optim import OptimWrapper
from ._base_model import BaseModel


class DistributedModel(DistributedDataParallel):
    """``DistributedDataParallel`` for a :class:`BaseModel`.

    Args:
        module: The model.
        **kwargs: Passed to ``DistributedDataParallel`` (``device_ids``,
            ``find_unused_parameters``, ...).

    Raises:
        TypeError: ``module`` is not a :class:`BaseModel`, or its own ``train_step`` takes no
            ``caller`` (so its forward could not run through DDP).
    """

    def __init__(self, module: BaseModel, **kwargs: Any) -> None:
        if not isinstance(module, BaseModel):
            raise TypeError(f"DistributedModel wraps a BaseModel, got {type(module).__name__}")
        _check_train_step(module)
        super().__init__(module, **kwargs)

    @property
    def model(self) -> BaseModel:
        """The wrapped model."""
        return cast(BaseModel, self.module)  # checked in __init__

    def train_step(self, data: Any, optim_wrapper: OptimWrapper) -> dict[str, torch.Tensor]:
        """The model's ``train_step``, with the forward run through DDP."""
        return self.model.train_step(data, optim_wrapper, caller=self)

    def val_step(self, data: Any) -> Any:
        """:meth:`BaseModel.val_step` of the wrapped model (no gradients, nothing to sync)."""
        return self.model.val_step(data)

    def test_step(self, data: Any) -> Any:
        """:meth:`BaseModel.test_step` of the wrapped model."""
        return self.model.test_step(data)


def _check_train_step(module: BaseModel) -> None:
    """Reject a model whose own ``train_step`` cannot be given the DDP wrapper as ``caller``."""
    if type(module).train_step is BaseModel.train_step:
        return
    parameters = inspect.signature(module.train_step).parameters.values()
    if any(p.name == "caller" or p.kind is p.VAR_KEYWORD for p in parameters):
        return
    name = type(module).__name__
    raise TypeError(
        f"{name}.train_step takes no 'caller', so under DistributedModel its forward would "
        "skip DDP and gradients would not be averaged: add a keyword 'caller' and run the "
        "forward through it (caller(*batch, mode='loss')), or pass it on "
        "(super().train_step(data, optim_wrapper, caller=caller))"
    )


def wrap_model(model: Any, distributed: bool) -> Any:
    """Put the model on this process's device and wrap it in :class:`DistributedModel`."""
    if not distributed:
        return model
    if torch.cuda.is_available():
        device = torch.device("cuda", torch.cuda.current_device())
        return DistributedModel(model.to(device), device_ids=[device.index])
    return DistributedModel(model)

"""DistributedModel: DDP around a BaseModel, with the step methods the loops call.

Calling ``ddp.module.train_step`` would run the bare module's forward and skip DDP's
gradient all-reduce. This wrapper's :meth:`DistributedModel.train_step` runs the forward
through DDP, so gradients are averaged across processes (MMEngine's
``MMDistributedDataParallel`` does the same).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import torch
from torch.nn.parallel import DistributedDataParallel

from ._model import BaseModel

if TYPE_CHECKING:
    from ._optim import OptimWrapper


class DistributedModel(DistributedDataParallel):
    """``DistributedDataParallel`` for a :class:`BaseModel`.

    Args:
        module: The model.
        **kwargs: Passed to ``DistributedDataParallel`` (``device_ids``,
            ``find_unused_parameters``, ...).

    Raises:
        TypeError: ``module`` is not a :class:`BaseModel`.
    """

    def __init__(self, module: BaseModel, **kwargs: Any) -> None:
        if not isinstance(module, BaseModel):
            raise TypeError(f"DistributedModel wraps a BaseModel, got {type(module).__name__}")
        super().__init__(module, **kwargs)

    @property
    def model(self) -> BaseModel:
        """The wrapped model."""
        return cast(BaseModel, self.module)  # checked in __init__

    def train_step(self, data: Any, optim_wrapper: OptimWrapper) -> dict[str, torch.Tensor]:
        """:meth:`BaseModel.train_step`, with the forward run through DDP."""
        return BaseModel.train_step(self.model, data, optim_wrapper, caller=self)

    def val_step(self, data: Any) -> Any:
        """:meth:`BaseModel.val_step` of the wrapped model (no gradients, nothing to sync)."""
        return self.model.val_step(data)

    def test_step(self, data: Any) -> Any:
        """:meth:`BaseModel.test_step` of the wrapped model."""
        return self.model.test_step(data)

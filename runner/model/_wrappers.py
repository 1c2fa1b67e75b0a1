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
from collections.abc import Mapping
from typing import Any, cast

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from container import ConfigError
from providers import PATH, with_section

from .._registries import MODEL_WRAPPERS
from .._sections import build_at, mapping_section
from ..optim import OptimWrapper
from ._base_model import BaseModel

WRAPPER_SECTION = "model_wrapper_cfg"
"""The config key that chooses the model wrapper (MMEngine's name)."""


@MODEL_WRAPPERS.register_module()
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
        if not (dist.is_available() and dist.is_initialized()):
            raise ConfigError(
                f"{PATH} is DistributedModel, which needs a process group, and none is joined: "
                "start with torchrun --nproc-per-node N -m runner train CONFIG --launcher pytorch",
                config_path=WRAPPER_SECTION,
            )
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


def wrap_model(model: Any, distributed: bool, cfg: Mapping[str, Any] | None = None) -> Any:
    """Wrap the model as ``model_wrapper_cfg`` says, or in :class:`DistributedModel` under
    torchrun when it says nothing (a single process: the model itself).

    Args:
        model: The model.
        distributed: Whether a process group was joined.
        cfg: The ``model_wrapper_cfg`` node (``{type: FullyShardedModel, ...}``), or None.

    Raises:
        RegwireError: The node is wrong, or its wrapper needs a process group (naming
            ``model_wrapper_cfg``).
    """
    if cfg is None:
        if not distributed:
            return model
        cfg = {"type": "DistributedModel"}
    node = dict(
        mapping_section(cfg, WRAPPER_SECTION, "a mapping such as {type: FullyShardedModel}")
    )
    if node.get("type") == "DistributedModel" and distributed and torch.cuda.is_available():
        device = torch.device("cuda", torch.cuda.current_device())
        model = model.to(device)
        node.setdefault("device_ids", [device.index])
    try:
        return build_at(MODEL_WRAPPERS, node, WRAPPER_SECTION, module=model)
    except ConfigError as exc:  # a wrapper's own check names its argument: put the key first
        if exc.config_path is not None and exc.config_path.startswith(WRAPPER_SECTION):
            raise
        raise with_section(exc, WRAPPER_SECTION) from exc.__cause__

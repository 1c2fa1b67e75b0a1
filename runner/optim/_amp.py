"""AmpOptimWrapper: mixed precision with MMEngine's name and arguments.

The forward runs under ``torch.autocast`` on the model's device (:meth:`optim_context`);
with ``float16`` a ``GradScaler`` scales the loss before backward, unscales the gradients
before clipping, skips steps with inf/NaN gradients and adapts its scale, and its state is
saved with the optimizer's under ``loss_scaler`` (MMEngine's key). ``bfloat16`` has the range
of float32 and needs no scaler: it runs on CUDA and on the CPU, without a scaler unless
``loss_scale`` asks for one (MMEngine makes one for every dtype; with bfloat16 it is harmless).
float16 needs CUDA (torch's CPU autocast of float16 is slow and without a scaler loses small
gradients): building it without CUDA is a config error, and ``regwire check`` warns (a GPU
config is checked on a CPU host too).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, ExitStack
from typing import Any

import torch
from torch import nn

from container import ConfigError, did_you_mean
from providers import PATH

from .._registries import OPTIM_WRAPPERS
from ._optim_wrapper import NO_CONTEXT, OptimWrapper

AMP_DTYPES = ("float16", "bfloat16")
"""The ``dtype`` values of :class:`AmpOptimWrapper`."""


def amp_dtype_problem(dtype: Any, path: str, cuda: bool | None = None) -> ConfigError | None:
    """Why ``dtype`` cannot be the ``dtype`` of an :class:`AmpOptimWrapper` here (None when it
    can): not one of :data:`AMP_DTYPES`, or float16 without CUDA. ``path`` is the wrapper's
    config path; ``cuda`` whether CUDA is available (asked of torch when None)."""
    name = _dtype_name(dtype)
    where = f"{path}.dtype"
    if name is None:
        return None  # the default: float16 on CUDA, bfloat16 elsewhere
    if name not in AMP_DTYPES:
        return ConfigError(
            f"{PATH} must be one of {', '.join(AMP_DTYPES)} (or null for the device's "
            f"default), got {dtype!r}{did_you_mean(str(name), AMP_DTYPES)}",
            config_path=where,
        )
    available = torch.cuda.is_available() if cuda is None else cuda
    if name == "float16" and not available:
        return ConfigError(
            f"{PATH} is float16, which needs CUDA (with a gradient scaler), and CUDA is not "
            "available here: use dtype: bfloat16 for mixed precision on the CPU",
            config_path=where,
        )
    return None


_SCALER_KEYS = ("init_scale", "growth_factor", "backoff_factor", "growth_interval", "enabled")
"""The ``GradScaler`` arguments a ``loss_scale`` mapping may give."""


def amp_loss_scale_problem(loss_scale: Any, path: str) -> ConfigError | None:
    """Why ``loss_scale`` cannot be an :class:`AmpOptimWrapper`'s (None when it can):
    ``"dynamic"``, a number (a fixed initial scale) or a mapping of ``GradScaler``
    arguments. ``path`` is the wrapper's config path."""
    where = f"{path}.loss_scale"
    if loss_scale == "dynamic" or (
        isinstance(loss_scale, float | int) and not isinstance(loss_scale, bool)
    ):
        return None
    if isinstance(loss_scale, Mapping):
        for key in loss_scale:
            if key not in _SCALER_KEYS:
                return ConfigError(
                    f"{PATH} is not an argument of torch's GradScaler"
                    f"{did_you_mean(str(key), _SCALER_KEYS)} (they are {', '.join(_SCALER_KEYS)})",
                    config_path=f"{where}.{key}",
                )
        return None
    hint = did_you_mean(loss_scale, ["dynamic"]) if isinstance(loss_scale, str) else ""
    return ConfigError(
        f"{PATH} must be 'dynamic', a number (a fixed initial scale) or a mapping of "
        f"GradScaler arguments, got {loss_scale!r}{hint}",
        config_path=where,
    )


def _dtype_name(dtype: Any) -> str | None:
    if dtype is None:
        return None
    if isinstance(dtype, torch.dtype):
        return str(dtype).removeprefix("torch.")
    return str(dtype)


@OPTIM_WRAPPERS.register_module()
class AmpOptimWrapper(OptimWrapper):
    """An :class:`OptimWrapper` for automatic mixed precision (``torch.autocast``).

    Args:
        optimizer: The torch optimizer.
        loss_scale: ``"dynamic"`` (float16: a ``GradScaler`` with torch's defaults; bfloat16:
            no scaler), a float (a fixed initial scale, as MMEngine's ``init_scale``), or a
            mapping of ``GradScaler`` arguments (``{init_scale: 1024, growth_interval: 100}``).
            With bfloat16, a float or a mapping makes a scaler as MMEngine does (harmless).
        dtype: ``"float16"`` or ``"bfloat16"`` (or a ``torch.dtype``); None, the default,
            is float16 where CUDA is available and bfloat16 elsewhere.
        accumulative_counts: As for :class:`OptimWrapper`.
        clip_grad: As for :class:`OptimWrapper` (float16: after unscaling the gradients).

    Raises:
        ConfigError: ``dtype`` is unknown, or float16 without CUDA (path ``dtype``), or
            ``loss_scale`` is none of the accepted forms.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        loss_scale: str | float | Mapping[str, Any] = "dynamic",
        dtype: str | torch.dtype | None = None,
        accumulative_counts: int = 1,
        clip_grad: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(optimizer, accumulative_counts, clip_grad)
        for problem in (
            amp_dtype_problem(dtype, "optim_wrapper"),
            amp_loss_scale_problem(loss_scale, "optim_wrapper"),
        ):
            if problem is not None:
                raise problem
        name = _dtype_name(dtype) or ("float16" if torch.cuda.is_available() else "bfloat16")
        self.cast_dtype: torch.dtype = getattr(torch, name)
        self._scale_update_param: float | None = None
        self.loss_scaler: torch.amp.GradScaler | None = None
        if self.cast_dtype is torch.float16:
            self.loss_scaler = self._make_scaler(loss_scale, "cuda")
        elif loss_scale != "dynamic":  # MMEngine's scaler; bfloat16 does not need it
            device = "cuda" if torch.cuda.is_available() else "cpu"
            self.loss_scaler = self._make_scaler(loss_scale, device)
        self._device_types: dict[int, str] = {}

    def _make_scaler(self, loss_scale: Any, device: str) -> torch.amp.GradScaler:
        if loss_scale == "dynamic":
            return torch.amp.GradScaler(device)
        if isinstance(loss_scale, Mapping):
            return torch.amp.GradScaler(device, **loss_scale)
        self._scale_update_param = float(loss_scale)
        return torch.amp.GradScaler(device, init_scale=float(loss_scale))

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        """Backward the loss (scaled by the scaler, for float16) and count the call."""
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        loss.backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs: Any) -> None:
        """Clip (float16: after unscaling) and step; float16 steps through the scaler, which
        skips a step whose gradients hold inf or NaN and updates its scale."""
        scaler = self.loss_scaler
        if scaler is None:
            super().step(**kwargs)
            return
        if self._clip_type is not None:
            scaler.unscale_(self.optimizer)
            self._clip_grads()
        scaler.step(self.optimizer, **kwargs)
        scaler.update(self._scale_update_param)

    def optim_context(self, model: nn.Module) -> AbstractContextManager[Any]:
        """``torch.autocast`` on the model's device with :attr:`cast_dtype` (and DDP's
        ``no_sync`` in iterations that only accumulate).

        Raises:
            ConfigError: float16 with a model that is not on CUDA.
        """
        autocast = torch.autocast(self._device_type(model), dtype=self.cast_dtype)
        outer = super().optim_context(model)
        if outer is NO_CONTEXT:
            return autocast
        stack = ExitStack()
        stack.enter_context(outer)
        stack.enter_context(autocast)
        return stack

    def _device_type(self, model: nn.Module) -> str:
        """The device type of the model's parameters (looked up once per model)."""
        known = self._device_types.get(id(model))
        if known is not None:
            return known
        param = next(model.parameters(), None)
        device = "cpu" if param is None else param.device.type
        if self.cast_dtype is torch.float16 and device != "cuda":
            raise ConfigError(
                f"{PATH} is float16, which needs the model on CUDA, and it is on {device}: "
                "use dtype: bfloat16 there",
                config_path="optim_wrapper.dtype",
            )
        self._device_types[id(model)] = device
        return device

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state dict, with the scaler's under ``loss_scaler`` (float16)."""
        state = super().state_dict()
        if self.loss_scaler is not None:
            state["loss_scaler"] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the optimizer's state and, when there is one, the scaler's."""
        state = dict(state_dict)
        scaler_state = state.pop("loss_scaler", None)
        if scaler_state is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        state.pop("base_param_settings", None)  # MMEngine's, not the optimizer's
        super().load_state_dict(state)

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, dtype={_dtype_name(self.cast_dtype)})"

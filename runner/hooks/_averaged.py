"""Averaged copies of a model (MMEngine's ``ExponentialMovingAverage``,
``MomentumAnnealingEMA``, ``StochasticWeightAverage``), registered in ``MODELS``.

Each keeps a frozen copy of the model in ``module`` and a ``steps`` buffer (both in its
``state_dict``, so an average resumes exactly) and folds the model's weights in with
:meth:`BaseAveragedModel.update_parameters`. The first update copies the weights; later
ones, every ``interval`` steps, average floating-point tensors in place.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from container import did_you_mean

from .._registries import MODELS
from .._sections import ArgumentError, check_positive


class BaseAveragedModel(nn.Module):
    """An average of a model's weights; subclasses give :meth:`avg_func`.

    Args:
        model: The model to average (copied; the copy never needs gradients).
        interval: Fold the weights in every this many updates.
        device: Where the copy lives (the model's device when None).
        update_buffers: Average the buffers (batch-norm statistics) too; otherwise they are
            copied from the model at each update.
    """

    @classmethod
    def check_arguments(cls, arguments: Mapping[str, Any]) -> None:
        """Check the arguments of ``cls`` other than the model, before a model exists
        (``EMAHook`` does it when it is built, so that a config error is found then).

        Raises:
            ArgumentError: An argument ``cls`` does not take, or a value out of range.
        """
        accepted = [name for name in inspect.signature(cls).parameters if name != "model"]
        for name in arguments:
            if name not in accepted:
                raise ArgumentError(
                    name,
                    f"is not an argument of {cls.__name__}{did_you_mean(name, accepted)} "
                    f"(its arguments: {', '.join(accepted)})",
                )
        if "interval" in arguments:
            check_positive("interval", arguments["interval"])

    def __init__(
        self,
        model: nn.Module,
        interval: int = 1,
        device: torch.device | str | None = None,
        update_buffers: bool = False,
    ) -> None:
        check_positive("interval", interval)
        super().__init__()
        self.module = copy.deepcopy(model).requires_grad_(False)
        if device is not None:
            self.module = self.module.to(device)
        self.interval = interval
        self.update_buffers = update_buffers
        self.steps: Tensor
        self.register_buffer("steps", torch.tensor(0, dtype=torch.long, device=device))
        self._steps = 0  # the buffer's value, read without a device sync
        self.avg_parameters: dict[str, Tensor] = (
            self.module.state_dict() if update_buffers else dict(self.module.named_parameters())
        )

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        """Fold ``source_param`` into ``averaged_param`` in place (at update ``steps``)."""
        raise NotImplementedError

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        """Fold ``model``'s current weights into the average."""
        source = model.state_dict() if self.update_buffers else dict(model.named_parameters())
        steps = self._steps
        if steps == 0:
            for name, averaged in self.avg_parameters.items():
                averaged.copy_(source[name])
        elif steps % self.interval == 0:
            for name, averaged in self.avg_parameters.items():
                if averaged.dtype.is_floating_point:
                    self.avg_func(averaged, source[name].to(averaged.device), steps)
        if not self.update_buffers:
            for averaged, buffer in zip(self.module.buffers(), model.buffers(), strict=False):
                averaged.copy_(buffer.to(averaged.device))
        self._steps = steps + 1
        self.steps.fill_(self._steps)

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> Any:
        result = super().load_state_dict(state_dict, strict=strict, assign=assign)
        self._steps = int(self.steps)
        return result


@MODELS.register_module()
class ExponentialMovingAverage(BaseAveragedModel):
    """``averaged = (1 - momentum) * averaged + momentum * weights`` at each update.

    ``momentum`` is the weight of the new value (MMEngine's convention, not an optimizer's):
    small, 0.0002 by default.

    Raises:
        ArgumentError: ``momentum`` is not between 0 and 1 (a ``ValueError``).
    """

    @classmethod
    def check_arguments(cls, arguments: Mapping[str, Any]) -> None:
        super().check_arguments(arguments)
        if "momentum" in arguments:
            _check_momentum(arguments["momentum"])

    def __init__(
        self,
        model: nn.Module,
        momentum: float = 0.0002,
        interval: int = 1,
        device: torch.device | str | None = None,
        update_buffers: bool = False,
    ) -> None:
        _check_momentum(momentum)
        super().__init__(model, interval, device, update_buffers)
        self.momentum = momentum

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        averaged_param.lerp_(source_param, self.momentum)


@MODELS.register_module()
class MomentumAnnealingEMA(ExponentialMovingAverage):
    """An EMA whose momentum starts large and anneals: ``max(momentum, gamma / (gamma +
    steps))``, so the average follows the model early in training.

    Raises:
        ArgumentError: ``gamma`` is not positive, or ``momentum`` is out of range.
    """

    @classmethod
    def check_arguments(cls, arguments: Mapping[str, Any]) -> None:
        super().check_arguments(arguments)
        if "gamma" in arguments:
            _check_gamma(arguments["gamma"])

    def __init__(
        self,
        model: nn.Module,
        momentum: float = 0.0002,
        gamma: int = 100,
        interval: int = 1,
        device: torch.device | str | None = None,
        update_buffers: bool = False,
    ) -> None:
        _check_gamma(gamma)
        super().__init__(model, momentum, interval, device, update_buffers)
        self.gamma = gamma

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        averaged_param.lerp_(source_param, max(self.momentum, self.gamma / (self.gamma + steps)))


@MODELS.register_module()
class StochasticWeightAverage(BaseAveragedModel):
    """The plain mean of the weights seen at the updates (SWA, Izmailov et al. 2018)."""

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        averaged_param.add_(
            source_param - averaged_param, alpha=1 / float(steps // self.interval + 1)
        )


def _check_momentum(momentum: object) -> None:
    if isinstance(momentum, bool) or not isinstance(momentum, int | float):
        raise ArgumentError("momentum", f"must be a number between 0 and 1, got {momentum!r}")
    if not 0.0 < momentum < 1.0:
        raise ArgumentError(
            "momentum",
            f"must be between 0 and 1 (exclusive), got {momentum} (the weight of the new "
            "weights at each update: small, such as 0.0002)",
        )


def _check_gamma(gamma: object) -> None:
    if isinstance(gamma, bool) or not isinstance(gamma, int | float) or gamma <= 0:
        raise ArgumentError("gamma", f"must be a positive number, got {gamma!r}")

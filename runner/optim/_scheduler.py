"""Learning-rate schedulers with MMEngine's names, built on ``torch.optim.lr_scheduler``.

Each scheduler is active from step ``begin`` to step ``end`` (in epochs when ``by_epoch``,
else in iterations), as in MMEngine: it starts a torch scheduler at ``begin`` and stops
stepping it at ``end``. So a warm-up and a decay chain as in MMEngine configs::

    param_scheduler:
      - {type: LinearLR, start_factor: 0.1, by_epoch: false, begin: 0, end: 500}
      - {type: MultiStepLR, by_epoch: true, milestones: [8, 11], gamma: 0.1}

Schedulers are stepped after the optimizer (``ParamSchedulerHook`` does it after each
iteration or epoch, by ``by_epoch``); stepping before the optimizer's first step is what
torch warns about.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from torch.optim import Optimizer, lr_scheduler

from .._registries import PARAM_SCHEDULERS

INF = int(1e9)
"""``end`` of a scheduler that never stops (MMEngine's value)."""


def unwrap_optimizer(optimizer: Any) -> Optimizer:
    """The torch optimizer of an optimizer or an ``OptimWrapper``."""
    inner = getattr(optimizer, "optimizer", optimizer)
    if not isinstance(inner, Optimizer):
        raise TypeError(f"expected a torch optimizer or an OptimWrapper, got {optimizer!r}")
    return inner


def _finite_span(needs: str, begin: int, end: int) -> int:
    """``end - begin``, checking that ``end`` was given.

    Raises:
        ValueError: ``end`` is :data:`INF`; the message starts with ``needs``
            (``"LinearLR needs"``) followed by ``a finite 'end'``.
    """
    if end >= INF:
        raise ValueError(f"{needs} a finite 'end'")
    return end - begin


class ParamScheduler(ABC):
    """A torch LR scheduler that runs from step ``begin`` to step ``end``.

    Before ``begin`` the learning rate is left alone; at ``begin`` the torch scheduler is
    created (which sets its first value); each later :meth:`step` before ``end`` steps it;
    from ``end`` on the learning rate stays where it is.

    Args:
        optimizer: The torch optimizer (or an ``OptimWrapper``).
        begin: The step at which the scheduler starts.
        end: The step at which it stops (exclusive).
        by_epoch: Whether steps are epochs (stepped after each epoch) or iterations.

    Raises:
        ValueError: ``begin`` is negative or ``end`` is not after it.
    """

    epoch_keys: tuple[str, ...] = ()
    """Arguments counted in steps besides ``begin``/``end``, scaled by ``convert_to_iter_based``."""

    def __init__(
        self, optimizer: Any, begin: int = 0, end: int = INF, by_epoch: bool = True
    ) -> None:
        if begin < 0 or end <= begin:
            raise ValueError(f"need 0 <= begin < end, got begin={begin}, end={end}")
        self.optimizer = unwrap_optimizer(optimizer)
        self.begin = begin
        self.end = end
        self.by_epoch = by_epoch
        self.last_step = 0
        self._scheduler: lr_scheduler.LRScheduler | None = None
        if begin == 0:
            self._scheduler = self._make(self.optimizer)

    @abstractmethod
    def _make(self, optimizer: Optimizer) -> lr_scheduler.LRScheduler:
        """Create the torch scheduler (called at step ``begin``)."""

    def step(self) -> None:
        """Advance one epoch or iteration; call it after the optimizer's step."""
        self.last_step += 1
        if self._scheduler is None:
            if self.last_step == self.begin:
                self._scheduler = self._make(self.optimizer)
        elif self.last_step < self.end:
            self._scheduler.step()

    def get_last_value(self) -> list[float]:
        """The learning rate of each parameter group now."""
        return [float(group["lr"]) for group in self.optimizer.param_groups]

    get_last_lr = get_last_value

    def state_dict(self) -> dict[str, Any]:
        """The step count and the torch scheduler's state (None before ``begin``)."""
        inner = None if self._scheduler is None else self._scheduler.state_dict()
        return {"last_step": self.last_step, "scheduler": inner}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`; the optimizer's learning rates are left as they are."""
        self.last_step = int(state["last_step"])
        inner = state.get("scheduler")
        if inner is None:
            self._scheduler = None
            return
        if self._scheduler is None:
            # creating a torch scheduler sets the learning rates: keep the loaded ones
            saved = [group["lr"] for group in self.optimizer.param_groups]
            self._scheduler = self._make(self.optimizer)
            for group, lr in zip(self.optimizer.param_groups, saved, strict=True):
                group["lr"] = lr
        self._scheduler.load_state_dict(dict(inner))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(begin={self.begin}, end={self.end}, by_epoch={self.by_epoch})"
        )


@PARAM_SCHEDULERS.register_module()
class StepLR(ParamScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps."""

    epoch_keys = ("step_size",)

    def __init__(
        self,
        optimizer: Any,
        step_size: int,
        gamma: float = 0.1,
        begin: int = 0,
        end: int = INF,
        by_epoch: bool = True,
    ) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, begin, end, by_epoch)

    def _make(self, optimizer: Optimizer) -> lr_scheduler.LRScheduler:
        return lr_scheduler.StepLR(optimizer, step_size=self.step_size, gamma=self.gamma)


@PARAM_SCHEDULERS.register_module()
class MultiStepLR(ParamScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone (counted from ``begin``)."""

    epoch_keys = ("milestones",)

    def __init__(
        self,
        optimizer: Any,
        milestones: Sequence[int],
        gamma: float = 0.1,
        begin: int = 0,
        end: int = INF,
        by_epoch: bool = True,
    ) -> None:
        self.milestones = list(milestones)
        self.gamma = gamma
        super().__init__(optimizer, begin, end, by_epoch)

    def _make(self, optimizer: Optimizer) -> lr_scheduler.LRScheduler:
        return lr_scheduler.MultiStepLR(optimizer, milestones=self.milestones, gamma=self.gamma)


@PARAM_SCHEDULERS.register_module()
class ExponentialLR(ParamScheduler):
    """Multiply the learning rate by ``gamma`` every step."""

    def __init__(
        self,
        optimizer: Any,
        gamma: float,
        begin: int = 0,
        end: int = INF,
        by_epoch: bool = True,
    ) -> None:
        self.gamma = gamma
        super().__init__(optimizer, begin, end, by_epoch)

    def _make(self, optimizer: Optimizer) -> lr_scheduler.LRScheduler:
        return lr_scheduler.ExponentialLR(optimizer, gamma=self.gamma)


@PARAM_SCHEDULERS.register_module()
class CosineAnnealingLR(ParamScheduler):
    """Anneal the learning rate to ``eta_min`` along a half cosine over ``T_max`` steps.

    Args:
        T_max: The length of the half cosine; ``end - begin`` by default.
        eta_min: The lowest learning rate.
    """

    epoch_keys = ("T_max",)

    def __init__(
        self,
        optimizer: Any,
        T_max: int | None = None,
        eta_min: float = 0.0,
        begin: int = 0,
        end: int = INF,
        by_epoch: bool = True,
    ) -> None:
        self.T_max = (
            T_max
            if T_max is not None
            else _finite_span("CosineAnnealingLR needs T_max or", begin, end)
        )
        self.eta_min = eta_min
        super().__init__(optimizer, begin, end, by_epoch)

    def _make(self, optimizer: Optimizer) -> lr_scheduler.LRScheduler:
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=self.T_max, eta_min=self.eta_min)


@PARAM_SCHEDULERS.register_module()
class LinearLR(ParamScheduler):
    """Scale the learning rate linearly from ``start_factor`` to ``end_factor`` (a warm-up).

    The factor is ``start_factor`` at ``begin`` and ``end_factor`` at ``end - 1``, as in
    MMEngine; ``end`` must be given.
    """

    def __init__(
        self,
        optimizer: Any,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        begin: int = 0,
        end: int = INF,
        by_epoch: bool = True,
    ) -> None:
        for name, factor in (("start_factor", start_factor), ("end_factor", end_factor)):
            if not 0.0 < factor <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        # the step the warm-up ends
        self.total_iters = _finite_span("LinearLR needs", begin, end) - 1
        super().__init__(optimizer, begin, end, by_epoch)

    def _make(self, optimizer: Optimizer) -> lr_scheduler.LRScheduler:
        return lr_scheduler.LinearLR(
            optimizer,
            start_factor=self.start_factor,
            end_factor=self.end_factor,
            total_iters=max(self.total_iters, 1),
        )


@PARAM_SCHEDULERS.register_module()
class ConstantLR(ParamScheduler):
    """Scale the learning rate by ``factor`` until step ``end - 1``, then restore it."""

    def __init__(
        self,
        optimizer: Any,
        factor: float = 1.0 / 3,
        begin: int = 0,
        end: int = INF,
        by_epoch: bool = True,
    ) -> None:
        if not 0.0 <= factor <= 1.0:
            raise ValueError(f"factor must be in [0, 1], got {factor}")
        self.factor = factor
        self.total_iters = end - begin - 1
        super().__init__(optimizer, begin, end, by_epoch)

    def _make(self, optimizer: Optimizer) -> lr_scheduler.LRScheduler:
        return lr_scheduler.ConstantLR(
            optimizer, factor=self.factor, total_iters=max(self.total_iters, 1)
        )


@PARAM_SCHEDULERS.register_module()
class PolyLR(ParamScheduler):
    """Decay the learning rate polynomially to ``eta_min`` at step ``end - 1``.

    ``lr = eta_min + (base_lr - eta_min) * (1 - t / (end - begin - 1)) ** power``.
    """

    def __init__(
        self,
        optimizer: Any,
        eta_min: float = 0.0,
        power: float = 1.0,
        begin: int = 0,
        end: int = INF,
        by_epoch: bool = True,
    ) -> None:
        self.eta_min = eta_min
        self.power = power
        self.total_iters = max(_finite_span("PolyLR needs", begin, end) - 1, 1)
        super().__init__(optimizer, begin, end, by_epoch)

    def _make(self, optimizer: Optimizer) -> lr_scheduler.LRScheduler:
        lambdas = [
            self._factor(float(g.get("initial_lr", g["lr"]))) for g in optimizer.param_groups
        ]
        return lr_scheduler.LambdaLR(optimizer, lr_lambda=lambdas)

    def _factor(self, base: float) -> Callable[[int], float]:
        eta_min, power, total = self.eta_min, self.power, self.total_iters

        def factor(step: int) -> float:
            left = (1.0 - min(step, total) / total) ** power
            return (eta_min + (base - eta_min) * left) / base if base else 0.0

        return factor


@PARAM_SCHEDULERS.register_module()
class OneCycleLR(ParamScheduler):
    """The one-cycle policy: up to ``eta_max``, then down far below the initial rate.

    Args:
        eta_max: The peak learning rate.
        total_steps: The length of the cycle; ``end - begin`` by default.
        pct_start: The share of the cycle spent going up.
        anneal_strategy: ``"cos"`` or ``"linear"``.
        div_factor: The initial rate is ``eta_max / div_factor``.
        final_div_factor: The last rate is the initial one divided by this.
        three_phase: Use torch's three-phase variant.
    """

    epoch_keys = ("total_steps",)

    def __init__(
        self,
        optimizer: Any,
        eta_max: float,
        total_steps: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        begin: int = 0,
        end: int = INF,
        by_epoch: bool = True,
    ) -> None:
        self.eta_max = eta_max
        self.total_steps = (
            total_steps
            if total_steps is not None
            else _finite_span("OneCycleLR needs total_steps or", begin, end)
        )
        self.options: dict[str, Any] = {
            "pct_start": pct_start,
            "anneal_strategy": anneal_strategy,
            "div_factor": div_factor,
            "final_div_factor": final_div_factor,
            "three_phase": three_phase,
        }
        super().__init__(optimizer, begin, end, by_epoch)

    def _make(self, optimizer: Optimizer) -> lr_scheduler.LRScheduler:
        return lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=self.eta_max,
            total_steps=self.total_steps,
            cycle_momentum=False,  # MMEngine schedules momentum separately
            **self.options,
        )
